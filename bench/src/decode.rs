//! Where the inspect/list time goes: the cost of decoding the body alone, in process,
//! without I/O, for the decoders berth and bollard use.

use std::hint::black_box;
use std::time::Instant;

use berth::api::containers::ContainerInspect;
use berth::core::endpoint::{Endpoint, Response};
use berth::models::{ContainerInspectResponse, ContainerSummary};
use serde::de::DeserializeOwned;

use crate::stats::summarize;
use crate::{Result, nanos, us};

/// p50 in ns of `n` runs of `f` (after `n / 10` unmeasured ones).
fn p50<T, E: std::fmt::Display>(n: usize, mut f: impl FnMut() -> Result<T, E>) -> Result<u64> {
    for _ in 0..n / 10 {
        black_box(f().map_err(|e| e.to_string())?);
    }
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let x = f().map_err(|e| e.to_string())?;
        v.push(nanos(t.elapsed()));
        black_box(x);
    }
    Ok(summarize(&mut v).ok_or("no samples")?.p50)
}

/// Decoding costs of one body: berth's endpoint parser (JSON → `serde_json::Value` →
/// typed view through `serde_path_to_error`), bollard's (`serde_json::from_slice` into
/// the model), and the `Value` step alone.
fn line<E, T>(what: &str, endpoint: &E, body: &[u8], n: usize) -> Result<String>
where
    E: Endpoint,
    T: DeserializeOwned,
{
    let headers = http::HeaderMap::new();
    let berth = p50(n, || {
        endpoint.parse(Response {
            status: 200,
            headers: &headers,
            body,
        })
    })?;
    let typed = p50(n, || serde_json::from_slice::<T>(body))?;
    let value = p50(n, || serde_json::from_slice::<serde_json::Value>(body))?;
    Ok(format!(
        "  {what:<8} body {:>6} B: berth parse {:>6.1} µs (Value + typed view), \
         serde_json → model (bollard's way) {:>6.1} µs, serde_json → Value alone {:>6.1} µs",
        body.len(),
        us(berth),
        us(typed),
        us(value)
    ))
}

/// Prints the decode costs of the given inspect and list bodies.
pub fn report(
    container: &str,
    n: usize,
    inspect: Option<&[u8]>,
    list: Option<&[u8]>,
) -> Result<()> {
    println!(
        "decode only (in process, no I/O; body fetched once by the raw client; p50 of N={n}):"
    );
    if let Some(body) = inspect {
        let e = ContainerInspect::new(container);
        println!(
            "{}",
            line::<_, ContainerInspectResponse>("inspect", &e, body, n)?
        );
    }
    if let Some(body) = list {
        let e = crate::berth_list_all();
        println!("{}", line::<_, Vec<ContainerSummary>>("list", &e, body, n)?);
    }
    Ok(())
}
