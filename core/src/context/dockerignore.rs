//! `.dockerignore`: which files of a build context are sent.
//!
//! The semantics are the docker CLI's (classic builder), which docker-py copies:
//!
//! - **Reading** (moby `ignorefile.ReadAll`): a UTF-8 BOM is dropped; a line starting
//!   with `#` *in its first column* is a comment; every other line is trimmed and
//!   blank ones skipped; `!` marks an exception (spaces after it are trimmed too);
//!   the pattern is cleaned like Go's `filepath.Clean` (`a//b/./c/../d` → `a/b/d`,
//!   a leading `/..` dropped, a trailing `/` dropped) and one leading `/` removed, so
//!   `/foo` means `foo` in the context root.
//! - **Matching** (moby `patternmatcher`): `*` is any run of characters but `/`, `?`
//!   one character but `/`, `[a-z]`/`[^a-z]` a class, `\` escapes; `**` matches any
//!   number of path segments (`**/x` also matches `x`, `dir/**` everything below
//!   `dir` but not `dir` itself). A pattern matching a directory matches everything
//!   below it. Patterns apply in order and the last matching one wins, so
//!   `!` exceptions re-include what earlier patterns excluded.
//! - **Walking** (moby `archive.TarWithOptions`): an excluded directory is not sent
//!   and not entered — unless an exception pattern names something inside it
//!   literally (`!dir/keep`, `!dir/sub/*`), in which case the walk goes in and sends
//!   what is re-included (without the directory entry itself). An exception that
//!   starts with a wildcard (`!*/keep`, `!**/keep`) cannot reach into an excluded
//!   directory, as in the CLI.
//! - **Always sent** (CLI `TrimBuildFilesFromExcludes`, docker-py): the Dockerfile in
//!   use and `.dockerignore` itself, even when a pattern excludes them; the daemon
//!   reads them and drops them from the context if they are excluded.
//!
//! Where docker-py's own walker differs from the CLI (it drops a leading `..`
//! component, `../a.py` excluding `a.py`; it treats `  #x` as a comment), berth follows
//! the CLI: the daemon's side of the build is the CLI's counterpart.
//!
//! Everything here is pure: patterns come in as bytes, paths as `/`-separated strings
//! relative to the context root (no leading `./`).
//!
//! ```
//! use berth_core::context::DockerIgnore;
//!
//! let ignore = DockerIgnore::parse(b"# build output\ntarget\n*.log\n!keep.log\n", "Dockerfile")?;
//! assert!(!ignore.is_included("target/debug/app", false));
//! assert!(!ignore.is_included("build.log", false));
//! assert!(ignore.is_included("keep.log", false));
//! assert!(ignore.is_included("src/main.rs", false));
//! # Ok::<(), berth_core::Error>(())
//! ```

use crate::error::{Error, Result};

pub use super::pattern::Pattern;

/// Name of the ignore file at the root of a build context.
pub const DOCKERIGNORE: &str = ".dockerignore";

/// The per-pattern results for a directory, handed to its children while walking
/// (moby's `MatchInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

/// What the walk does with one entry of the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Send the entry.
    pub include: bool,
    /// For a directory: walk into it (also true for an excluded directory that an
    /// exception may reach into).
    pub descend: bool,
    /// For a directory: what its children inherit.
    pub info: MatchInfo,
}

/// A parsed `.dockerignore` plus the files that are always sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

impl DockerIgnore {
    /// Reads `.dockerignore` contents into patterns (moby `ignorefile.ReadAll`),
    /// then keeps `.dockerignore` and `dockerfile` (context-relative, `/`-separated)
    /// from being excluded (CLI `TrimBuildFilesFromExcludes`).
    ///
    /// Pass an empty `dockerfile` when the Dockerfile is not a context file (it was
    /// injected or comes from elsewhere).
    pub fn parse(contents: &[u8], dockerfile: &str) -> Result<DockerIgnore> {
        DockerIgnore::from_patterns(&read_patterns(contents)?, dockerfile)
    }

    /// Like [`DockerIgnore::parse`], from patterns already split into lines (each is
    /// trimmed and cleaned again, as moby does).
    pub fn from_patterns<S: AsRef<str>>(lines: &[S], dockerfile: &str) -> Result<DockerIgnore> {
        let mut ignore = DockerIgnore::raw(lines)?;
        let mut keep = vec![format!("!{DOCKERIGNORE}")];
        let dockerfile = clean(dockerfile);
        if !dockerfile.is_empty() && dockerfile != "." {
            keep.push(format!("!{dockerfile}"));
        }
        for k in keep {
            if ignore.matches_or_parent_matches(&k[1..]) {
                ignore.push(&k)?;
            }
        }
        Ok(ignore)
    }

    /// The patterns exactly as given, with no always-sent files (moby `New`).
    pub fn raw<S: AsRef<str>>(lines: &[S]) -> Result<DockerIgnore> {
        let mut ignore = DockerIgnore {
            patterns: Vec::with_capacity(lines.len()),
            exclusions: false,
        };
        for l in lines {
            ignore.push(l.as_ref())?;
        }
        Ok(ignore)
    }

    fn push(&mut self, line: &str) -> Result<()> {
        if let Some(p) = Pattern::new(line)? {
            self.exclusions |= p.exclusion;
            self.patterns.push(p);
        }
        Ok(())
    }

    /// The compiled patterns, in order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// True when some pattern is an exception.
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// True when no pattern is set: everything is sent.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// moby `MatchesExact`: does the last pattern matching `path` itself exclude it?
    pub fn matches_exact(&self, path: &str) -> bool {
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            if p.matches(path) {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// moby `MatchesOrParentMatches`: is `path` excluded, counting a pattern that
    /// matches one of its parent directories as matching it?
    pub fn matches_or_parent_matches(&self, path: &str) -> bool {
        self.matches_with_parent(path, &MatchInfo::default()).0
    }

    /// moby `MatchesUsingParentResults`: whether `path` is excluded, given the
    /// results of its parent directory (`MatchInfo::default()` for a top-level entry,
    /// or when unknown: then parents are matched by path).
    pub fn matches_with_parent(&self, path: &str, parent: &MatchInfo) -> (bool, MatchInfo) {
        let inherited = &parent.parent_matched;
        let use_parent = inherited.len() == self.patterns.len() && !inherited.is_empty();
        let mut matched = false;
        let mut info = vec![false; self.patterns.len()];
        let parent_path = go_dir(path);
        for (i, p) in self.patterns.iter().enumerate() {
            let mut m = use_parent && inherited[i];
            if !m {
                if p.exclusion != matched {
                    continue;
                }
                m = p.matches(path);
                if !m && !use_parent && parent_path != "." {
                    let dirs: Vec<&str> = parent_path.split('/').collect();
                    m = (1..=dirs.len()).any(|n| p.matches(&dirs[..n].join("/")));
                }
            }
            info[i] = m;
            if m {
                matched = !p.exclusion;
            }
        }
        (
            matched,
            MatchInfo {
                parent_matched: info,
            },
        )
    }

    /// What the context walk does with `path` (a child of the directory whose
    /// [`Verdict::info`] is `parent`; `MatchInfo::default()` at the root).
    pub fn verdict(&self, path: &str, is_dir: bool, parent: &MatchInfo) -> Verdict {
        let (excluded, info) = self.matches_with_parent(path, parent);
        let descend = is_dir && (!excluded || self.exception_inside(path));
        Verdict {
            include: !excluded,
            descend,
            info,
        }
    }

    /// Could an exception re-include something below the excluded directory `dir`?
    fn exception_inside(&self, dir: &str) -> bool {
        if !self.exclusions {
            return false;
        }
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .filter(|p| p.exclusion)
            .any(|p| format!("{}/", p.cleaned).starts_with(&dir_slash))
    }

    /// Would the context walk send `path`? Walks its parent directories the way the
    /// tar writer does: a path below a directory that is neither sent nor entered is
    /// not sent.
    pub fn is_included(&self, path: &str, is_dir: bool) -> bool {
        let path = clean(path);
        if path == "." {
            return true;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let mut info = MatchInfo::default();
        for n in 1..parts.len() {
            let v = self.verdict(&parts[..n].join("/"), true, &info);
            if !v.descend {
                return false;
            }
            info = v.info;
        }
        self.verdict(&path, is_dir, &info).include
    }
}

/// moby `ignorefile.ReadAll`: the patterns of a `.dockerignore` file, one per line,
/// comments and blanks dropped, cleaned, leading `/` removed (`!` kept in front).
///
/// ```
/// use berth_core::context::dockerignore::read_patterns;
/// let p = read_patterns(b"test1\n/test2\n# comment\n\n ! /inverted/abs/path\r\n")?;
/// assert_eq!(p, ["test1", "test2", "!inverted/abs/path"]);
/// # Ok::<(), berth_core::Error>(())
/// ```
pub fn read_patterns(contents: &[u8]) -> Result<Vec<String>> {
    let text = std::str::from_utf8(contents)
        .map_err(|e| Error::InvalidArgument(format!(".dockerignore is not valid UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
        }
        out.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    Ok(out)
}

/// Go's `path.Clean` (what `filepath.Clean` does on Unix): the shortest equivalent
/// path by lexical processing. Empty → `.`.
///
/// ```
/// use berth_core::context::dockerignore::clean;
/// assert_eq!(clean("a//b/./c/../d/"), "a/b/d");
/// assert_eq!(clean("/../x"), "/x");
/// assert_eq!(clean("../x"), "../x");
/// assert_eq!(clean(""), ".");
/// ```
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Dir` on Unix.
fn go_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => clean(&path[..=i]),
        None => ".".into(),
    }
}

#[cfg(test)]
#[path = "dockerignore_tests.rs"]
mod tests;
