//! Latency summaries.

/// Summary of one (operation, client) sample set, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub min: u64,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
}

/// The `p`-th percentile (0 < p ≤ 100) of ascending `sorted` by the nearest-rank method:
/// the smallest sample such that at least `p`% of the samples are ≤ it. No interpolation,
/// so the answer is always a measured value. `None` for an empty slice.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // rank = ceil(p/100 · n), clamped to 1..=n.
    let rank = (p / 100.0 * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// Sorts `samples` and summarises them; `None` if there are none.
pub fn summarize(samples: &mut [u64]) -> Option<Summary> {
    samples.sort_unstable();
    let n = samples.len();
    let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
    Some(Summary {
        n,
        min: *samples.first()?,
        p50: percentile(samples, 50.0)?,
        p99: percentile(samples, 99.0)?,
        max: *samples.last()?,
        mean: sum as f64 / n as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.1), Some(1));

        let v = [10, 20, 30, 40];
        assert_eq!(percentile(&v, 50.0), Some(20));
        assert_eq!(percentile(&v, 51.0), Some(30));
        assert_eq!(percentile(&v, 99.0), Some(40));

        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn summary_sorts_and_averages() {
        let mut v = vec![5, 1, 4, 2, 3];
        let s = summarize(&mut v).expect("non-empty samples");
        assert_eq!((s.n, s.min, s.p50, s.p99, s.max), (5, 1, 3, 5, 5));
        assert!((s.mean - 3.0).abs() < 1e-9);
        assert_eq!(summarize(&mut []), None);
    }
}
