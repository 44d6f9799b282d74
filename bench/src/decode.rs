//! Where the inspect/list time goes: the cost of decoding the body alone, in process,
//! without I/O, for the decoders berth and bollard use.

use std::hint::black_box;
use std::time::Instant;

use berth::api::containers::ContainerInspect;
use berth::core::endpoint::{Endpoint, Response};
use berth::models::{ContainerInspectResponse, ContainerSummary};
use serde::de::DeserializeOwned;

use berth::core::stream::{Decoder, MuxDecoder};

use crate::report::Report;
use crate::stats::summarize;
use crate::{Result, median_f64, min_max_f64, nanos, us};

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

/// Decoding costs of one body: berth's endpoint parser (lazy for these answers: the
/// JSON checked, the typed view decoded on first use), the same with every typed view
/// read (`view`), bollard's (`serde_json::from_slice` into the model), and a
/// `serde_json::Value` alone.
fn line<E, T>(
    what: &str,
    endpoint: &E,
    body: &[u8],
    n: usize,
    view: fn(&E::Output),
) -> Result<String>
where
    E: Endpoint,
    T: DeserializeOwned,
{
    let headers = berth::core::headers::Headers::new();
    let parse = || {
        endpoint.parse(Response {
            status: 200,
            headers: &headers,
            body,
        })
    };
    let berth = p50(n, parse)?;
    let viewed = p50(n, || parse().inspect(view))?;
    let typed = p50(n, || serde_json::from_slice::<T>(body))?;
    let value = p50(n, || serde_json::from_slice::<serde_json::Value>(body))?;
    Ok(format!(
        "  {what:<8} body {:>6} B: berth parse {:>6.1} µs (lazy: JSON checked), {:>6.1} µs with \
         the typed view read; serde_json → model (bollard's way) {:>6.1} µs, serde_json → \
         Value alone {:>6.1} µs",
        body.len(),
        us(berth),
        us(viewed),
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
            line::<_, ContainerInspectResponse>("inspect", &e, body, n, |t| {
                black_box(t.typed());
            })?
        );
    }
    if let Some(body) = list {
        let e = crate::berth_list_all();
        let read_all: fn(&Vec<berth::Typed<ContainerSummary>>) = |items| {
            for item in items {
                black_box(item.typed());
            }
        };
        println!(
            "{}",
            line::<_, Vec<ContainerSummary>>("list", &e, body, n, read_all)?
        );
    }
    Ok(())
}

/// Payload bytes per frame in the demux measure: the daemon copies container output in
/// 32 KiB buffers, so its frames are at most that.
const DEMUX_FRAME: usize = 32 << 10;
/// Bytes per push: what one socket read hands the decoder.
const DEMUX_CHUNK: usize = 64 << 10;
/// Size of the multiplexed stream decoded per pass.
const DEMUX_STREAM: usize = 256 << 20;
/// Measured passes (median reported), after one unmeasured.
const DEMUX_PASSES: usize = 5;
/// The DESIGN.md target for the demultiplexer.
const DEMUX_TARGET_GBPS: f64 = 5.0;

/// A multiplexed stream of `total` payload bytes in `frame`-byte frames, alternating
/// stdout and stderr.
fn mux_stream(total: usize, frame: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + total / frame * 8 + 8);
    let mut left = total;
    let mut i = 0u8;
    while left > 0 {
        let n = left.min(frame);
        out.push(1 + (i & 1));
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
        out.extend(std::iter::repeat_n(b'x', n));
        left -= n;
        i = i.wrapping_add(1);
    }
    out
}

/// One pass: `stream` pushed in `chunk`-byte pieces, every frame taken out; the payload
/// bytes seen.
fn demux_pass(stream: &[u8], chunk: usize) -> Result<usize> {
    let mut d = MuxDecoder::new();
    let mut payload = 0;
    for piece in stream.chunks(chunk) {
        d.push(piece);
        while let Some(f) = d.next()? {
            payload += black_box(f).data.len();
        }
    }
    while let Some(f) = d.finish()? {
        payload += f.data.len();
    }
    Ok(payload)
}

/// The multiplexed demuxer's throughput in process (GB/s of payload, 10^9 B/s).
pub fn demux(report: &mut Report) -> Result<()> {
    let stream = mux_stream(DEMUX_STREAM, DEMUX_FRAME);
    println!();
    println!(
        "decode: multiplexed demux (berth_core::stream::MuxDecoder) of a {DEMUX_STREAM} byte \
         payload in {DEMUX_FRAME} byte frames, pushed {DEMUX_CHUNK} bytes at a time, every \
         frame taken; in process, no I/O; median of {DEMUX_PASSES} passes after 1"
    );
    let mut gbps = Vec::with_capacity(DEMUX_PASSES);
    for pass in 0..=DEMUX_PASSES {
        let t = Instant::now();
        let n = demux_pass(&stream, DEMUX_CHUNK)?;
        let secs = t.elapsed().as_secs_f64();
        if n != DEMUX_STREAM {
            return Err(format!("demux yielded {n} payload bytes of {DEMUX_STREAM}").into());
        }
        if pass > 0 {
            gbps.push(n as f64 / secs / 1e9);
        }
    }
    let g = median_f64(&gbps);
    let (lo, hi) = min_max_f64(&gbps);
    println!("  {g:.2} GB/s (min {lo:.2}, max {hi:.2})");
    println!(
        "verdict decode   demux ≥ {DEMUX_TARGET_GBPS:.0} GB/s: {} ({g:.2} GB/s)",
        if g >= DEMUX_TARGET_GBPS { "yes" } else { "no" }
    );
    report.row(
        "multiplexed demux in process (32 KiB frames, 64 KiB pushes)",
        "–",
        format!("{g:.1} GB/s"),
        format!("≥ {DEMUX_TARGET_GBPS:.0} GB/s"),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demux_pass_sees_every_payload_byte() {
        let stream = mux_stream(100_000, 4096);
        // Pushes that split headers and payloads at odd places.
        for chunk in [1, 7, 4103, 65536] {
            assert_eq!(
                demux_pass(&stream, chunk).ok(),
                Some(100_000),
                "chunk {chunk}"
            );
        }
    }
}
