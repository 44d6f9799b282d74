use std::time::Duration;

use serde_json::json;

use super::invalid;
use crate::options::{DeviceRequest, HealthTest, Healthcheck, LogConfig, RestartPolicy, Ulimit};

fn wire<T: serde::Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).expect("serializable")
}

#[test]
fn ulimits_typed_dicts_and_strings() {
    assert_eq!(
        wire(Ulimit::new("nofile", 1024, 2048).to_model()),
        json!({"Name": "nofile", "Soft": 1024, "Hard": 2048})
    );
    let lower =
        Ulimit::from_json(&json!({"name": "nproc", "soft": 64, "hard": 128})).expect("lower");
    let upper =
        Ulimit::from_json(&json!({"Name": "nproc", "Soft": 64, "Hard": 128})).expect("upper");
    assert_eq!(lower, upper);
    assert_eq!(lower, Ulimit::new("nproc", 64, 128));
    let soft_only = Ulimit::from_json(&json!({"name": "core", "soft": 0})).expect("soft only");
    assert_eq!(
        wire(soft_only.to_model()),
        json!({"Name": "core", "Soft": 0})
    );
    assert!(invalid(Ulimit::from_json(&json!({"soft": 1}))).contains("\"name\" must be a string"));
    assert!(invalid(Ulimit::from_json(&json!({"name": 5}))).contains("\"name\""));
    assert!(
        invalid(Ulimit::from_json(&json!({"name": "x", "hard": "9"})))
            .contains("\"hard\" must be an integer")
    );

    assert_eq!(
        "nofile=1024:2048".parse::<Ulimit>().expect("pair"),
        Ulimit::new("nofile", 1024, 2048)
    );
    assert_eq!(
        "nofile=1024".parse::<Ulimit>().expect("one"),
        Ulimit::new("nofile", 1024, 1024)
    );
    assert_eq!(
        "memlock=-1:-1".parse::<Ulimit>().expect("unlimited"),
        Ulimit::new("memlock", -1, -1)
    );
    assert!(invalid("nofile".parse::<Ulimit>()).contains("no '='"));
    assert!(invalid("nofile=a".parse::<Ulimit>()).contains("\"a\" is not an integer"));
    assert!(invalid("nofile=10:5".parse::<Ulimit>()).contains("exceeds"));
    assert!("=1".parse::<Ulimit>().is_err());
}

#[test]
fn log_configs() {
    let lc = LogConfig::new("json-file")
        .option("max-size", "10m")
        .option("max-file", "3");
    assert_eq!(
        wire(lc.to_model()),
        json!({"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}})
    );
    assert_eq!(
        wire(LogConfig::new("none").to_model()),
        json!({"Type": "none", "Config": {}})
    );
    let from_dict =
        LogConfig::from_json(&json!({"type": "syslog", "config": {"a": 1, "b": true, "c": "x"}}))
            .expect("dict");
    assert_eq!(
        wire(from_dict.to_model()),
        json!({"Type": "syslog", "Config": {"a": "1", "b": "true", "c": "x"}})
    );
    let capital =
        LogConfig::from_json(&json!({"Type": "gelf", "Config": {"gelf-address": "udp://h:12201"}}))
            .expect("capitalised");
    assert_eq!(capital.driver, "gelf");
    assert_eq!(capital.config["gelf-address"], "udp://h:12201");
    assert!(invalid(LogConfig::from_json(&json!({"config": {}}))).contains("\"type\""));
    assert!(
        invalid(LogConfig::from_json(&json!({"type": "x", "config": []})))
            .contains("must be an object")
    );
    assert!(
        invalid(LogConfig::from_json(
            &json!({"type": "x", "config": {"k": [1]}})
        ))
        .contains("\"k\"")
    );
}

#[test]
fn restart_policies() {
    let cases = [
        (
            "no",
            RestartPolicy::No,
            json!({"Name": "no", "MaximumRetryCount": 0}),
        ),
        (
            "",
            RestartPolicy::No,
            json!({"Name": "no", "MaximumRetryCount": 0}),
        ),
        (
            "always",
            RestartPolicy::Always,
            json!({"Name": "always", "MaximumRetryCount": 0}),
        ),
        (
            "unless-stopped",
            RestartPolicy::UnlessStopped,
            json!({"Name": "unless-stopped", "MaximumRetryCount": 0}),
        ),
        (
            "on-failure",
            RestartPolicy::OnFailure { max_retries: None },
            json!({"Name": "on-failure", "MaximumRetryCount": 0}),
        ),
        (
            "on-failure:5",
            RestartPolicy::OnFailure {
                max_retries: Some(5),
            },
            json!({"Name": "on-failure", "MaximumRetryCount": 5}),
        ),
    ];
    for (s, policy, json) in cases {
        assert_eq!(s.parse::<RestartPolicy>().expect(s), policy, "{s}");
        assert_eq!(wire(policy.to_model()), json, "{s}");
    }
    assert_eq!(
        RestartPolicy::OnFailure {
            max_retries: Some(3)
        }
        .to_string(),
        "on-failure:3"
    );
    assert_eq!(RestartPolicy::UnlessStopped.to_string(), "unless-stopped");
    assert!(invalid("sometimes".parse::<RestartPolicy>()).contains("unknown policy"));
    assert!(invalid("always:3".parse::<RestartPolicy>()).contains("only on-failure"));
    assert!(invalid("on-failure:x".parse::<RestartPolicy>()).contains("not a number"));
}

#[test]
fn device_requests_send_every_field() {
    assert_eq!(
        wire(DeviceRequest::new().to_model()),
        json!({"Driver": "", "Count": 0, "DeviceIDs": [], "Capabilities": [], "Options": {}})
    );
    assert_eq!(
        wire(DeviceRequest::gpus_all().to_model()),
        json!({"Driver": "", "Count": -1, "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}})
    );
    assert_eq!(
        wire(
            DeviceRequest::new()
                .driver("nvidia")
                .device_ids(["0", "GPU-abc"])
                .capabilities([vec!["gpu", "utility"], vec!["compute"]])
                .option("x", "y")
                .to_model()
        ),
        json!({"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0", "GPU-abc"],
               "Capabilities": [["gpu", "utility"], ["compute"]], "Options": {"x": "y"}})
    );
}

#[test]
fn healthchecks() {
    let hc = Healthcheck::shell("curl -f http://localhost/ || exit 1")
        .interval(Duration::from_secs(30))
        .timeout(Duration::from_secs(5))
        .retries(3)
        .start_period(Duration::from_millis(1500))
        .start_interval(Duration::from_secs(1));
    assert_eq!(
        wire(hc.to_model().expect("valid")),
        json!({"Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
               "Interval": 30_000_000_000_i64, "Timeout": 5_000_000_000_i64, "Retries": 3,
               "StartPeriod": 1_500_000_000, "StartInterval": 1_000_000_000})
    );
    let test = |h: Healthcheck| wire(h.to_model().expect("valid"));
    assert_eq!(
        test(Healthcheck::cmd(["pg_isready", "-U", "pg"])),
        json!({"Test": ["CMD", "pg_isready", "-U", "pg"]})
    );
    assert_eq!(
        test(Healthcheck::cmd_line("pg_isready -U 'my user'").expect("line")),
        json!({"Test": ["CMD", "pg_isready", "-U", "my user"]})
    );
    assert_eq!(test(Healthcheck::disabled()), json!({"Test": ["NONE"]}));
    assert_eq!(
        test(Healthcheck::inherit().retries(0)),
        json!({"Test": [], "Retries": 0})
    );
    assert_eq!(
        test(Healthcheck::from_test(["CMD", "true"])),
        json!({"Test": ["CMD", "true"]})
    );
    assert_eq!(
        test(Healthcheck::shell("x").interval(Duration::ZERO)),
        json!({"Test": ["CMD-SHELL", "x"], "Interval": 0})
    );
    assert_eq!(HealthTest::Raw(vec!["NONE".into()]).to_vec(), ["NONE"]);
    let msg = invalid(
        Healthcheck::shell("x")
            .timeout(Duration::from_micros(10))
            .to_model(),
    );
    assert!(
        msg.contains("healthcheck timeout") && msg.contains("at least 1ms"),
        "{msg}"
    );
    assert!(
        Healthcheck::shell("x")
            .start_period(Duration::from_nanos(1))
            .to_model()
            .is_err()
    );
    assert!(invalid(Healthcheck::shell("x").retries(-1).to_model()).contains("retries -1"));
    assert!(Healthcheck::cmd_line("'unclosed").is_err());
}
