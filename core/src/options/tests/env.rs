use serde_json::json;

use super::invalid;
use crate::options::{
    ProxyEnv, env_entry, env_var, extra_hosts, format_env, group_add, labels_from_names, link,
    links, parse_env_file, shell_split, sysctls,
};

fn split(s: &str) -> Vec<String> {
    shell_split(s).expect(s)
}

#[test]
fn environment_dict_and_list() {
    let env = format_env([
        ("A", Some("1")),
        ("B", None),
        ("C", Some("x=y")),
        ("D", Some("")),
    ])
    .expect("valid");
    assert_eq!(env, ["A=1", "B", "C=x=y", "D="]);
    assert_eq!(
        env_var("UNI", Some("ünïcødé ✓")).expect("utf8"),
        "UNI=ünïcødé ✓"
    );
    assert!(invalid(env_var("", Some("x"))).contains("non-empty name"));
    assert!(invalid(env_var("A=B", None::<&str>)).contains("without '='"));
    assert_eq!(env_entry("K=V").expect("entry"), "K=V");
    assert_eq!(env_entry("K").expect("bare"), "K");
    assert!(env_entry("=V").is_err());
    assert!(env_entry("").is_err());
}

#[test]
fn env_files() {
    let text = "# comment\n\nA=1\n  # indented comment\nURL=pg://h/db?a=b&c=d\r\nEMPTY=\n  SPACED=  v  \nA=2\nQ=\"quoted\"\n";
    let vars = parse_env_file(text).expect("valid file");
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("A", "2"),
            ("URL", "pg://h/db?a=b&c=d"),
            ("EMPTY", ""),
            ("SPACED", "  v"),
            ("Q", "\"quoted\"")
        ]
    );
    let msg = invalid(parse_env_file("A=1\nNOVALUE\n"));
    assert!(
        msg.starts_with("env file line 2 \"NOVALUE\": no '='"),
        "{msg}"
    );
    assert!(invalid(parse_env_file("=x")).contains("empty name"));
    assert!(invalid(parse_env_file("MY VAR=x")).contains("whitespace"));
    assert!(parse_env_file("").expect("empty").is_empty());
}

#[test]
fn labels_list_form() {
    let labels = labels_from_names(["a", "b.c"]);
    assert_eq!(
        serde_json::to_value(labels).expect("json"),
        json!({"a": "", "b.c": ""})
    );
}

#[test]
fn shell_words_like_python_shlex() {
    assert_eq!(split("echo hello world"), ["echo", "hello", "world"]);
    assert_eq!(split("  spaced \t out\n"), ["spaced", "out"]);
    assert_eq!(
        split("sh -c 'echo \"hi there\"'"),
        ["sh", "-c", "echo \"hi there\""]
    );
    assert_eq!(split(r#"echo "a b" 'c d'"#), ["echo", "a b", "c d"]);
    assert_eq!(split(r"a\ b c"), ["a b", "c"]);
    assert_eq!(split(r#"a"b c"d"#), ["ab cd"]);
    assert_eq!(split(r#"x '' "" y"#), ["x", "", "", "y"]);
    assert_eq!(split(r"'a\b'"), [r"a\b"]);
    assert_eq!(split(r#""a\"b""#), [r#"a"b"#]);
    assert_eq!(split(r#""a\\b""#), [r"a\b"]);
    assert_eq!(split(r#""a\$b\n""#), [r"a\$b\n"]);
    assert_eq!(split(r"\'x\'"), ["'x'"]);
    assert_eq!(split("a#b # c"), ["a#b", "#", "c"]);
    assert_eq!(split("ünï 'cødé ✓'"), ["ünï", "cødé ✓"]);
    assert_eq!(split("$HOME ${X:-y} a;b"), ["$HOME", "${X:-y}", "a;b"]);
    assert!(split("").is_empty());
    assert!(split("   ").is_empty());
    assert!(invalid(shell_split("echo 'oops")).contains("no closing quotation"));
    assert!(invalid(shell_split("echo \"oops")).contains("no closing quotation"));
    assert!(invalid(shell_split("echo \"oops\\")).contains("no closing quotation"));
    assert!(invalid(shell_split("trailing\\")).contains("backslash"));
}

#[test]
fn hosts_links_sysctls_groups() {
    assert_eq!(
        extra_hosts([("web", "10.0.0.2"), ("db", "10.0.0.3"), ("v6", "::1")]),
        ["db:10.0.0.3", "v6:::1", "web:10.0.0.2"]
    );
    assert_eq!(link("db", Some("database")), "db:database");
    assert_eq!(link("db", None), "db");
    assert_eq!(link("db", Some("")), "db");
    assert_eq!(
        links([
            ("web", Some("w")),
            ("db", None),
            ("a-b", Some("x")),
            ("a", Some("y"))
        ]),
        ["a:y", "a-b:x", "db", "web:w"]
    );
    let s = sysctls([("net.core.somaxconn", 1024)]);
    assert_eq!(s["net.core.somaxconn"], "1024");
    let s = sysctls([("net.ipv4.ip_forward", "1")]);
    assert_eq!(s["net.ipv4.ip_forward"], "1");
    assert_eq!(group_add([1000, 0]), ["1000", "0"]);
    assert_eq!(group_add(["audio"]), ["audio"]);
}

#[test]
fn proxy_env_is_prepended() {
    let proxy = ProxyEnv::from_config(&json!({
        "httpProxy": "http://p:3128", "noProxy": "localhost", "ftpProxy": 7
    }));
    assert_eq!(proxy.https, None);
    assert_eq!(proxy.ftp, None);
    assert_eq!(
        proxy.vars(),
        [
            "http_proxy=http://p:3128",
            "HTTP_PROXY=http://p:3128",
            "no_proxy=localhost",
            "NO_PROXY=localhost"
        ]
    );
    assert_eq!(
        proxy.inject(&["http_proxy=mine".to_owned()]),
        [
            "http_proxy=http://p:3128",
            "HTTP_PROXY=http://p:3128",
            "no_proxy=localhost",
            "NO_PROXY=localhost",
            "http_proxy=mine"
        ]
    );
    assert!(ProxyEnv::default().is_empty());
    assert!(
        ProxyEnv {
            http: Some(String::new()),
            ..ProxyEnv::default()
        }
        .is_empty()
    );
}
