//! libberth: the C ABI of berth (`include/berth.h`, generated from this crate by
//! cbindgen).
//!
//! Conventions (those of rustls-ffi):
//! - Opaque handles (`berth_client`, `berth_stream`, `berth_upload`, `berth_cancel`,
//!   `berth_error`, `berth_output`, `berth_client_options`), each with its `_free`.
//! - Arguments object first; every call returns a `berth_result` (0 = success) and
//!   takes a last `berth_error **err` (may be NULL) that receives an owned error on
//!   failure only. Out-parameters are written only on success.
//! - Every pointer is NULL-checked (`BERTH_RESULT_NULL_ARGUMENT`); every entry point
//!   catches panics (`BERTH_RESULT_PANIC`); nothing unwinds into C.
//! - Strings berth returns are owned, NUL-terminated UTF-8, freed with
//!   `berth_string_free`; strings passed in are borrowed for the call only.
//! - Complex inputs and outputs are JSON in the Engine API's schema.
//! - Blocking calls run on the client's own runtime; see each type for thread safety.

pub mod client;
pub mod containers;
pub mod error;
pub mod ffi;
pub mod generic;
pub mod images;
mod raw;
pub mod stream;

/// The version of the linked libberth, `"MAJOR.MINOR.PATCH"` (static; never freed).
/// Compare with `BERTH_VERSION` from the header to detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn berth_version() -> *const std::ffi::c_char {
    const V: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    V.as_ptr()
}
