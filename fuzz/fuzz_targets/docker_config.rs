//! `~/.docker/config.json` (auths, credsStore, credHelpers, proxies, currentContext),
//! a context's `meta.json` and a credential helper's `list` answer, read from bytes:
//! typed errors, never a panic; every stored credential encodes to an
//! `X-Registry-Auth` header that decodes back to the same user and secret, and the
//! encoding is canonical (a second round changes nothing).
#![no_main]

use berth_core::auth::{
    DockerConfig, decode_registry_auth, parse_helper_list, resolve_index_name,
    resolve_repository_name,
};
use berth_core::daemon_host::parse_context_meta;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = DockerConfig::from_slice(data) {
        for key in config.auths.keys() {
            let _ = config.auth_for(key);
            let _ = config.helper_for(key);
            let _ = config.lookup(key);
            let _ = resolve_index_name(key);
        }
        for (registry, auth) in config.stored_credentials() {
            let header = auth
                .encode()
                .unwrap_or_else(|e| panic!("credentials of {registry:?} do not encode: {e}"));
            let back = decode_registry_auth(&header).expect("an encoded header decodes");
            // What is sent is canonical (empty fields dropped, an identity token
            // replaces the password): the credentials themselves must come through,
            // and a second round changes nothing.
            let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
            assert_eq!(back.username, set(&auth.username), "{registry:?}");
            assert_eq!(back.identitytoken, set(&auth.identitytoken), "{registry:?}");
            if back.identitytoken.is_none() {
                assert!(
                    back.password == set(&auth.password),
                    "{registry:?}: password changed"
                );
            }
            let again = decode_registry_auth(&back.encode().expect("encodes")).expect("decodes");
            assert!(again == back, "{registry:?}: encoding is not canonical");
        }
        for registry in ["docker.io", "https://index.docker.io/v1/", "127.0.0.1:5000"] {
            let _ = config.lookup(registry);
        }
    }
    let _ = parse_context_meta(data);
    let _ = parse_helper_list(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = resolve_repository_name(text);
        let _ = decode_registry_auth(text);
    }
});
