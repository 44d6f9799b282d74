//! The quick JSON check against serde_json: captured daemon answers, vectors, every
//! truncation and single-byte corruption of a real inspect answer, and generated
//! documents.

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::stream::tests::capture_body;

const INSPECT: &[u8] = include_bytes!("../../testdata/inspect.http");
const LIST: &[u8] = include_bytes!("../../testdata/list.http");
const INFO: &[u8] = include_bytes!("../../testdata/info.http");
const VERSION: &[u8] = include_bytes!("../../testdata/version.http");

fn serde(doc: &[u8]) -> Option<Value> {
    serde_json::from_slice(doc).ok()
}

/// The string a token (quotes included) stands for.
fn token(doc: &[u8], r: &Option<Range<usize>>) -> Option<String> {
    r.clone()
        .map(|r| serde_json::from_slice(&doc[r]).expect("a string token"))
}

/// `check` found what serde_json's `Value` holds: the same kind of document, the
/// top-level ids, and array items that parse to the same elements.
fn assert_same_shape(doc: &[u8]) {
    let shape = check(doc).unwrap_or_else(|| panic!("checks: {}", String::from_utf8_lossy(doc)));
    let value = serde(doc).expect("serde_json parses what check accepts");
    match (shape, &value) {
        (Shape::Object { id, upper_id }, Value::Object(m)) => {
            let field = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
            assert_eq!(token(doc, &id), field("Id"));
            assert_eq!(token(doc, &upper_id), field("ID"));
        }
        (Shape::Array(items), Value::Array(elements)) => {
            assert_eq!(items.len(), elements.len());
            for (r, e) in items.iter().zip(elements) {
                assert_eq!(&serde(&doc[r.clone()]).expect("an item parses"), e);
                assert!(
                    !doc[r.start].is_ascii_whitespace() && !doc[r.end - 1].is_ascii_whitespace()
                );
            }
        }
        (Shape::Scalar, v) => assert!(!v.is_object() && !v.is_array(), "{v}"),
        (shape, v) => panic!("{shape:?} for {v}"),
    }
}

#[test]
fn captured_daemon_answers_check_with_their_ids_and_items() {
    let inspect = capture_body(INSPECT);
    assert_same_shape(&inspect);
    let Some(Shape::Object { id: Some(id), .. }) = check(&inspect) else {
        panic!("an inspect answer has an Id");
    };
    assert_eq!(token(&inspect, &Some(id)).map(|id| id.len()), Some(64));

    let list = capture_body(LIST);
    assert_same_shape(&list);
    assert!(matches!(check(&list), Some(Shape::Array(items)) if items.len() == 2));

    // info has a swarm-style "ID"; version has neither.
    let info = capture_body(INFO);
    assert_same_shape(&info);
    assert!(matches!(
        check(&info),
        Some(Shape::Object {
            id: None,
            upper_id: Some(_)
        })
    ));
    assert_same_shape(&capture_body(VERSION));
}

#[test]
fn agrees_with_serde_json_on_valid_and_invalid_documents() {
    let valid: &[&str] = &[
        "{}",
        "[]",
        " \t\r\n[ ] \n",
        "null",
        "true",
        "false",
        "0",
        "-0",
        "-12.5e-3",
        "1E+2",
        "9.99e299",
        "1e-9999",
        "123456789012345678901234567890",
        r#""""#,
        r#""a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\uFFFF""#,
        r#"{"a":[1,{"b":null}],"c":"\u003c"}"#,
        "\"gr\u{f6}\u{df}e \u{2713} \u{1f433}\"",
        r#"{"Id":"abc","ID":"x","Id":"def"}"#,
        r#"{"Id":5}"#,
        r#"{"Id":"abc","Id":7}"#,
        r#"[{"Id":"nested"}]"#,
        r#"{"I\u0064":"escaped","\u0049D":"too","\tId":"not"}"#,
        // serde_json's private token is only special as an object's first key.
        r#"{"a":1,"$serde_json::private::RawValue":4}"#,
        r#"{"$serde_json::private:":1}"#,
        "\"\u{7f}\"",
    ];
    for doc in valid {
        assert!(serde(doc.as_bytes()).is_some(), "serde_json reads {doc}");
        assert_same_shape(doc.as_bytes());
    }
    let invalid: &[&[u8]] = &[
        b"",
        b"   ",
        b"{",
        b"[1,]",
        b"[,1]",
        b"{\"a\":1,}",
        b"{\"a\" 1}",
        b"{a:1}",
        b"{\"a\":}",
        b"[1 2]",
        b"01",
        b"-",
        b"1.",
        b".5",
        b"1e",
        b"1e+",
        b"+1",
        b"tru",
        b"truex",
        b"nul",
        b"\"abc",
        b"\"a\x01b\"",
        b"\"a\tb\"",
        b"\"\\x\"",
        b"\"\\u12g4\"",
        b"\"\\u12\"",
        b"\"\xff\"",
        b"\"\xc3\"",
        b"{} {}",
        b"[]x",
        b"[}",
        b"{]",
        b"\xef\xbb\xbf{}",
        b"{}\x0c",
    ];
    for doc in invalid {
        let shown = String::from_utf8_lossy(doc);
        assert!(serde(doc).is_none(), "serde_json refuses {shown}");
        assert_eq!(check(doc), None, "refused: {shown}");
    }
}

#[test]
fn documents_only_serde_json_can_judge_are_left_to_it() {
    let deep_ok = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let deep_bad = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert_same_shape(at_limit.as_bytes());
    let cases: &[(&[u8], bool)] = &[
        // Parse, but close to f64's range, or nested past MAX_DEPTH, or a surrogate escape.
        (b"1e300", true),
        (b"1.7e308", true),
        (deep_ok.as_bytes(), true),
        (br#""\ud83d\udc33""#, true),
        (&[b'9'; 301], true),
        // serde_json's private token as a first key: the object stands for the JSON in
        // the string (here `[1]`, not an object), whether the key is escaped or not.
        (br#"{"$serde_json::private::RawValue":"[1]"}"#, true),
        (br#"[{"\u0024serde_json::private::RawValue":"2"}]"#, true),
        // Fail in serde_json for those very reasons (the first found by the fuzz target).
        (
            b"{\"Id\":  {\n\"$serde_json::private::RawValue\":4    }}",
            false,
        ),
        (b"1e309", false),
        (b"1e999999999999999999999", false),
        (deep_bad.as_bytes(), false),
        (br#""\ud83d""#, false),
        (&[b'9'; 400], false),
    ];
    for (doc, serde_reads) in cases {
        assert_eq!(
            serde(doc).is_some(),
            *serde_reads,
            "{}",
            String::from_utf8_lossy(doc)
        );
        assert_eq!(check(doc), None, "{}", String::from_utf8_lossy(doc));
    }
}

#[test]
fn every_truncation_and_byte_change_of_an_inspect_answer_agrees_with_serde_json() {
    let doc = capture_body(INSPECT);
    for end in 0..doc.len() {
        let prefix = &doc[..end];
        // Only the answer less its final newline is JSON.
        assert_eq!(
            check(prefix).is_some(),
            serde(prefix).is_some(),
            "{end} bytes"
        );
    }
    let mut changed = doc.clone();
    for at in 0..doc.len() {
        for byte in [b'"', b'\\', b',', b'}', b'1', 0x01, 0xc3] {
            changed[at] = byte;
            let checked = check(&changed);
            assert_eq!(
                checked.is_some(),
                serde(&changed).is_some(),
                "byte {at} set to {byte:#x}"
            );
            if checked.is_some() {
                assert_same_shape(&changed);
            }
        }
        changed[at] = doc[at];
    }
}

/// JSON values of every kind, with numbers well inside f64's range and strings of any
/// characters (serde_json escapes the control characters and sends the rest as UTF-8).
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e250f64..1e250).prop_map(Value::from),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(("Id|ID|.*", inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn documents_serde_json_writes_check_with_the_same_shape(v in any_value()) {
        let compact = serde_json::to_vec(&v).expect("serialises");
        assert_same_shape(&compact);
        let pretty = serde_json::to_vec_pretty(&v).expect("serialises");
        assert_same_shape(&pretty);
    }
}
