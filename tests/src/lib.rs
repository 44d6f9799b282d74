//! Shared helpers for berth integration tests.
