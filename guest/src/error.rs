//! The WIT `error-code` and berth-core's [`Error`], both ways.

use berth_core::{DaemonMessage, Error};

use crate::bindings::berth::engine::types::{DaemonError, ErrorCode};

/// Prefix of a [`Error::PolicyDenied`] that came from a host limit
/// (`error-code::limit-exceeded`), so that it maps back unchanged.
const LIMIT: &str = "host limit exceeded: ";

fn daemon(d: DaemonError) -> DaemonMessage {
    DaemonMessage {
        status: d.status,
        message: d.message,
    }
}

fn wit(m: &DaemonMessage) -> DaemonError {
    DaemonError {
        status: m.status,
        message: m.message.clone(),
    }
}

/// The berth-core error for a WIT `error-code`.
///
/// `limit-exceeded` (a host quota) becomes [`Error::PolicyDenied`] with a message
/// starting `host limit exceeded: `; `container-exit` becomes [`Error::ContainerExit`]
/// with the text as its stderr; `unsupported-api-version` becomes
/// [`Error::InvalidArgument`] (the versions are in the text).
pub fn error_of(code: ErrorCode) -> Error {
    match code {
        ErrorCode::NotModified(d) => Error::NotModified(daemon(d)),
        ErrorCode::BadRequest(d) => Error::BadRequest(daemon(d)),
        ErrorCode::Unauthorized(d) => Error::Unauthorized(daemon(d)),
        ErrorCode::Forbidden(d) => Error::Forbidden(daemon(d)),
        ErrorCode::NotFound(d) => Error::NotFound(daemon(d)),
        ErrorCode::ImageNotFound(d) => Error::ImageNotFound(daemon(d)),
        ErrorCode::NotInSwarm(d) => Error::NotInSwarm(daemon(d)),
        ErrorCode::Conflict(d) => Error::Conflict(daemon(d)),
        ErrorCode::Server(d) => Error::Server(daemon(d)),
        ErrorCode::NotImplemented(d) => Error::NotImplemented(daemon(d)),
        ErrorCode::Unavailable(d) => Error::Unavailable(daemon(d)),
        ErrorCode::Api(d) => Error::Api(daemon(d)),
        ErrorCode::StreamFailed(m) => Error::Stream {
            message: m,
            code: None,
        },
        ErrorCode::InvalidArgument(m) => Error::InvalidArgument(m),
        ErrorCode::Decode(m) => Error::Decode(m),
        ErrorCode::Protocol(m) => Error::Protocol(m),
        ErrorCode::UnsupportedApiVersion(m) => {
            Error::InvalidArgument(format!("unsupported API version: {m}"))
        }
        ErrorCode::PolicyDenied(m) => Error::PolicyDenied(m),
        ErrorCode::Transport(m) => Error::Transport(m),
        ErrorCode::Timeout(m) => Error::Timeout(m),
        ErrorCode::Cancelled => Error::Cancelled,
        ErrorCode::ContainerExit(m) => Error::ContainerExit {
            container: String::new(),
            exit_status: -1,
            command: Vec::new(),
            image: String::new(),
            stderr: m,
        },
        ErrorCode::LimitExceeded(m) => Error::PolicyDenied(format!("{LIMIT}{m}")),
    }
}

/// The WIT `error-code` for a berth-core error (what the engine component returns).
pub fn error_code_of(e: &Error) -> ErrorCode {
    match e {
        Error::NotModified(m) => ErrorCode::NotModified(wit(m)),
        Error::BadRequest(m) => ErrorCode::BadRequest(wit(m)),
        Error::Unauthorized(m) => ErrorCode::Unauthorized(wit(m)),
        Error::Forbidden(m) => ErrorCode::Forbidden(wit(m)),
        Error::NotFound(m) => ErrorCode::NotFound(wit(m)),
        Error::ImageNotFound(m) => ErrorCode::ImageNotFound(wit(m)),
        Error::NotInSwarm(m) => ErrorCode::NotInSwarm(wit(m)),
        Error::Conflict(m) => ErrorCode::Conflict(wit(m)),
        Error::Server(m) => ErrorCode::Server(wit(m)),
        Error::NotImplemented(m) => ErrorCode::NotImplemented(wit(m)),
        Error::Unavailable(m) => ErrorCode::Unavailable(wit(m)),
        Error::Api(m) => ErrorCode::Api(wit(m)),
        Error::Stream { message, .. } => ErrorCode::StreamFailed(message.clone()),
        Error::InvalidArgument(m) => ErrorCode::InvalidArgument(m.clone()),
        Error::Decode(m) => ErrorCode::Decode(m.clone()),
        Error::Protocol(m) => ErrorCode::Protocol(m.clone()),
        e @ Error::UnsupportedApiVersion { .. } => ErrorCode::UnsupportedApiVersion(e.to_string()),
        Error::PolicyDenied(m) => match m.strip_prefix(LIMIT) {
            Some(rest) => ErrorCode::LimitExceeded(rest.to_owned()),
            None => ErrorCode::PolicyDenied(m.clone()),
        },
        Error::Transport(m) => ErrorCode::Transport(m.clone()),
        Error::Timeout(m) => ErrorCode::Timeout(m.clone()),
        Error::Cancelled => ErrorCode::Cancelled,
        e @ Error::ContainerExit { .. } => ErrorCode::ContainerExit(e.to_string()),
        other => ErrorCode::Protocol(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_errors_round_trip() {
        let e = Error::from_response(404, br#"{"message":"No such container: x"}"#);
        let code = error_code_of(&e);
        assert!(
            matches!(&code, ErrorCode::NotFound(d) if d.status == 404 && d.message == "No such container: x")
        );
        assert_eq!(error_of(code), e);
    }

    #[test]
    fn limits_and_policy_stay_apart() {
        let limit = error_of(ErrorCode::LimitExceeded("64 open handles".into()));
        assert!(matches!(&limit, Error::PolicyDenied(m) if m.ends_with("64 open handles")));
        assert!(
            matches!(error_code_of(&limit), ErrorCode::LimitExceeded(m) if m == "64 open handles")
        );
        let denied = error_of(ErrorCode::PolicyDenied("privileged".into()));
        assert!(matches!(error_code_of(&denied), ErrorCode::PolicyDenied(m) if m == "privileged"));
    }

    #[test]
    fn stream_errors_keep_the_message() {
        let e = error_of(ErrorCode::StreamFailed("manifest unknown".into()));
        assert_eq!(e.daemon_message(), Some("manifest unknown"));
    }
}
