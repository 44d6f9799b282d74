//! Per-layer progress of pulls and pushes, folded from the daemon's progress items.

use serde_json::Value;

use crate::model::Typed;

/// Where one layer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerProgress {
    /// The short layer id the daemon reports (`f4737c102a73`).
    pub id: String,
    /// The latest status: `Pulling fs layer`, `Waiting`, `Downloading`,
    /// `Verifying Checksum`, `Download complete`, `Extracting`, `Pull complete`,
    /// `Already exists`, `Preparing`, `Pushing`, `Pushed`, `Layer already exists`,
    /// `Mounted from …`.
    pub status: String,
    /// Bytes done in the current phase, when the latest item said.
    pub current: Option<u64>,
    /// Bytes in the current phase, when the latest item said.
    pub total: Option<u64>,
    /// The layer is done (pulled, already there, pushed, mounted).
    pub complete: bool,
}

impl LayerProgress {
    /// `current / total` in `0.0..=1.0`, when both are known.
    pub fn fraction(&self) -> Option<f64> {
        match (self.current, self.total) {
            (Some(c), Some(t)) if t > 0 => Some((c as f64 / t as f64).min(1.0)),
            _ => None,
        }
    }
}

/// Statuses after which a layer needs nothing more.
fn is_done(status: &str) -> bool {
    matches!(
        status,
        "Pull complete" | "Already exists" | "Pushed" | "Layer already exists"
    ) || status.starts_with("Mounted from")
}

/// Folds pull/push progress items into per-layer state — what a progress display
/// (one line or bar per layer) needs. Pure: feed it every item, in order.
///
/// Items with an `id` are layer items, except the pull's first `Pulling from <repo>`
/// whose id is the tag. Items without an id are messages (`Digest: …`,
/// `Status: Downloaded newer image for …`, `The push refers to repository […]`). The
/// manifest digest is taken from `Digest: sha256:…` (pull) and from `aux.Digest` or
/// `<tag>: digest: sha256:… size: N` (push).
///
/// ```
/// use berth_core::api::images::ProgressAggregator;
/// use serde_json::json;
/// let mut p = ProgressAggregator::new();
/// p.update(&json!({"status":"Pulling fs layer","progressDetail":{},"id":"a1"}));
/// p.update(&json!({"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"a1"}));
/// assert_eq!(p.layers()[0].fraction(), Some(0.5));
/// assert!(!p.is_complete());
/// p.update(&json!({"status":"Pull complete","progressDetail":{},"id":"a1"}));
/// p.update(&json!({"status":"Digest: sha256:e5dd"}));
/// assert!(p.is_complete());
/// assert_eq!(p.digest(), Some("sha256:e5dd"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgressAggregator {
    layers: Vec<LayerProgress>,
    messages: Vec<String>,
    digest: Option<String>,
}

impl ProgressAggregator {
    /// No items seen yet.
    pub fn new() -> ProgressAggregator {
        ProgressAggregator::default()
    }

    /// Folds one item in; returns the layer it was about, if any.
    pub fn update(&mut self, item: &Value) -> Option<&LayerProgress> {
        if let Some(d) = item
            .get("aux")
            .and_then(|a| a.get("Digest"))
            .and_then(Value::as_str)
        {
            self.digest = Some(d.to_owned());
        }
        let status = item.get("status").and_then(Value::as_str)?;
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        let Some(id) = id.filter(|_| !status.starts_with("Pulling from")) else {
            self.message(status);
            return None;
        };
        let detail = item.get("progressDetail");
        let number = |k: &str| detail.and_then(|d| d.get(k)).and_then(Value::as_u64);
        let index = match self.layers.iter().position(|l| l.id == id) {
            Some(i) => i,
            None => {
                self.layers.push(LayerProgress {
                    id: id.to_owned(),
                    status: String::new(),
                    current: None,
                    total: None,
                    complete: false,
                });
                self.layers.len() - 1
            }
        };
        let layer = &mut self.layers[index];
        layer.status = status.to_owned();
        layer.current = number("current");
        layer.total = number("total");
        layer.complete = layer.complete || is_done(status);
        Some(layer)
    }

    /// [`update`](ProgressAggregator::update) with a typed item (its raw JSON is read,
    /// so fields the model lacks, like push's `aux`, count).
    pub fn update_typed<T>(&mut self, item: &Typed<T>) -> Option<&LayerProgress> {
        self.update(&item.attrs)
    }

    fn message(&mut self, status: &str) {
        if let Some(d) = status.strip_prefix("Digest: ") {
            self.digest = Some(d.trim().to_owned());
        } else if let Some((_, rest)) = status.split_once(": digest: ") {
            // Push: "<tag>: digest: sha256:… size: 527".
            if let Some(d) = rest.split_whitespace().next() {
                self.digest = Some(d.to_owned());
            }
        }
        self.messages.push(status.to_owned());
    }

    /// The layers, in the order they first appeared.
    pub fn layers(&self) -> &[LayerProgress] {
        &self.layers
    }

    /// One layer by id.
    pub fn layer(&self, id: &str) -> Option<&LayerProgress> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// Statuses that were not about a layer, in order.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// The last message, e.g. `Status: Image is up to date for busybox:latest`.
    pub fn last_message(&self) -> Option<&str> {
        self.messages.last().map(String::as_str)
    }

    /// The manifest digest, once reported.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// True when every layer seen is complete (and at least one was seen, or the
    /// daemon reported a digest: an up-to-date pull lists no layers).
    pub fn is_complete(&self) -> bool {
        if self.layers.is_empty() {
            return self.digest.is_some();
        }
        self.layers.iter().all(|l| l.complete)
    }

    /// Bytes done and known in total over the layers currently reporting numbers.
    pub fn bytes(&self) -> (u64, u64) {
        self.layers
            .iter()
            .filter(|l| !l.complete)
            .fold((0, 0), |(c, t), l| {
                (c + l.current.unwrap_or(0), t + l.total.unwrap_or(0))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::model::TypedDecoder;
    use crate::models::CreateImageInfo;
    use crate::stream::tests::capture_body;
    use crate::stream::{Decoder, JsonStreamDecoder};

    /// `curl --raw -i` of a pull from the local registry (core/testdata/README.md).
    const PULL: &[u8] = include_bytes!("../../../testdata/pull-progress.http");

    /// Feeds `parts` through the typed progress decoder into an aggregator.
    fn aggregate(parts: &[&[u8]]) -> (ProgressAggregator, usize) {
        let mut d: TypedDecoder<JsonStreamDecoder, CreateImageInfo> =
            TypedDecoder::new(JsonStreamDecoder::new());
        let mut agg = ProgressAggregator::new();
        let mut items = 0;
        for part in parts {
            d.push(part);
            while let Some(item) = d.next().expect("valid stream") {
                agg.update_typed(&item);
                items += 1;
            }
        }
        while let Some(item) = d.finish().expect("clean end") {
            agg.update_typed(&item);
            items += 1;
        }
        (agg, items)
    }

    #[test]
    fn captured_pull_aggregates_to_complete_layers() {
        let body = capture_body(PULL);
        let (agg, items) = aggregate(&[&body]);
        assert_eq!(
            items,
            body.split(|&b| b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .count()
        );
        let ids: Vec<&str> = agg.layers().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["5b53c3841227", "33a10c2e4a84", "f4737c102a73"]);
        assert_eq!(agg.layers()[0].status, "Already exists");
        for l in agg.layers() {
            assert!(l.complete, "{l:?}");
        }
        assert_eq!(
            agg.layer("f4737c102a73").map(|l| l.status.as_str()),
            Some("Pull complete")
        );
        assert!(agg.is_complete());
        assert_eq!(
            agg.digest(),
            Some("sha256:e5ddc62f1504528f34b9e40aff851ae2517ce65866f99161d5163f07a61c27ef")
        );
        assert_eq!(agg.messages()[0], "Pulling from berth-progress");
        assert_eq!(
            agg.last_message(),
            Some("Status: Downloaded newer image for 127.0.0.1:5000/berth-progress:capture")
        );
        assert_eq!(agg.bytes(), (0, 0));
    }

    #[test]
    fn captured_pull_split_at_every_offset_gives_the_same_state() {
        let body = capture_body(PULL);
        let (whole, n) = aggregate(&[&body]);
        for i in 0..=body.len() {
            let (a, b) = body.split_at(i);
            let (split, m) = aggregate(&[a, b]);
            assert_eq!(m, n, "split at {i}");
            assert_eq!(split, whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(aggregate(&bytes).0, whole);
    }

    #[test]
    fn progress_is_tracked_mid_pull() {
        let body = capture_body(PULL);
        let mut d = JsonStreamDecoder::new();
        d.push(&body);
        let mut agg = ProgressAggregator::new();
        let mut seen_partial = false;
        while let Some(v) = d.next().expect("valid") {
            if let Some(l) = agg.update(&v)
                && l.status == "Downloading"
                && l.fraction().is_some_and(|f| f < 1.0)
            {
                seen_partial = true;
                assert!(!agg.is_complete());
                assert!(agg.bytes().1 > 0);
            }
        }
        assert!(seen_partial);
    }

    #[test]
    fn push_items_give_layers_and_digest() {
        let mut agg = ProgressAggregator::new();
        for v in [
            serde_json::json!({"status":"The push refers to repository [127.0.0.1:5000/x]"}),
            serde_json::json!({"status":"Preparing","progressDetail":{},"id":"fafa"}),
            serde_json::json!({"status":"Pushing","progressDetail":{"current":512,"total":2048},"id":"fafa"}),
            serde_json::json!({"status":"Pushed","progressDetail":{},"id":"fafa"}),
            serde_json::json!({"status":"Mounted from library/busybox","progressDetail":{},"id":"beef"}),
            serde_json::json!({"status":"t1: digest: sha256:aaaa size: 527"}),
        ] {
            agg.update(&v);
        }
        assert_eq!(agg.digest(), Some("sha256:aaaa"));
        assert!(agg.is_complete());
        agg.update(&serde_json::json!({"progressDetail":{},"aux":{"Tag":"t1","Digest":"sha256:bbbb","Size":527}}));
        assert_eq!(agg.digest(), Some("sha256:bbbb"));
        assert_eq!(agg.layers().len(), 2);
        // An up-to-date pull names no layers but still completes.
        let mut up = ProgressAggregator::new();
        up.update(&serde_json::json!({"status":"Pulling from library/busybox","id":"latest"}));
        assert!(up.layers().is_empty() && !up.is_complete());
        up.update(&serde_json::json!({"status":"Digest: sha256:cc"}));
        assert!(up.is_complete());
    }

    #[test]
    fn captured_pull_with_an_error_appended_fails_typed() {
        let mut body = capture_body(PULL);
        body.extend_from_slice(
            b"{\"errorDetail\":{\"message\":\"unauthorized: authentication required\"},\
              \"error\":\"unauthorized: authentication required\"}\r\n",
        );
        let mut d = JsonStreamDecoder::new();
        d.push(&body);
        let err = loop {
            match d.next() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("the error object was not reported"),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(err, Error::Stream { ref message, .. } if message.starts_with("unauthorized"))
        );
    }
}
