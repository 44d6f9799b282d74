use std::time::Duration;

use super::invalid;
use crate::options::{
    MemoryBytes, duration_nanos, health_duration, nano_cpus, parse_bytes, parse_cpus,
    parse_duration,
};

const K: i64 = 1024;
const M: i64 = 1024 * 1024;
const G: i64 = 1024 * 1024 * 1024;

#[test]
fn byte_sizes_follow_docker_py() {
    let cases: &[(&str, i64)] = &[
        ("128m", 128 * M),
        ("1g", G),
        ("1000k", 1000 * K),
        ("100000b", 100_000),
        ("4096", 4096),
        ("0", 0),
        ("1gb", G),
        ("1GB", G),
        ("1G", G),
        ("512MB", 512 * M),
        ("2kB", 2 * K),
        ("1.5g", 1_610_612_736),
        ("0.5k", 512),
        ("0.1k", 102),
        (".5m", 512 * K),
        ("1.9", 1),
        ("7b", 7),
        ("10B", 10),
        ("8g", 8 * G),
        ("3000000000", 3_000_000_000),
        ("8589934592k", 8_589_934_592 * K),
    ];
    for (input, want) in cases {
        assert_eq!(parse_bytes(input).expect(input), *want, "{input}");
    }
}

#[test]
fn byte_sizes_beyond_32_bits() {
    assert_eq!(parse_bytes("5g").expect("5g"), 5_368_709_120);
    assert!(parse_bytes("5g").expect("5g") > i64::from(u32::MAX));
    assert_eq!(parse_bytes("8589934591g").expect("max"), 8_589_934_591 * G);
}

#[test]
fn byte_size_errors() {
    let msg = invalid(parse_bytes("1t"));
    assert!(
        msg.contains("\"1t\"") && msg.contains("unknown unit \"t\""),
        "{msg}"
    );
    assert!(invalid(parse_bytes("1kib")).contains("unknown unit"));
    assert!(invalid(parse_bytes("1tb")).contains("unknown unit \"t\""));
    assert!(invalid(parse_bytes("-1")).contains("negative"));
    assert!(invalid(parse_bytes("-5m")).contains("negative"));
    assert!(invalid(parse_bytes("")).contains("empty"));
    assert!(invalid(parse_bytes("m")).contains("is not a number"));
    assert!(invalid(parse_bytes("abc")).contains("unknown unit"));
    assert!(invalid(parse_bytes("1.2.3m")).contains("not a number"));
    assert!(invalid(parse_bytes(" 1m")).contains("not a number"));
    assert!(invalid(parse_bytes("9999999999g")).contains("64 bits"));
    assert!(invalid(parse_bytes("99999999999999999999999999999999999999999")).contains("64 bits"));
    assert!(parse_bytes("1µ").is_err());
    // docker-py reads the last character as the unit: "1." has unit ".".
    assert!(invalid(parse_bytes("1.")).contains("unknown unit \".\""));
}

#[test]
fn memory_bytes_newtype() {
    let m: MemoryBytes = "512m".parse().expect("512m");
    assert_eq!(m, MemoryBytes::new(512 * M));
    assert_eq!(i64::from(m), 512 * M);
    assert_eq!(m.to_string(), "536870912");
    assert_eq!(MemoryBytes::from(3).get(), 3);
    assert!("12x".parse::<MemoryBytes>().is_err());
}

#[test]
fn cpus_to_nano_cpus() {
    assert_eq!(nano_cpus(1.5).expect("1.5"), 1_500_000_000);
    assert_eq!(nano_cpus(0.0).expect("0"), 0);
    assert_eq!(nano_cpus(0.001).expect("0.001"), 1_000_000);
    assert_eq!(nano_cpus(64.0).expect("64"), 64_000_000_000);
    assert!(nano_cpus(64.0).expect("64") > i64::from(u32::MAX));
    assert!(invalid(nano_cpus(-1.0)).contains("non-negative"));
    assert!(nano_cpus(f64::NAN).is_err());
    assert!(nano_cpus(f64::INFINITY).is_err());
    assert!(nano_cpus(1e12).is_err());

    assert_eq!(parse_cpus("1.5").expect("1.5"), 1_500_000_000);
    assert_eq!(parse_cpus("2").expect("2"), 2_000_000_000);
    assert_eq!(parse_cpus("0.000000001").expect("1 nano"), 1);
    assert!(invalid(parse_cpus("0.0000000001")).contains("more precise"));
    assert!(parse_cpus("-1").is_err());
    assert!(parse_cpus("one").is_err());
}

#[test]
fn durations() {
    assert_eq!(
        duration_nanos("x", Duration::from_secs(30)).expect("30s"),
        30_000_000_000
    );
    assert!(duration_nanos("x", Duration::from_secs(u64::MAX)).is_err());
    assert_eq!(health_duration("interval", Duration::ZERO).expect("0"), 0);
    assert_eq!(
        health_duration("interval", Duration::from_millis(1)).expect("1ms"),
        1_000_000
    );
    let msg = invalid(health_duration("interval", Duration::from_micros(999)));
    assert!(msg.contains("interval") && msg.contains("1ms"), "{msg}");

    let d = |s: &str| parse_duration(s).expect(s);
    assert_eq!(d("30s"), Duration::from_secs(30));
    assert_eq!(d("1m30s"), Duration::from_secs(90));
    assert_eq!(d("1.5h"), Duration::from_secs(5400));
    assert_eq!(d("250ms"), Duration::from_millis(250));
    assert_eq!(d("10us"), Duration::from_micros(10));
    assert_eq!(d("10µs"), Duration::from_micros(10));
    assert_eq!(d("7ns"), Duration::from_nanos(7));
    assert_eq!(d("0"), Duration::ZERO);
    assert_eq!(d("+5s"), Duration::from_secs(5));
    assert!(invalid(parse_duration("5")).contains("without a unit"));
    assert!(invalid(parse_duration("5d")).contains("unknown unit \"d\""));
    assert!(invalid(parse_duration("-5s")).contains("negative"));
    assert!(parse_duration("").is_err());
    assert!(parse_duration("s").is_err());
}
