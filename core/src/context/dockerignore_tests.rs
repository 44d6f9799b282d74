//! `.dockerignore` vectors.
//!
//! Sources: the CLI's documented rules (Dockerfile reference, ".dockerignore file"),
//! moby `patternmatcher` tests (`TestMatches`, `TestMatch` — Go's own
//! `filepath.Match` vectors — and `ignorefile` `TestReadAll`), and docker-py
//! `tests/unit/utils_build_test.py` (`ExcludePathsTest`, `TarTest`).

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// (`.dockerignore` contents, path, is a directory, sent?) — with the default
/// `Dockerfile`. Paths below a directory are judged as the walk judges them.
const TABLE: &[(&str, &str, bool, bool)] = &[
    // Reading: comments, blanks, whitespace, BOM.
    ("# comment\n", "# comment", false, true),
    ("  # not a comment\n", "# not a comment", false, false),
    ("\n   \n\t\n", "anything", false, true),
    ("\u{feff}secret\n", "secret", false, false),
    ("  secret.txt  \r\n", "secret.txt", false, false),
    // Leading '/', '.', '..' and trailing '/' are cleaned away.
    ("/secret\n", "secret", false, false),
    ("./a.py\n", "a.py", false, false),
    ("a.py/\n", "a.py", false, false),
    ("foo/whoops/../a.py\n", "foo/a.py", false, false),
    ("/../b.py\n", "b.py", false, false),
    // CLI, not docker-py: a leading `..` survives Clean and matches nothing.
    ("../a.py\n", "a.py", false, true),
    ("a//b\n", "a/b", false, false),
    // `*`, `?`, classes: one segment only.
    ("*.py\n", "a.py", false, false),
    ("*.py\n", "foo/a.py", false, true),
    ("*/a.py\n", "foo/a.py", false, false),
    ("*/a.py\n", "foo/bar/a.py", false, true),
    ("*/*/temp*\n", "a/b/temporary", false, false),
    ("*/temp*\n", "somedir/temporary.txt", false, false),
    ("*/temp*\n", "temp", false, true),
    ("temp?\n", "tempa", false, false),
    ("temp?\n", "temp/x", false, true),
    ("[a-c].txt\n", "b.txt", false, false),
    ("[a-c].txt\n", "d.txt", false, true),
    ("[^a-c].txt\n", "d.txt", false, false),
    ("a\\*b\n", "a*b", false, false),
    ("a\\*b\n", "axb", false, true),
    (".*\n", ".env", false, false),
    // `**`.
    ("**/*.go\n", "main.go", false, false),
    ("**/*.go\n", "cmd/tool/main.go", false, false),
    ("**/*.go\n", "main.rs", false, true),
    ("**/target\n", "a/b/target/debug/x", false, false),
    ("subdir/**\n", "subdir", true, true),
    ("subdir/**\n", "subdir/a/b", false, false),
    ("**\n", "anything/at/all", false, false),
    ("foo/**/bar\n", "foo/bar/a.py", false, false),
    ("foo/**/bar\n", "foo/x/y/bar", true, false),
    // A matched directory takes its contents along.
    ("foo\n", "foo", true, false),
    ("foo\n", "foo/bar/a.py", false, false),
    ("foo\n", "foobar", false, true),
    // Exceptions, last match wins.
    ("*.md\n!README.md\n", "README.md", false, true),
    ("*.md\n!README.md\n", "CHANGES.md", false, false),
    (
        "*.md\n!README*.md\nREADME-secret.md\n",
        "README-secret.md",
        false,
        false,
    ),
    (
        "*.md\n!README*.md\nREADME-secret.md\n",
        "README-bis.md",
        false,
        true,
    ),
    ("!keep\n*\n", "keep", false, false),
    // Re-including inside an excluded directory.
    ("docs\n!docs/README.md\n", "docs/README.md", false, true),
    ("docs\n!docs/README.md\n", "docs", true, false),
    ("docs\n!docs/README.md\n", "docs/other.md", false, false),
    ("foo\n!foo/bar\n", "foo/bar/a.py", false, true),
    ("foo\n!foo/*.py\n", "foo/a.py", false, true),
    ("foo\n!foo/*.py\n", "foo/bar/a.py", false, false),
    ("**\n!util/docker/web\n", "util/docker/web/foo", false, true),
    (
        "**\n!util/docker/web\nutil/docker/web/foo\n",
        "util/docker/web/foo",
        false,
        false,
    ),
    // A wildcard exception does not open an excluded directory (CLI walk).
    ("*\n!*/b.py\n", "a/b.py", false, false),
    ("vendor\n!**/keep\n", "vendor/keep", false, false),
    // Dockerfile and .dockerignore are always sent.
    ("Dockerfile\n.dockerignore\n", "Dockerfile", false, true),
    ("Dockerfile\n.dockerignore\n", ".dockerignore", false, true),
    ("*\n", "Dockerfile", false, true),
    ("*\n", "src", true, false),
    ("Dockerfile*\n", "Dockerfile.alt", false, false),
];

#[test]
fn table() {
    assert!(TABLE.len() >= 40);
    for &(file, path, is_dir, want) in TABLE {
        let ignore = DockerIgnore::parse(file.as_bytes(), "Dockerfile").expect("valid patterns");
        assert_eq!(
            ignore.is_included(path, is_dir),
            want,
            "patterns {file:?}, path {path:?}"
        );
    }
}

/// moby `TestMatches`: (pattern, text, exact match, match counting parents).
const MOBY_MATCHES: &[(&str, &str, bool, bool)] = &[
    ("**", "file", true, true),
    ("**", "file/", true, true),
    ("**/", "file", true, true),
    ("**/", "file/", true, true),
    ("**", "/", true, true),
    ("**/", "/", true, true),
    ("**", "dir/file", true, true),
    ("**/", "dir/file", true, true),
    ("**", "dir/file/", true, true),
    ("**/", "dir/file/", true, true),
    ("**/**", "dir/file", true, true),
    ("**/**", "dir/file/", true, true),
    ("dir/**", "dir/file", true, true),
    ("dir/**", "dir/file/", true, true),
    ("dir/**", "dir/dir2/file", true, true),
    ("dir/**", "dir/dir2/file/", true, true),
    ("**/dir", "dir", true, true),
    ("**/dir", "dir/file", false, true),
    ("**/dir2/*", "dir/dir2/file", true, true),
    ("**/dir2/*", "dir/dir2/file/", false, true),
    ("**/dir2/**", "dir/dir2/dir3/file", true, true),
    ("**/dir2/**", "dir/dir2/dir3/file/", true, true),
    ("**file", "file", true, true),
    ("**file", "dir/file", true, true),
    ("**/file", "dir/file", true, true),
    ("**file", "dir/dir/file", true, true),
    ("**/file", "dir/dir/file", true, true),
    ("**/file*", "dir/dir/file", true, true),
    ("**/file*", "dir/dir/file.txt", true, true),
    ("**/file*txt", "dir/dir/file.txt", true, true),
    ("**/file*.txt", "dir/dir/file.txt", true, true),
    ("**/file*.txt*", "dir/dir/file.txt", true, true),
    ("**/**/*.txt", "dir/dir/file.txt", true, true),
    ("**/**/*.txt2", "dir/dir/file.txt", false, false),
    ("**/*.txt", "file.txt", true, true),
    ("**/**/*.txt", "file.txt", true, true),
    ("a**/*.txt", "a/file.txt", true, true),
    ("a**/*.txt", "a/dir/file.txt", true, true),
    ("a**/*.txt", "a/dir/dir/file.txt", true, true),
    ("a/*.txt", "a/dir/file.txt", false, false),
    ("a/*.txt", "a/file.txt", true, true),
    ("a/*.txt**", "a/file.txt", true, true),
    ("a[b-d]e", "ae", false, false),
    ("a[b-d]e", "ace", true, true),
    ("a[b-d]e", "aae", false, false),
    ("a[^b-d]e", "aze", true, true),
    (".*", ".foo", true, true),
    (".*", "foo", false, false),
    ("abc.def", "abcdef", false, false),
    ("abc.def", "abc.def", true, true),
    ("abc.def", "abcZdef", false, false),
    ("abc?def", "abcZdef", true, true),
    ("abc?def", "abcdef", false, false),
    ("**/foo/bar", "foo/bar", true, true),
    ("**/foo/bar", "dir/foo/bar", true, true),
    ("**/foo/bar", "dir/dir2/foo/bar", true, true),
    ("abc/**", "abc", false, false),
    ("abc/**", "abc/def", true, true),
    ("abc/**", "abc/def/ghi", true, true),
    ("**/.foo", ".foo", true, true),
    ("**/.foo", "bar.foo", false, false),
    ("a(b)c/def", "a(b)c/def", true, true),
    ("a(b)c/def", "a(b)c/xyz", false, false),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", true, true),
    (
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        true,
        true,
    ),
    (
        "dist/*.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        true,
        true,
    ),
    ("a\\\\", "a\\", true, true),
    ("a\\*b", "a*b", true, true),
];

#[test]
fn moby_matches() {
    for &(pattern, text, exact, with_parents) in MOBY_MATCHES {
        let pm = DockerIgnore::raw(&[pattern]).expect("valid");
        assert_eq!(pm.matches_exact(text), exact, "exact {pattern:?} {text:?}");
        assert_eq!(
            pm.matches_or_parent_matches(text),
            with_parents,
            "parents {pattern:?} {text:?}"
        );
    }
    for (patterns, text, want) in [
        (
            &["**", "!util/docker/web"][..],
            "util/docker/web/foo",
            false,
        ),
        (
            &["**", "!util/docker/web", "util/docker/web/foo"][..],
            "util/docker/web/foo",
            true,
        ),
        (
            &["**", "!dist/*.whl"][..],
            "dist/proxy.py-2.4.0rc3-any.whl",
            false,
        ),
        (&["!fileutils.go", "*.go"][..], "fileutils.go", true),
        (&["*.go", "!fileutils.go"][..], "fileutils.go", false),
        (&["docs", "!docs/README.md"][..], "docs/README.md", false),
        (&["docs/", "!docs/README.md"][..], "docs/README.md", false),
        (&["docs/*", "!docs/README.md"][..], "docs/README.md", false),
        (&[][..], "any/path/there", false),
    ] {
        let pm = DockerIgnore::raw(patterns).expect("valid");
        assert_eq!(
            pm.matches_or_parent_matches(text),
            want,
            "{patterns:?} {text:?}"
        );
    }
}

/// moby `TestMatch` (Go's `filepath.Match` vectors): (pattern, name, match, bad pattern).
const GO_MATCH: &[(&str, &str, bool, bool)] = &[
    ("abc", "abc", true, false),
    ("*", "abc", true, false),
    ("*c", "abc", true, false),
    ("a*", "a", true, false),
    ("a*", "abc", true, false),
    ("a*", "ab/c", true, false),
    ("a*/b", "abc/b", true, false),
    ("a*/b", "a/c/b", false, false),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", true, false),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false),
    ("a*b?c*x", "abxbbxdbxebxczzx", true, false),
    ("a*b?c*x", "abxbbxdbxebxczzy", false, false),
    ("ab[c]", "abc", true, false),
    ("ab[b-d]", "abc", true, false),
    ("ab[e-g]", "abc", false, false),
    ("ab[^c]", "abc", false, false),
    ("ab[^b-d]", "abc", false, false),
    ("ab[^e-g]", "abc", true, false),
    ("a\\*b", "a*b", true, false),
    ("a\\*b", "ab", false, false),
    ("a?b", "a☺b", true, false),
    ("a[^a]b", "a☺b", true, false),
    ("a???b", "a☺b", false, false),
    ("a[^a][^a][^a]b", "a☺b", false, false),
    ("[a-ζ]*", "α", true, false),
    ("*[a-ζ]", "A", false, false),
    ("a?b", "a/b", false, false),
    ("a*b", "a/b", false, false),
    ("[\\]a]", "]", true, false),
    ("[\\-]", "-", true, false),
    ("[x\\-]", "x", true, false),
    ("[x\\-]", "-", true, false),
    ("[x\\-]", "z", false, false),
    ("[\\-x]", "x", true, false),
    ("[\\-x]", "-", true, false),
    ("[\\-x]", "a", false, false),
    ("[]a]", "]", false, true),
    ("[-]", "-", false, true),
    ("[x-]", "x", false, true),
    ("[-x]", "x", false, true),
    ("\\", "a", false, true),
    ("[a-b-c]", "a", false, true),
    ("[", "a", false, true),
    ("[^", "a", false, true),
    ("[^bc", "a", false, true),
    ("a[", "a", false, true),
    ("*x", "xxx", true, false),
];

#[test]
fn go_filepath_match_vectors() {
    for &(pattern, name, want, bad) in GO_MATCH {
        match DockerIgnore::raw(&[pattern]) {
            Err(e) => {
                assert!(bad, "{pattern:?} refused: {e}");
                assert!(e.to_string().contains("syntax error in pattern"), "{e}");
            }
            Ok(pm) => {
                assert!(!bad, "{pattern:?} should be a bad pattern");
                assert_eq!(
                    pm.matches_or_parent_matches(name),
                    want,
                    "{pattern:?} {name:?}"
                );
            }
        }
    }
}

#[test]
fn read_all_like_moby() {
    let content =
        "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ";
    assert_eq!(
        read_patterns(content.as_bytes()).expect("utf-8"),
        [
            "test1",
            "test2",
            "a/file/here",
            "lastfile",
            "!inverted/abs/path",
            "!",
            "!"
        ]
    );
    let e = DockerIgnore::parse(b"!\n", "Dockerfile").expect_err("lone !");
    assert!(e.to_string().contains("illegal exclusion"), "{e}");
    assert!(DockerIgnore::parse(b"\xff\n", "Dockerfile").is_err());
}

/// The docker-py `ExcludePathsTest` tree.
const DIRS: &[&str] = &[
    "foo",
    "foo/bar",
    "bar",
    "target",
    "target/subdir",
    "subdir",
    "subdir/target",
    "subdir/target/subdir",
    "subdir/subdir2",
    "subdir/subdir2/target",
    "subdir/subdir2/target/subdir",
];
const FILES: &[&str] = &[
    "Dockerfile",
    "Dockerfile.alt",
    ".dockerignore",
    "a.py",
    "a.go",
    "b.py",
    "cde.py",
    "foo/a.py",
    "foo/b.py",
    "foo/bar/a.py",
    "bar/a.py",
    "foo/Dockerfile3",
    "target/file.txt",
    "target/subdir/file.txt",
    "subdir/file.txt",
    "subdir/target/file.txt",
    "subdir/target/subdir/file.txt",
    "subdir/subdir2/file.txt",
    "subdir/subdir2/target/file.txt",
    "subdir/subdir2/target/subdir/file.txt",
];

/// What the context walk sends for a tree, as the host walks it.
fn walk(ignore: &DockerIgnore, dirs: &[&str], files: &[&str]) -> BTreeSet<String> {
    let mut children: BTreeMap<&str, Vec<(&str, bool)>> = BTreeMap::new();
    for &(list, is_dir) in &[(dirs, true), (files, false)] {
        for p in list {
            let parent = p.rsplit_once('/').map_or("", |(d, _)| d);
            children.entry(parent).or_default().push((p, is_dir));
        }
    }
    let mut out = BTreeSet::new();
    let mut stack = vec![("", MatchInfo::default())];
    while let Some((dir, info)) = stack.pop() {
        for &(path, is_dir) in children.get(dir).map(Vec::as_slice).unwrap_or(&[]) {
            let v = ignore.verdict(path, is_dir, &info);
            if v.include {
                out.insert(path.to_owned());
            }
            if v.descend {
                stack.push((path, v.info));
            }
        }
    }
    out
}

fn all() -> BTreeSet<String> {
    DIRS.iter().chain(FILES).map(|s| s.to_string()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn minus(items: &[&str]) -> BTreeSet<String> {
    let mut s = all();
    for i in items {
        assert!(s.remove(*i), "{i} not in the tree");
    }
    s
}

fn exclude(patterns: &[&str], dockerfile: &str) -> BTreeSet<String> {
    let file = patterns.join("\n");
    let ignore = DockerIgnore::parse(file.as_bytes(), dockerfile).expect("valid");
    walk(&ignore, DIRS, FILES)
}

#[test]
fn docker_py_exclude_paths() {
    let d = "Dockerfile";
    assert_eq!(exclude(&[""], d), all());
    assert_eq!(exclude(&["*"], d), set(&["Dockerfile", ".dockerignore"]));
    assert_eq!(exclude(&["Dockerfile", ".dockerignore"], d), all());
    assert_eq!(
        exclude(&["*"], "Dockerfile.alt"),
        set(&["Dockerfile.alt", ".dockerignore"])
    );
    assert_eq!(
        exclude(&["*"], "foo/Dockerfile3"),
        set(&["foo/Dockerfile3", ".dockerignore"])
    );
    assert_eq!(
        exclude(&["*"], "./foo/Dockerfile3"),
        set(&["foo/Dockerfile3", ".dockerignore"])
    );
    let child = exclude(&["foo/"], "foo/Dockerfile3");
    assert!(child.contains("foo/Dockerfile3") && !child.contains("foo/a.py"));
    assert_eq!(exclude(&["a.py"], d), minus(&["a.py"]));
    assert_eq!(exclude(&["./a.py"], d), minus(&["a.py"]));
    assert_eq!(exclude(&["a.py/"], d), minus(&["a.py"]));
    assert_eq!(exclude(&["*.py"], d), minus(&["a.py", "b.py", "cde.py"]));
    assert_eq!(exclude(&["*.py", "!b.py"], d), minus(&["a.py", "cde.py"]));
    assert_eq!(
        exclude(&["*.*", "!*.go"], d),
        minus(&["a.py", "b.py", "cde.py", "Dockerfile.alt"])
    );
    assert_eq!(exclude(&["a.*"], d), minus(&["a.py", "a.go"]));
    assert_eq!(exclude(&["?.py"], d), minus(&["a.py", "b.py"]));
    assert_eq!(exclude(&["foo/a.py"], d), minus(&["foo/a.py"]));
    assert_eq!(exclude(&["/foo/a.py"], d), minus(&["foo/a.py"]));
    assert_eq!(exclude(&["foo/whoops/../a.py"], d), minus(&["foo/a.py"]));
    assert_eq!(exclude(&["foo/*.py"], d), minus(&["foo/a.py", "foo/b.py"]));
    assert_eq!(exclude(&["*/a.py"], d), minus(&["foo/a.py", "bar/a.py"]));
    assert_eq!(
        exclude(&["*/*.py"], d),
        minus(&["foo/a.py", "foo/b.py", "bar/a.py"])
    );
    let foo_all = [
        "foo",
        "foo/a.py",
        "foo/b.py",
        "foo/bar",
        "foo/bar/a.py",
        "foo/Dockerfile3",
    ];
    assert_eq!(exclude(&["foo"], d), minus(&foo_all));
    assert_eq!(exclude(&["foo/"], d), minus(&foo_all));
    assert_eq!(
        exclude(&["foo", "!foo/bar/a.py"], d),
        minus(&["foo/a.py", "foo/b.py", "foo", "foo/bar", "foo/Dockerfile3"])
    );
    assert_eq!(
        exclude(&["foo", "!foo/bar"], d),
        minus(&["foo/a.py", "foo/b.py", "foo", "foo/Dockerfile3"])
    );
    assert_eq!(
        exclude(&["foo", "!foo/*.py"], d),
        minus(&["foo/bar", "foo/bar/a.py", "foo", "foo/Dockerfile3"])
    );
    assert_eq!(
        exclude(&["foo/bar"], d),
        minus(&["foo/bar", "foo/bar/a.py"])
    );
    assert_eq!(
        exclude(&["**/a.py"], d),
        minus(&["a.py", "foo/a.py", "foo/bar/a.py", "bar/a.py"])
    );
    assert_eq!(
        exclude(&["foo/**/bar"], d),
        minus(&["foo/bar", "foo/bar/a.py"])
    );
    assert_eq!(
        exclude(&["**/target/*/*"], d),
        minus(&[
            "target/subdir/file.txt",
            "subdir/target/subdir/file.txt",
            "subdir/subdir2/target/subdir/file.txt",
        ])
    );
    assert_eq!(
        exclude(&["subdir/**"], d),
        minus(&[
            "subdir/file.txt",
            "subdir/target/file.txt",
            "subdir/target/subdir/file.txt",
            "subdir/subdir2/file.txt",
            "subdir/subdir2/target/file.txt",
            "subdir/subdir2/target/subdir/file.txt",
            "subdir/target",
            "subdir/target/subdir",
            "subdir/subdir2",
            "subdir/subdir2/target",
            "subdir/subdir2/target/subdir",
        ])
    );
    assert_eq!(
        exclude(&["**", "!bar", "!foo/bar"], d),
        set(&[
            "foo/bar",
            "foo/bar/a.py",
            "bar",
            "bar/a.py",
            "Dockerfile",
            ".dockerignore"
        ])
    );
}

#[test]
fn docker_py_small_trees() {
    let run = |patterns: &str, dirs: &[&str], files: &[&str]| {
        let ignore = DockerIgnore::parse(patterns.as_bytes(), "Dockerfile").expect("valid");
        walk(&ignore, dirs, files)
    };
    assert_eq!(
        run("/*\n!/*.py", &[], &["a.py", "b.py"]),
        set(&["a.py", "b.py"])
    );
    // "This may be surprising but it matches the CLI's behavior".
    assert_eq!(run("*\n!*/b.py", &["a"], &["a/b.py"]), set(&[]));
    assert_eq!(
        run(
            "*.md\n!README*.md\nREADME-secret.md",
            &[],
            &[
                "garbage.md",
                "trash.md",
                "README.md",
                "README-bis.md",
                "README-secret.md"
            ]
        ),
        set(&["README.md", "README-bis.md"])
    );
    // docker-py drops the leading `..` of `../a.py` and excludes a.py; the CLI keeps
    // it (filepath.Clean), so the pattern matches nothing.
    assert_eq!(
        run("../a.py\n/../b.py", &[], &["a.py", "b.py", "c.py"]),
        set(&["a.py", "c.py"])
    );
    // TarTest.test_tar_with_excludes
    assert_eq!(
        run(
            "*.py\n!b.py\n!a.go\nfoo\nDockerfile*\n.dockerignore",
            &["foo", "foo/bar", "bar"],
            &[
                "Dockerfile",
                "Dockerfile.alt",
                ".dockerignore",
                "a.py",
                "a.go",
                "b.py",
                "cde.py",
                "foo/a.py",
                "foo/b.py",
                "foo/bar/a.py",
                "bar/a.py",
            ]
        ),
        set(&[
            "Dockerfile",
            ".dockerignore",
            "a.go",
            "b.py",
            "bar",
            "bar/a.py"
        ])
    );
}

#[test]
fn clean_like_go() {
    for (input, want) in [
        ("", "."),
        (".", "."),
        ("/", "/"),
        ("//", "/"),
        ("a/", "a"),
        ("./a", "a"),
        ("a/./b", "a/b"),
        ("a/../b", "b"),
        ("a/..", "."),
        ("..", ".."),
        ("../..", "../.."),
        ("../../a/../b", "../../b"),
        ("/..", "/"),
        ("/../a", "/a"),
        ("!foo/../bar", "bar"),
        ("!a/./b", "!a/b"),
    ] {
        assert_eq!(clean(input), want, "{input:?}");
    }
}

#[test]
fn pathological_patterns_stay_fast() {
    let pm = DockerIgnore::raw(&["*a*a*a*a*a*a*a*a*a*a*a*b"]).expect("valid");
    let text = "a".repeat(200);
    assert!(!pm.matches_exact(&text));
    let pm = DockerIgnore::raw(&["**/**/**/**/**/**/x"]).expect("valid");
    assert!(!pm.matches_exact(&"a/".repeat(100)));
}
