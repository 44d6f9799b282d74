use serde_json::json;

use super::invalid;
use crate::options::{
    Bind, BindTarget, MountKind, MountSpec, Propagation, binds_from_map, parse_device, tmpfs_entry,
    tmpfs_map, volumes_from,
};

fn bind(s: &str) -> Bind {
    s.parse().expect(s)
}

#[test]
fn bind_strings() {
    let b = bind("/h:/c:ro");
    assert_eq!(
        (b.source(), b.target(), b.options()),
        ("/h", "/c", &["ro".to_owned()][..])
    );
    assert_eq!(b.to_string(), "/h:/c:ro");
    assert_eq!(bind("/h:/c").to_string(), "/h:/c");
    assert!(bind("/h:/c").options().is_empty());
    let v = bind("vol:/c");
    assert_eq!((v.source(), v.target()), ("vol", "/c"));
    for mode in [
        "rw",
        "ro",
        "z",
        "Z",
        "nocopy",
        "ro,z",
        "rw,Z,rshared",
        "ro,cached",
        "slave",
    ] {
        let s = format!("/h:/c:{mode}");
        assert_eq!(bind(&s).to_string(), s);
    }
    assert_eq!(bind("/srv/ünï cødé:/data").source(), "/srv/ünï cødé");
}

#[test]
fn bind_windows_drive_letters() {
    let b = bind(r"C:\x:/data:ro");
    assert_eq!((b.source(), b.target()), (r"C:\x", "/data"));
    assert_eq!(b.options(), ["ro"]);
    let b = bind("c:/Users/me:/src");
    assert_eq!((b.source(), b.target()), ("c:/Users/me", "/src"));
    let b = bind(r"C:\data:C:\data:rw");
    assert_eq!((b.source(), b.target()), (r"C:\data", r"C:\data"));
    // A one-letter volume name is not a drive when that reading fails.
    let b = bind("v:/data:ro");
    assert_eq!(
        (b.source(), b.target(), b.options()),
        ("v", "/data", &["ro".to_owned()][..])
    );
    let b = bind("v:/data");
    assert_eq!((b.source(), b.target()), ("v", "/data"));
}

#[test]
fn bind_errors() {
    let msg = invalid("/h".parse::<Bind>());
    assert!(msg.starts_with("bind \"/h\": no container path"), "{msg}");
    assert!(invalid("/h:c".parse::<Bind>()).contains("container path \"c\" is not absolute"));
    assert!(invalid("/h:/c:rx".parse::<Bind>()).contains("unknown option \"rx\""));
    assert!(invalid("/h:/c:ro,rw".parse::<Bind>()).contains("access mode (ro/rw) given twice"));
    assert!(invalid("/h:/c:shared,rslave".parse::<Bind>()).contains("propagation given twice"));
    assert!(invalid("/h:/c:".parse::<Bind>()).contains("unknown option \"\""));
    assert!(invalid(":/c".parse::<Bind>()).contains("source"));
    assert!(invalid("/a:/b:ro:x".parse::<Bind>()).contains("4 ':'-separated fields"));
}

#[test]
fn bind_builder() {
    let b = Bind::new("/srv", "/data")
        .read_only(true)
        .propagation(Propagation::Rshared);
    assert_eq!(b.to_spec().expect("valid"), "/srv:/data:ro,rshared");
    // Setting a group again replaces it.
    let b = b.read_only(false).mode("Z").expect("Z");
    assert_eq!(b.to_string(), "/srv:/data:rshared,rw,Z");
    assert!(Bind::new("/srv", "/data").mode("ro,bogus").is_err());
    assert!(Bind::new("/srv", "relative").to_spec().is_err());
    assert_eq!(
        "rslave".parse::<Propagation>().expect("rslave"),
        Propagation::Rslave
    );
    assert!(invalid("recursive".parse::<Propagation>()).contains("expected one of private"));
}

#[test]
fn binds_dict_form() {
    let binds = binds_from_map([
        (
            "/srv",
            BindTarget {
                ro: Some(true),
                ..BindTarget::new("/mnt")
            },
        ),
        (
            "/var",
            BindTarget {
                ro: Some(false),
                ..BindTarget::new("/v")
            },
        ),
        ("/tmp", BindTarget::from("/t")),
        (
            "/z",
            BindTarget {
                mode: Some("z".into()),
                ..BindTarget::new("/zz")
            },
        ),
        (
            "/p",
            BindTarget {
                mode: Some("ro".into()),
                propagation: Some(Propagation::Rshared),
                ..BindTarget::new("/pp")
            },
        ),
        (
            "/q",
            BindTarget {
                propagation: Some(Propagation::Slave),
                ..BindTarget::new("/qq")
            },
        ),
    ])
    .expect("valid binds");
    assert_eq!(
        binds,
        [
            "/srv:/mnt:ro",
            "/var:/v:rw",
            "/tmp:/t:rw",
            "/z:/zz:z",
            "/p:/pp:ro,rshared",
            "/q:/qq:rw,slave"
        ]
    );
    let msg = invalid(binds_from_map([(
        "/srv",
        BindTarget {
            mode: Some("ro".into()),
            ro: Some(true),
            ..BindTarget::new("/mnt")
        },
    )]));
    assert!(msg.contains("both mode \"ro\" and ro=true"), "{msg}");
    assert!(binds_from_map([("/srv", BindTarget::new("mnt"))]).is_err());
    assert!(
        binds_from_map([(
            "/s",
            BindTarget {
                mode: Some("q".into()),
                ..BindTarget::new("/m")
            }
        )])
        .is_err()
    );
}

#[test]
fn volumes_from_splits_commas() {
    assert_eq!(volumes_from("a,b:ro"), ["a", "b:ro"]);
    assert_eq!(volumes_from("only"), ["only"]);
    assert_eq!(volumes_from("a, b,,"), ["a", "b"]);
    assert!(volumes_from("").is_empty());
}

#[test]
fn tmpfs_entries() {
    assert_eq!(
        tmpfs_entry("/run:rw,size=64m").expect("opts"),
        ("/run".into(), "rw,size=64m".into())
    );
    assert_eq!(
        tmpfs_entry("/tmp").expect("bare"),
        ("/tmp".into(), String::new())
    );
    assert_eq!(
        tmpfs_entry("/a:b:c").expect("colon in opts"),
        ("/a".into(), "b:c".into())
    );
    assert!(invalid(tmpfs_entry("run:size=1m")).contains("not absolute"));
    let map = tmpfs_map(["/run:size=1m", "/tmp"]).expect("valid");
    assert_eq!(
        serde_json::to_value(map).expect("json"),
        json!({"/run": "size=1m", "/tmp": ""})
    );
}

#[test]
fn device_strings() {
    let d = |s: &str| {
        let m = parse_device(s).expect(s);
        (
            m.path_on_host.expect("host"),
            m.path_in_container.expect("ctr"),
            m.cgroup_permissions.expect("perms"),
        )
    };
    let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        d("/dev/sda:/dev/xvda:rwm"),
        t("/dev/sda", "/dev/xvda", "rwm")
    );
    assert_eq!(d("/dev/sda"), t("/dev/sda", "/dev/sda", "rwm"));
    assert_eq!(d("/dev/sda:/dev/xvdc"), t("/dev/sda", "/dev/xvdc", "rwm"));
    assert_eq!(d("/dev/sda:/dev/xvdc:r"), t("/dev/sda", "/dev/xvdc", "r"));
    assert_eq!(d("/dev/fuse:rw"), t("/dev/fuse", "/dev/fuse", "rw"));
    assert!(invalid(parse_device("/dev/sda:/dev/xvdc:rx")).contains("permissions \"rx\""));
    assert!(invalid(parse_device("/dev/sda:/dev/xvdc:rr")).contains("permissions"));
    assert!(invalid(parse_device("/dev/sda:xvdc")).contains("not absolute"));
    assert!(invalid(parse_device("a:/b:r:x")).contains("4 ':'-separated"));
    assert!(invalid(parse_device(":/b")).contains("host path is empty"));
    let json = serde_json::to_value(parse_device("/dev/snd").expect("snd")).expect("json");
    assert_eq!(
        json,
        json!({"PathOnHost": "/dev/snd", "PathInContainer": "/dev/snd", "CgroupPermissions": "rwm"})
    );
}

#[test]
fn mounts_by_type() {
    let wire = |m: MountSpec| serde_json::to_value(m.build().expect("valid mount")).expect("json");
    assert_eq!(
        wire(
            MountSpec::bind("/srv", "/data")
                .read_only(true)
                .propagation(Propagation::Rslave)
        ),
        json!({"Target": "/data", "Source": "/srv", "Type": "bind", "ReadOnly": true,
               "BindOptions": {"Propagation": "rslave"}})
    );
    assert_eq!(
        wire(
            MountSpec::volume("cache", "/cache")
                .no_copy(true)
                .label("team", "ci")
                .driver("local")
                .driver_option("type", "nfs")
                .subpath("sub")
                .consistency("cached")
        ),
        json!({"Target": "/cache", "Source": "cache", "Type": "volume", "Consistency": "cached",
               "VolumeOptions": {"NoCopy": true, "Labels": {"team": "ci"}, "Subpath": "sub",
                                 "DriverConfig": {"Name": "local", "Options": {"type": "nfs"}}}})
    );
    assert_eq!(
        wire(
            MountSpec::tmpfs("/run")
                .tmpfs_size_str("64m")
                .expect("64m")
                .tmpfs_mode(0o1777)
        ),
        json!({"Target": "/run", "Type": "tmpfs",
               "TmpfsOptions": {"SizeBytes": 67_108_864, "Mode": 1023}})
    );
    assert_eq!(
        wire(MountSpec::anonymous_volume("/data")),
        json!({"Target": "/data", "Type": "volume"})
    );
    assert_eq!(
        wire(MountSpec::npipe(
            r"\\.\pipe\docker_engine",
            r"\\.\pipe\docker_engine"
        )),
        json!({"Target": r"\\.\pipe\docker_engine", "Source": r"\\.\pipe\docker_engine", "Type": "npipe"})
    );
}

#[test]
fn mount_option_type_mismatches() {
    let msg = invalid(
        MountSpec::bind("/a", "/b")
            .no_copy(true)
            .tmpfs_mode(1)
            .build(),
    );
    assert!(msg.contains("no_copy, tmpfs_mode not valid"), "{msg}");
    assert!(
        invalid(
            MountSpec::volume("v", "/b")
                .propagation(Propagation::Shared)
                .build()
        )
        .contains("propagation not valid")
    );
    assert!(invalid(MountSpec::volume("v", "/b").tmpfs_size(1).build()).contains("tmpfs_size"));
    assert!(invalid(MountSpec::tmpfs("/t").label("a", "b").build()).contains("labels"));
    assert!(invalid(MountSpec::tmpfs("/t").driver("x").build()).contains("driver"));
    assert!(
        invalid(MountSpec::new(MountKind::Tmpfs, Some("x".into()), "/t").build())
            .contains("no source")
    );
    assert!(
        invalid(MountSpec::new(MountKind::Bind, None, "/t").build()).contains("source is required")
    );
    assert!(invalid(MountSpec::volume("v", "").build()).contains("target"));
    assert!(
        invalid(MountSpec::volume("v", "/b").consistency("fast").build()).contains("consistency")
    );
    assert!(MountSpec::tmpfs("/t").tmpfs_size_str("1q").is_err());
    assert_eq!(
        "npipe".parse::<MountKind>().expect("npipe"),
        MountKind::Npipe
    );
    assert!("cluster".parse::<MountKind>().is_err());
}

#[test]
fn mount_strings() {
    let wire = |s: &str| {
        serde_json::to_value(MountSpec::parse(s).expect(s).build().expect(s)).expect("json")
    };
    assert_eq!(wire("/data"), json!({"Target": "/data", "Type": "volume"}));
    assert_eq!(
        wire("/srv:/data"),
        json!({"Target": "/data", "Source": "/srv", "Type": "bind", "ReadOnly": false})
    );
    assert_eq!(
        wire("vol:/data:ro"),
        json!({"Target": "/data", "Source": "vol", "Type": "volume", "ReadOnly": true})
    );
    assert_eq!(
        wire("/srv:/data:rw"),
        json!({"Target": "/data", "Source": "/srv", "Type": "bind", "ReadOnly": false})
    );
    assert_eq!(
        wire(r"C:\srv:/data:ro"),
        json!({"Target": "/data", "Source": r"C:\srv", "Type": "bind", "ReadOnly": true})
    );
    assert!(invalid(MountSpec::parse("a:b:c:d")).contains("4 ':'-separated"));
    assert!(invalid(MountSpec::parse("/a:/b:z")).contains("neither ro nor rw"));
    assert!(invalid("a:".parse::<MountSpec>()).contains("empty"));
}
