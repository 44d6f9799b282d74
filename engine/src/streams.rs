//! The stream resources of `common` (and `system.event-stream`).

use std::cell::RefCell;

use berth_core::Result as CoreResult;
use berth_core::stream::{Frame, StreamKind};
use berth_guest::{ByteStream, Session};
use serde_json::Value;

use crate::bindings::exports::berth::engine::common::{
    self, GuestByteStream, GuestJsonStream, GuestOutputStream, GuestProgressStream, GuestSession,
    OutputFrame, Progress, StdStream,
};
use crate::{Engine, R, borrow, err, opt_text};

/// A boxed iterator of items or errors.
pub(crate) type Items<T> = Box<dyn Iterator<Item = CoreResult<T>>>;

/// Next item of an iterator of results, as the WIT answer.
fn next_of<T, U>(items: &RefCell<Items<T>>, f: impl FnOnce(T) -> U) -> R<Option<U>> {
    match borrow(items)?.next() {
        None => Ok(None),
        Some(Ok(v)) => Ok(Some(f(v))),
        Some(Err(e)) => Err(err(e)),
    }
}

/// A frame as the WIT record.
pub(crate) fn frame(f: Frame) -> OutputFrame {
    OutputFrame {
        origin: match f.stream {
            StreamKind::Stdin => StdStream::Stdin,
            StreamKind::Stdout => StdStream::Stdout,
            StreamKind::Stderr => StdStream::Stderr,
        },
        data: f.data.to_vec(),
    }
}

/// A progress item (pull, push, build, plugin install) as the WIT record.
pub(crate) fn progress(v: Value) -> Progress {
    let detail = v.get("progressDetail");
    let num = |k: &str| detail.and_then(|d| d.get(k)).and_then(Value::as_u64);
    Progress {
        id: opt_text(&v, "id"),
        status: opt_text(&v, "status"),
        current: num("current"),
        total: num("total"),
        message: opt_text(&v, "stream"),
        aux: v.get("aux").map(Value::to_string),
        attrs: v.to_string(),
    }
}

/// Container output.
pub struct OutputStreamImpl(pub(crate) RefCell<Items<Frame>>);

impl GuestOutputStream for OutputStreamImpl {
    fn next(&self) -> R<Option<OutputFrame>> {
        next_of(&self.0, frame)
    }
}

/// An upgraded session.
pub struct SessionImpl(pub(crate) RefCell<Session>);

impl GuestSession for SessionImpl {
    fn next(&self) -> R<Option<OutputFrame>> {
        match borrow(&self.0)?.next() {
            None => Ok(None),
            Some(Ok(f)) => Ok(Some(frame(f))),
            Some(Err(e)) => Err(err(e)),
        }
    }

    fn write_stdin(&self, data: Vec<u8>) -> R<()> {
        borrow(&self.0)?.write_stdin(&data).map_err(err)
    }

    fn close_stdin(&self) -> R<()> {
        borrow(&self.0)?.close_stdin().map_err(err)
    }
}

/// Progress items (raw JSON, converted on the way out).
pub struct ProgressStreamImpl(pub(crate) RefCell<Items<Value>>);

impl GuestProgressStream for ProgressStreamImpl {
    fn next(&self) -> R<Option<Progress>> {
        next_of(&self.0, progress)
    }
}

/// JSON documents.
pub struct JsonStreamImpl(pub(crate) RefCell<Items<Value>>);

impl GuestJsonStream for JsonStreamImpl {
    fn next(&self) -> R<Option<String>> {
        next_of(&self.0, |v| v.to_string())
    }
}

/// Opaque bytes.
pub struct ByteStreamImpl(pub(crate) RefCell<ByteStream>);

impl GuestByteStream for ByteStreamImpl {
    fn read(&self, max: u64) -> R<Vec<u8>> {
        borrow(&self.0)?.read_chunk(max).map_err(err)
    }
}

impl common::Guest for Engine {
    type OutputStream = OutputStreamImpl;
    type Session = SessionImpl;
    type ProgressStream = ProgressStreamImpl;
    type JsonStream = JsonStreamImpl;
    type ByteStream = ByteStreamImpl;
}

/// Wraps an iterator of frames as the exported resource.
pub(crate) fn output_stream(
    frames: impl Iterator<Item = CoreResult<Frame>> + 'static,
) -> common::OutputStream {
    common::OutputStream::new(OutputStreamImpl(RefCell::new(Box::new(frames))))
}

/// Wraps an iterator of typed items as a progress stream of their raw JSON.
pub(crate) fn progress_stream<T: 'static>(
    items: impl Iterator<Item = CoreResult<berth_core::Typed<T>>> + 'static,
) -> common::ProgressStream {
    let values = items.map(|r| r.map(crate::value_of));
    common::ProgressStream::new(ProgressStreamImpl(RefCell::new(Box::new(values))))
}

/// Wraps a byte stream as the exported resource.
pub(crate) fn byte_stream(bytes: ByteStream) -> common::ByteStream {
    common::ByteStream::new(ByteStreamImpl(RefCell::new(bytes)))
}

/// Wraps a session as the exported resource.
pub(crate) fn session(s: Session) -> common::Session {
    common::Session::new(SessionImpl(RefCell::new(s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn progress_items_keep_their_fields() {
        let p = progress(json!({"id": "a1", "status": "Downloading",
            "progressDetail": {"current": 5, "total": 10}}));
        assert_eq!(p.id.as_deref(), Some("a1"));
        assert_eq!((p.current, p.total), (Some(5), Some(10)));
        let b = progress(json!({"stream": "Step 1/2\n"}));
        assert_eq!(b.message.as_deref(), Some("Step 1/2\n"));
        let a = progress(json!({"aux": {"ID": "sha256:1"}}));
        assert_eq!(a.aux.as_deref(), Some(r#"{"ID":"sha256:1"}"#));
    }
}
