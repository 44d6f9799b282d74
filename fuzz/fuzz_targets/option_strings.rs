//! docker-py's option strings: port specs, host bindings, exposed ports, binds, mount
//! strings, memory/CPU/duration values, tmpfs and device entries. Bad input is an
//! `InvalidArgument`, never a panic; what parses prints back to something that parses
//! to the same value.
//!
//! Input: byte 0 picks the parser, the rest (UTF-8) is the string.
#![no_main]

use berth_core::Category;
use berth_core::options::{
    Bind, ContainerPort, HostBinding, MemoryBytes, MountSpec, PortSpec, parse_bytes, parse_cpus,
    parse_device, parse_duration, port_bindings, tmpfs_entry,
};
use libfuzzer_sys::fuzz_target;

fn invalid<T: std::fmt::Debug>(r: &berth_core::Result<T>) {
    if let Err(e) = r {
        assert_eq!(e.category(), Category::InvalidArgument, "{e:?}");
        assert!(!e.to_string().is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 11 {
        0 => {
            let r = s.parse::<PortSpec>();
            invalid(&r);
            if let Ok(spec) = r {
                let ports = spec.container_ports();
                assert!(!ports.is_empty());
                let bindings = spec.bindings();
                assert_eq!(bindings.len(), ports.len());
                for (port, _) in bindings {
                    assert_ne!(port.port(), 0, "{s:?} gave container port 0");
                }
            }
        }
        1 => {
            let r = s.parse::<HostBinding>();
            invalid(&r);
            if let Ok(b) = r {
                let _ = b.to_model();
            }
        }
        2 => {
            let r = s.parse::<ContainerPort>();
            invalid(&r);
            if let Ok(p) = r {
                assert_eq!(
                    p.to_string().parse::<ContainerPort>().ok(),
                    Some(p),
                    "{s:?}"
                );
            }
            let r = ContainerPort::parse_range(s);
            invalid(&r);
        }
        3 => {
            let r = s.parse::<Bind>();
            invalid(&r);
            if let Ok(b) = r {
                let spec = b.to_spec().expect("a parsed bind is valid");
                let again = spec.parse::<Bind>().expect("a bind's spec parses");
                assert_eq!(again.to_string(), spec, "{s:?}");
            }
        }
        4 => {
            let r = MountSpec::parse(s);
            invalid(&r);
            if let Ok(m) = r {
                invalid(&m.build());
            }
        }
        5 => {
            let r = parse_bytes(s);
            invalid(&r);
            if let Ok(n) = r {
                assert!(n >= 0, "{s:?} → {n}");
                assert_eq!(parse_bytes(&n.to_string()).ok(), Some(n));
                let m = s.parse::<MemoryBytes>().expect("same parser");
                assert_eq!(m.get(), n);
                assert_eq!(m.to_string().parse::<MemoryBytes>().ok(), Some(m));
            }
        }
        6 => {
            let r = parse_cpus(s);
            invalid(&r);
            if let Ok(n) = r {
                assert!(n >= 0, "{s:?} → {n}");
            }
        }
        7 => invalid(&parse_duration(s)),
        8 => invalid(&tmpfs_entry(s)),
        9 => invalid(&parse_device(s)),
        _ => invalid(&port_bindings(s.split(','))),
    }
});
