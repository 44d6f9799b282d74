//! `DOCKER_HOST` / `base_url` parsing (`DaemonHost::parse`) and the client built from
//! it: bad addresses are `InvalidArgument`, never a panic; a parsed address prints as
//! a canonical URL that parses back to the same address (unless the socket path ends
//! in whitespace, which trimming removes); the client builds (no I/O).
//!
//! Input: byte 0 bit 0 says whether TLS is configured, the rest (UTF-8) is the address.
#![no_main]

use berth_core::Category;
use berth_core::daemon_host::DaemonHost;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(url) = std::str::from_utf8(rest) else {
        return;
    };
    let tls = flags & 1 == 1;
    match DaemonHost::parse(url, tls) {
        Err(e) => assert_eq!(e.category(), Category::InvalidArgument, "{url:?}: {e:?}"),
        Ok(host) => {
            let canonical = host.to_string();
            if canonical.trim() != canonical {
                // Addresses are trimmed (they come from environment variables), so a
                // socket path ending in whitespace cannot survive a round trip.
                return;
            }
            let again = DaemonHost::parse(&canonical, host.is_tls())
                .unwrap_or_else(|e| panic!("{url:?} → {canonical:?} does not parse: {e}"));
            assert_eq!(again, host, "{url:?} → {canonical:?}");
            let _ = host.http_host();
            if !tls {
                // TLS from settings is not exercised: its roots come from files.
                if let Err(e) = berth::Docker::builder(url).build() {
                    assert_eq!(e.category(), Category::InvalidArgument, "{url:?}: {e:?}");
                }
            }
        }
    }
});
