//! Vectors for every converter of `options`, and golden create bodies.
//!
//! Each expectation is an exact value (docker-py's output where berth agrees with it,
//! berth's documented choice where it does not), so a changed conversion fails.

mod binds;
mod container;
mod env;
mod golden;
mod ports;
mod types;
mod units;

use crate::error::Error;

/// The message of an `InvalidArgument`, or a panic naming what came instead.
fn invalid<T: std::fmt::Debug>(r: crate::Result<T>) -> String {
    match r {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}
