//! The boundary: panic guard, argument checks, owned outputs.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{BerthError, BerthResult, Fail};

/// Runs the body of an entry point: a panic becomes `BERTH_RESULT_PANIC`, a failure is
/// written to `*err` (when `err` is not NULL) and returned as its code.
pub(crate) fn guard(
    err: *mut *mut BerthError,
    body: impl FnOnce() -> Result<(), Fail>,
) -> BerthResult {
    let fail = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return BerthResult::Ok,
        Ok(Err(fail)) => fail,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_owned());
            Fail::panic(message)
        }
    };
    let code = fail.result;
    if !err.is_null() {
        let boxed = Box::into_raw(Box::new(fail.into_error()));
        // SAFETY: `err` is not NULL and, by every entry point's contract, points to a
        // writable `berth_error*`.
        unsafe { err.write(boxed) };
    }
    code
}

/// A borrowed, UTF-8 C string argument that must not be NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string that outlives the returned borrow.
pub(crate) unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, Fail> {
    if p.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: not NULL; NUL-terminated and alive per the contract above.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|e| Fail::invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// An optional C string argument (NULL = absent).
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn opt_text<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, Fail> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { text(p, what) }.map(Some)
    }
}

/// An optional JSON document argument (NULL = absent), parsed.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn opt_json(
    p: *const c_char,
    what: &str,
) -> Result<Option<serde_json::Value>, Fail> {
    // SAFETY: forwarded contract.
    match unsafe { opt_text(p, what) }? {
        None => Ok(None),
        Some(s) => json_of(s, what).map(Some),
    }
}

/// Parses a JSON argument.
pub(crate) fn json_of(s: &str, what: &str) -> Result<serde_json::Value, Fail> {
    serde_json::from_str(s).map_err(|e| Fail::invalid(format!("{what} is not valid JSON: {e}")))
}

/// A JSON object argument, parsed and checked to be an object.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn json_object(p: *const c_char, what: &str) -> Result<serde_json::Value, Fail> {
    // SAFETY: forwarded contract.
    let v = json_of(unsafe { text(p, what) }?, what)?;
    if !v.is_object() {
        return Err(Fail::invalid(format!("{what} must be a JSON object")));
    }
    Ok(v)
}

/// An array of `len` C strings (an argv); NULL with `len == 0` is an empty list.
///
/// # Safety
/// `p` is NULL or points to `len` pointers, each as for [`text`].
pub(crate) unsafe fn text_list(
    p: *const *const c_char,
    len: usize,
    what: &str,
) -> Result<Vec<String>, Fail> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: not NULL; `len` readable pointers per the contract above.
    let items = unsafe { std::slice::from_raw_parts(p, len) };
    items
        .iter()
        .enumerate()
        // SAFETY: each element satisfies `text`'s contract (contract above).
        .map(|(i, s)| unsafe { text(*s, &format!("{what}[{i}]")) }.map(str::to_owned))
        .collect()
}

/// A borrowed byte buffer; NULL with `len == 0` is empty.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that outlive the borrow.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], Fail> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: not NULL; `len` readable bytes per the contract above.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A shared reference to a handle that must not be NULL.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` that outlives the borrow.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, Fail> {
    // SAFETY: NULL or live, per the contract above.
    unsafe { p.as_ref() }.ok_or_else(|| Fail::null(what))
}

/// An exclusive reference to a handle that must not be NULL.
///
/// # Safety
/// `p` is NULL or a live handle of type `T`, not used elsewhere during the borrow.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, Fail> {
    // SAFETY: NULL or live and unaliased, per the contract above.
    unsafe { p.as_mut() }.ok_or_else(|| Fail::null(what))
}

/// Checks an out-parameter before any work is done.
pub(crate) fn need<T>(p: *mut T, what: &str) -> Result<*mut T, Fail> {
    if p.is_null() {
        Err(Fail::null(what))
    } else {
        Ok(p)
    }
}

/// Writes an out-parameter (checked by [`out`]).
///
/// # Safety
/// `p` is a non-NULL, writable, aligned pointer to a `T`.
pub(crate) unsafe fn put<T>(p: *mut T, value: T) {
    // SAFETY: per the contract above.
    unsafe { p.write(value) }
}

/// An owned C string for the caller, freed by `berth_string_free`.
/// The daemon's JSON answers end in a newline; it is dropped so C gets the document.
pub(crate) fn owned_string(s: impl Into<Vec<u8>>, what: &str) -> Result<*mut c_char, Fail> {
    let mut s = s.into();
    while s.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
        s.pop();
    }
    CString::new(s).map(CString::into_raw).map_err(|_| {
        Fail::from(berth_core::Error::Decode(format!(
            "{what} holds a NUL byte and cannot be returned as a C string"
        )))
    })
}

/// Writes an owned string to an optional out-parameter (NULL = not wanted).
///
/// # Safety
/// `p` is NULL or a writable `char*` slot.
pub(crate) unsafe fn put_string(
    p: *mut *mut c_char,
    s: impl Into<Vec<u8>>,
    what: &str,
) -> Result<(), Fail> {
    if !p.is_null() {
        let s = owned_string(s, what)?;
        // SAFETY: not NULL and writable per the contract above.
        unsafe { p.write(s) };
    }
    Ok(())
}

/// Frees a string berth returned (JSON documents, ids, versions). NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string returned by berth and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn berth_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: berth's strings come from CString::into_raw and are freed once
        // (contract above).
        drop(unsafe { CString::from_raw(s) });
    }
}

/// `BerthResult::Ok`-or-failure shorthand for bodies.
pub(crate) type Res = Result<(), Fail>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{BerthCategory, berth_error_free};

    #[test]
    fn a_panic_becomes_a_panic_result_with_its_message() {
        let mut err: *mut BerthError = std::ptr::null_mut();
        let r = guard(&mut err, || panic!("boom {}", 42));
        assert_eq!(r, BerthResult::Panic);
        assert!(!err.is_null());
        // SAFETY: guard wrote a live error.
        let e = unsafe { &*err };
        assert_eq!(e.result, BerthResult::Panic);
        assert_eq!(e.category, BerthCategory::Panic);
        assert!(e.message.to_string_lossy().contains("boom 42"));
        // SAFETY: freed once.
        unsafe { berth_error_free(err) };
    }

    #[test]
    fn success_leaves_the_error_slot_alone() {
        let sentinel = 0x10 as *mut BerthError;
        let mut err = sentinel;
        assert_eq!(guard(&mut err, || Ok(())), BerthResult::Ok);
        assert_eq!(err, sentinel);
        // A NULL error slot is allowed on failure.
        assert_eq!(
            guard(std::ptr::null_mut(), || Err(Fail::null("x"))),
            BerthResult::NullArgument
        );
    }

    #[test]
    fn answers_lose_their_trailing_newline_and_nul_bytes_are_refused() {
        let p = owned_string(b"[]\n".to_vec(), "t").expect("a C string");
        // SAFETY: p came from owned_string.
        assert_eq!(unsafe { CStr::from_ptr(p) }.to_bytes(), b"[]");
        // SAFETY: freed once.
        unsafe { berth_string_free(p) };
        assert_eq!(
            owned_string(b"a\0b".to_vec(), "t").err().map(|f| f.result),
            Some(BerthResult::Other)
        );
    }
}
