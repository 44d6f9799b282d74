//! The one error type of berth-core.
//!
//! Every failure has a [`Category`] (what kind of thing went wrong, stable across the
//! Rust, WIT and C faces) and keeps the daemon's own message verbatim when the daemon
//! produced it.

use std::fmt;

use crate::version::ApiVersion;

/// Result alias used throughout berth-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the daemon said in an error response: its HTTP status and its `message`,
/// verbatim (or the trimmed body when it was not JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonMessage {
    /// HTTP status of the response.
    pub status: u16,
    /// The daemon's `{"message": …}` text, unchanged.
    pub message: String,
}

/// A failure of a berth operation.
///
/// The variants are the categories of DESIGN.md. Errors that come from the daemon carry
/// a [`DaemonMessage`]; errors detected locally carry a message saying what was asked
/// and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// 304: the object was already in the requested state (start/stop). Operations
    /// where this is success never return it.
    NotModified(DaemonMessage),
    /// 400: a bad parameter or body.
    BadRequest(DaemonMessage),
    /// 401: registry authentication failed.
    Unauthorized(DaemonMessage),
    /// 403: the daemon forbids the operation.
    Forbidden(DaemonMessage),
    /// 404: no such object.
    NotFound(DaemonMessage),
    /// 404 about an image (docker-py's `ImageNotFound`).
    ImageNotFound(DaemonMessage),
    /// 406: the node is not part of a swarm.
    NotInSwarm(DaemonMessage),
    /// 409: name conflict, object in use, container not running, out-of-sequence update.
    Conflict(DaemonMessage),
    /// 500: the daemon failed.
    Server(DaemonMessage),
    /// 501: the daemon does not implement this (log driver without read support, …).
    NotImplemented(DaemonMessage),
    /// 503: swarm unavailable, node not a manager.
    Unavailable(DaemonMessage),
    /// Any other error status.
    Api(DaemonMessage),
    /// An error object inside a successful (200) JSON stream, or a stream-3
    /// (`systemerr`) frame of a multiplexed stream.
    Stream {
        /// The daemon's message, verbatim.
        message: String,
        /// `errorDetail.code` when the daemon sent one.
        code: Option<i64>,
    },
    /// The caller's input is invalid; nothing was sent.
    InvalidArgument(String),
    /// The daemon's answer could not be decoded.
    Decode(String),
    /// The wire protocol was violated (bad frame, bad HTTP, truncated stream).
    Protocol(String),
    /// The operation needs a newer Engine API than the one negotiated.
    UnsupportedApiVersion {
        /// What was asked, e.g. `container logs (until)`.
        operation: String,
        /// The API version the operation needs.
        required: ApiVersion,
        /// The API version in use with this daemon.
        negotiated: ApiVersion,
    },
    /// A berth policy refused the request before it left.
    PolicyDenied(String),
    /// The connection to the daemon failed.
    Transport(String),
    /// A timeout elapsed.
    Timeout(String),
    /// The caller cancelled the operation.
    Cancelled,
    /// A container run to completion exited non-zero (docker-py's `ContainerError`).
    ContainerExit {
        /// Container id.
        container: String,
        /// Its exit status.
        exit_status: i64,
        /// The command it ran.
        command: Vec<String>,
        /// The image it ran.
        image: String,
        /// What it wrote to stderr (empty if its logs were gone).
        stderr: String,
    },
}

/// The category of an [`Error`]: a small, stable, copyable code shared by the WIT
/// `error-code` and the C `berth_error_category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum Category {
    /// See [`Error::NotModified`].
    NotModified = 1,
    /// See [`Error::BadRequest`].
    BadRequest = 2,
    /// See [`Error::Unauthorized`].
    Unauthorized = 3,
    /// See [`Error::Forbidden`].
    Forbidden = 4,
    /// See [`Error::NotFound`].
    NotFound = 5,
    /// See [`Error::ImageNotFound`].
    ImageNotFound = 6,
    /// See [`Error::NotInSwarm`].
    NotInSwarm = 7,
    /// See [`Error::Conflict`].
    Conflict = 8,
    /// See [`Error::Server`].
    Server = 9,
    /// See [`Error::NotImplemented`].
    NotImplemented = 10,
    /// See [`Error::Unavailable`].
    Unavailable = 11,
    /// See [`Error::Api`].
    Api = 12,
    /// See [`Error::Stream`].
    Stream = 13,
    /// See [`Error::InvalidArgument`].
    InvalidArgument = 14,
    /// See [`Error::Decode`].
    Decode = 15,
    /// See [`Error::Protocol`].
    Protocol = 16,
    /// See [`Error::UnsupportedApiVersion`].
    UnsupportedApiVersion = 17,
    /// See [`Error::PolicyDenied`].
    PolicyDenied = 18,
    /// See [`Error::Transport`].
    Transport = 19,
    /// See [`Error::Timeout`].
    Timeout = 20,
    /// See [`Error::Cancelled`].
    Cancelled = 21,
    /// See [`Error::ContainerExit`].
    ContainerExit = 22,
}

impl Error {
    /// Maps an error response of the daemon onto its category.
    ///
    /// `body` is the response body; its JSON `message` is kept verbatim, a non-JSON
    /// body is kept trimmed, and an empty body becomes the status' reason phrase.
    ///
    /// ```
    /// use berth_core::Error;
    /// let e = Error::from_response(404, br#"{"message":"No such image: nope:latest"}"#);
    /// assert!(matches!(e, Error::ImageNotFound(_)));
    /// assert_eq!(e.daemon_message(), Some("No such image: nope:latest"));
    /// ```
    pub fn from_response(status: u16, body: &[u8]) -> Error {
        let message = daemon_message_of(status, body);
        let m = DaemonMessage { status, message };
        match status {
            304 => Error::NotModified(m),
            400 => Error::BadRequest(m),
            401 => Error::Unauthorized(m),
            403 => Error::Forbidden(m),
            404 if is_image_not_found(&m.message) => Error::ImageNotFound(m),
            404 => Error::NotFound(m),
            406 => Error::NotInSwarm(m),
            409 => Error::Conflict(m),
            500 => Error::Server(m),
            501 => Error::NotImplemented(m),
            503 => Error::Unavailable(m),
            _ => Error::Api(m),
        }
    }

    /// The category of this error.
    pub fn category(&self) -> Category {
        match self {
            Error::NotModified(_) => Category::NotModified,
            Error::BadRequest(_) => Category::BadRequest,
            Error::Unauthorized(_) => Category::Unauthorized,
            Error::Forbidden(_) => Category::Forbidden,
            Error::NotFound(_) => Category::NotFound,
            Error::ImageNotFound(_) => Category::ImageNotFound,
            Error::NotInSwarm(_) => Category::NotInSwarm,
            Error::Conflict(_) => Category::Conflict,
            Error::Server(_) => Category::Server,
            Error::NotImplemented(_) => Category::NotImplemented,
            Error::Unavailable(_) => Category::Unavailable,
            Error::Api(_) => Category::Api,
            Error::Stream { .. } => Category::Stream,
            Error::InvalidArgument(_) => Category::InvalidArgument,
            Error::Decode(_) => Category::Decode,
            Error::Protocol(_) => Category::Protocol,
            Error::UnsupportedApiVersion { .. } => Category::UnsupportedApiVersion,
            Error::PolicyDenied(_) => Category::PolicyDenied,
            Error::Transport(_) => Category::Transport,
            Error::Timeout(_) => Category::Timeout,
            Error::Cancelled => Category::Cancelled,
            Error::ContainerExit { .. } => Category::ContainerExit,
        }
    }

    /// The daemon's reply when the daemon produced this error.
    pub fn daemon(&self) -> Option<&DaemonMessage> {
        match self {
            Error::NotModified(m)
            | Error::BadRequest(m)
            | Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::ImageNotFound(m)
            | Error::NotInSwarm(m)
            | Error::Conflict(m)
            | Error::Server(m)
            | Error::NotImplemented(m)
            | Error::Unavailable(m)
            | Error::Api(m) => Some(m),
            _ => None,
        }
    }

    /// The HTTP status of the daemon's error response, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.daemon().map(|m| m.status)
    }

    /// The daemon's message, verbatim, if the daemon produced this error.
    pub fn daemon_message(&self) -> Option<&str> {
        match self {
            Error::Stream { message, .. } => Some(message),
            _ => self.daemon().map(|m| m.message.as_str()),
        }
    }

    /// True for [`Error::NotFound`] and [`Error::ImageNotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_) | Error::ImageNotFound(_))
    }

    /// True for [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// True when the daemon says the client's API version is too old or too new
    /// (a 400 whose message names the version). Such a daemon needs negotiation.
    pub fn is_api_version_rejected(&self) -> bool {
        match self {
            Error::BadRequest(m) => {
                let l = m.message.to_ascii_lowercase();
                l.contains("client version") || l.contains("minimum supported api version")
            }
            _ => false,
        }
    }
}

/// docker-py's `ImageNotFound` test: a 404 whose message names a missing image.
fn is_image_not_found(message: &str) -> bool {
    let l = message.to_ascii_lowercase();
    l.contains("no such image")
        || l.contains("not found: does not exist or no pull access")
        || l.contains("repository does not exist")
        || l.contains("was found but does not match the specified platform")
}

fn daemon_message_of(status: u16, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        message: String,
    }
    if let Ok(b) = serde_json::from_slice::<Body>(body) {
        return b.message;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if !text.is_empty() {
        return text.to_owned();
    }
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("no message")
        .to_owned()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotModified(m) => write!(f, "not modified ({}): {}", m.status, m.message),
            Error::BadRequest(m) => write!(f, "bad request ({}): {}", m.status, m.message),
            Error::Unauthorized(m) => write!(f, "unauthorized ({}): {}", m.status, m.message),
            Error::Forbidden(m) => write!(f, "forbidden ({}): {}", m.status, m.message),
            Error::NotFound(m) => write!(f, "not found ({}): {}", m.status, m.message),
            Error::ImageNotFound(m) => write!(f, "image not found ({}): {}", m.status, m.message),
            Error::NotInSwarm(m) => write!(f, "not in a swarm ({}): {}", m.status, m.message),
            Error::Conflict(m) => write!(f, "conflict ({}): {}", m.status, m.message),
            Error::Server(m) => write!(f, "daemon error ({}): {}", m.status, m.message),
            Error::NotImplemented(m) => write!(f, "not implemented ({}): {}", m.status, m.message),
            Error::Unavailable(m) => write!(f, "unavailable ({}): {}", m.status, m.message),
            Error::Api(m) => write!(f, "daemon error ({}): {}", m.status, m.message),
            Error::Stream {
                message,
                code: Some(c),
            } => write!(f, "error in stream (code {c}): {message}"),
            Error::Stream {
                message,
                code: None,
            } => write!(f, "error in stream: {message}"),
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::Decode(m) => write!(f, "cannot decode the daemon's answer: {m}"),
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::UnsupportedApiVersion {
                operation,
                required,
                negotiated,
            } => write!(
                f,
                "{operation} needs Engine API {required}, but this daemon speaks {negotiated}; \
                 upgrade the daemon or avoid this option"
            ),
            Error::PolicyDenied(m) => write!(f, "denied by policy: {m}"),
            Error::Transport(m) => write!(f, "transport error: {m}"),
            Error::Timeout(m) => write!(f, "timed out: {m}"),
            Error::Cancelled => f.write_str("cancelled"),
            Error::ContainerExit {
                container,
                exit_status,
                command,
                image,
                stderr,
            } => {
                let short = &container[..container.len().min(12)];
                write!(
                    f,
                    "command {command:?} in image {image} (container {short}) exited with status {exit_status}"
                )?;
                if !stderr.is_empty() {
                    write!(f, ": {}", stderr.trim_end())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping_covers_every_documented_code() {
        let cases: &[(u16, Category)] = &[
            (304, Category::NotModified),
            (400, Category::BadRequest),
            (401, Category::Unauthorized),
            (403, Category::Forbidden),
            (404, Category::NotFound),
            (406, Category::NotInSwarm),
            (409, Category::Conflict),
            (500, Category::Server),
            (501, Category::NotImplemented),
            (503, Category::Unavailable),
            (418, Category::Api),
        ];
        for &(status, cat) in cases {
            let e = Error::from_response(status, br#"{"message":"m"}"#);
            assert_eq!(e.category(), cat, "status {status}");
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.daemon_message(), Some("m"));
        }
    }

    #[test]
    fn image_not_found_messages() {
        for msg in [
            "No such image: busybox:nope",
            "pull access denied for x, repository does not exist or may require 'docker login'",
            "manifest for x:y not found: does not exist or no pull access",
            "image with reference x was found but does not match the specified platform",
        ] {
            let body = serde_json::json!({ "message": msg }).to_string();
            let e = Error::from_response(404, body.as_bytes());
            assert!(matches!(e, Error::ImageNotFound(_)), "{msg}");
            assert!(e.is_not_found());
        }
        let e = Error::from_response(404, br#"{"message":"No such container: x"}"#);
        assert!(matches!(e, Error::NotFound(_)));
    }

    #[test]
    fn message_kept_verbatim_or_from_text_or_reason() {
        let e = Error::from_response(500, br#"{"message":"  spaced \u00e9 "}"#);
        assert_eq!(e.daemon_message(), Some("  spaced é "));
        let e = Error::from_response(500, b"plain text failure\n");
        assert_eq!(e.daemon_message(), Some("plain text failure"));
        let e = Error::from_response(503, b"");
        assert_eq!(e.daemon_message(), Some("Service Unavailable"));
        let e = Error::from_response(599, b"");
        assert_eq!(e.daemon_message(), Some("no message"));
    }

    #[test]
    fn api_version_rejection_is_recognised() {
        let e = Error::from_response(
            400,
            br#"{"message":"client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}"#,
        );
        assert!(e.is_api_version_rejected());
        assert!(!Error::from_response(400, b"{\"message\":\"bad\"}").is_api_version_rejected());
    }

    #[test]
    fn display_names_what_to_do_for_version() {
        let e = Error::UnsupportedApiVersion {
            operation: "container logs (until)".into(),
            required: ApiVersion::new(1, 35),
            negotiated: ApiVersion::new(1, 30),
        };
        let s = e.to_string();
        assert!(s.contains("1.35") && s.contains("1.30") && s.contains("container logs"));
    }
}
