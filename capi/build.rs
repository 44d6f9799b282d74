//! Gives `libberth.so` its SONAME, as cargo-c does: `libberth.so.0.1` while the version
//! is 0.x (a minor release may change the ABI), `libberth.so.N` from 1.0 on. Programs
//! linked against it then ask the loader for that name, so an incompatible libberth
//! installed later cannot be picked up in its place.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !matches!(
        os.as_str(),
        "linux" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let soname = if major == "0" {
        format!("libberth.so.0.{minor}")
    } else {
        format!("libberth.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    // For the crate's own tests, which link programs against the built library.
    println!("cargo:rustc-env=BERTH_SONAME={soname}");
    println!("cargo:rerun-if-changed=build.rs");
}
