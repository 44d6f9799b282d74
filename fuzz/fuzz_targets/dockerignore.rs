//! The `.dockerignore` matcher: parsing any file is `Ok` or `InvalidArgument`, never a
//! panic, and matching any path terminates. A pattern without wildcards matches its own
//! path; the always-sent files are never excluded. Without `!` exceptions the context
//! walk's incremental answer (each directory's results handed to its children, moby's
//! `MatchesUsingParentResults`) equals the answer from the path alone
//! (`MatchesOrParentMatches`). With exceptions the two may differ — in moby too, and
//! berth follows moby there: the walk is what the build context uses.
//!
//! Input: the `.dockerignore` contents, a NUL byte, then paths separated by `\n`.
#![no_main]

use berth_core::Category;
use berth_core::context::{DockerIgnore, MatchInfo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (contents, paths) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let ignore = match DockerIgnore::parse(contents, "Dockerfile") {
        Ok(i) => i,
        Err(e) => {
            assert_eq!(e.category(), Category::InvalidArgument, "{e:?}");
            return;
        }
    };
    for p in ignore.patterns() {
        let text = p.as_str();
        let literal = !text.is_empty()
            && !text.contains(['*', '?', '[', '\\'])
            && !text.starts_with('/')
            && text != ".";
        if literal {
            assert!(
                p.matches(text),
                "literal pattern {text:?} does not match itself"
            );
        }
    }
    // The always-sent files are never excluded.
    assert!(!ignore.matches_or_parent_matches(".dockerignore"));
    assert!(!ignore.matches_or_parent_matches("Dockerfile"));

    let Ok(paths) = std::str::from_utf8(paths) else {
        return;
    };
    // The same lines without the always-sent exceptions, for the walk = direct check.
    let plain = std::str::from_utf8(contents).ok().and_then(|text| {
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        DockerIgnore::raw(&lines).ok()
    });
    for path in paths.split('\n').take(8) {
        if path.is_empty()
            || path.starts_with('/')
            || path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            continue;
        }
        let _ = ignore.matches_or_parent_matches(path);
        let _ = ignore.matches_exact(path);
        let _ = ignore.is_included(path, false);
        walk(&ignore, path);
        if let Some(plain) = &plain
            && !plain.has_exclusions()
        {
            assert_eq!(
                walk(plain, path),
                plain.matches_or_parent_matches(path),
                "{path:?}: walk and direct answers differ without exceptions"
            );
        }
    }
});

/// Walks down to `path` from the root as the build-context walk does: its answer.
fn walk(ignore: &DockerIgnore, path: &str) -> bool {
    let mut info = MatchInfo::default();
    let mut excluded = false;
    let parts: Vec<&str> = path.split('/').collect();
    for n in 1..=parts.len() {
        let prefix = parts[..n].join("/");
        let (m, next) = ignore.matches_with_parent(&prefix, &info);
        let v = ignore.verdict(&prefix, n < parts.len(), &info);
        assert_eq!(v.include, !m, "{prefix:?}");
        excluded = m;
        info = next;
    }
    excluded
}
