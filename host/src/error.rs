//! The error of the berth client.

use std::fmt;

pub use berth_core::Category;

/// Result alias of the berth client.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed berth call.
///
/// It wraps the categorised [`berth_core::Error`] (what happened, the daemon's message
/// verbatim) and, for transport failures, the underlying I/O error as `source()`.
///
/// ```
/// let e = berth::Error::from(berth_core::Error::from_response(404, br#"{"message":"No such container: x"}"#));
/// assert!(e.is_not_found());
/// assert_eq!(e.status(), Some(404));
/// ```
pub struct Error {
    kind: berth_core::Error,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error of `kind` caused by `source`.
    pub fn with_source(
        kind: berth_core::Error,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error {
            kind,
            source: Some(Box::new(source)),
        }
    }

    /// A timeout with a message saying what timed out.
    pub(crate) fn timeout(message: impl Into<String>) -> Error {
        berth_core::Error::Timeout(message.into()).into()
    }

    /// The categorised error.
    pub fn kind(&self) -> &berth_core::Error {
        &self.kind
    }

    /// Consumes the error, returning the categorised core error.
    pub fn into_kind(self) -> berth_core::Error {
        self.kind
    }

    /// The category (stable across the Rust, WIT and C faces).
    pub fn category(&self) -> Category {
        self.kind.category()
    }

    /// The HTTP status of the daemon's error response, if any.
    pub fn status(&self) -> Option<u16> {
        self.kind.status()
    }

    /// The daemon's message, verbatim, if the daemon produced this error.
    pub fn daemon_message(&self) -> Option<&str> {
        self.kind.daemon_message()
    }

    /// True when an object (container, image, …) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind.is_not_found()
    }

    /// True when a timeout elapsed.
    pub fn is_timeout(&self) -> bool {
        self.kind.is_timeout()
    }

    /// True when the daemon could not be reached or the connection failed.
    pub fn is_transport(&self) -> bool {
        matches!(self.kind, berth_core::Error::Transport(_))
    }
}

impl From<berth_core::Error> for Error {
    fn from(kind: berth_core::Error) -> Error {
        Error { kind, source: None }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
