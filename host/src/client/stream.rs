//! Bytes from the daemon run through a core decoder, as a `futures::Stream`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use berth_core::stream::Decoder;
use futures_util::Stream;

use crate::error::Result;
use crate::transport::ResponseBody;

/// Where a [`DecodedStream`] reads its bytes: a response body, or the read half of an
/// upgraded connection.
pub trait ChunkSource {
    /// Reads the next chunk and hands it to `sink` (no copy on the way);
    /// `Ready(None)` at the end.
    fn poll_push(
        &mut self,
        cx: &mut Context<'_>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Poll<Option<Result<()>>>;
}

impl ChunkSource for ResponseBody {
    fn poll_push(
        &mut self,
        cx: &mut Context<'_>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Poll<Option<Result<()>>> {
        ResponseBody::poll_chunk(self, cx).map(|c| c.map(|r| r.map(|b| sink(&b))))
    }
}

/// The items of a streaming response (events, progress, log frames, attach output).
///
/// Backpressure is natural: nothing is read from the socket until the next item is
/// asked for. The stream ends after the daemon's last item; a stream cut off mid-item
/// ends with an error. Dropping it closes the connection.
pub struct DecodedStream<D, S = ResponseBody> {
    source: S,
    decoder: D,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Finishing,
    Done,
}

impl<D, S: fmt::Debug> fmt::Debug for DecodedStream<D, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedStream")
            .field("source", &self.source)
            .field("state", &self.state)
            .finish()
    }
}

impl<D: Decoder, S: ChunkSource> DecodedStream<D, S> {
    pub(crate) fn new(source: S, decoder: D) -> DecodedStream<D, S> {
        DecodedStream {
            source,
            decoder,
            state: State::Reading,
        }
    }

    /// The decoder (e.g. to ask whether output is multiplexed).
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    /// The next item, `None` at the end.
    pub async fn next_item(&mut self) -> Option<Result<D::Item>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<D::Item>>> {
        loop {
            match self.state {
                State::Done => return Poll::Ready(None),
                State::Finishing => {
                    // finish() yields what is left one item per call, then Ok(None).
                    return Poll::Ready(match self.decoder.finish() {
                        Ok(Some(item)) => Some(Ok(item)),
                        Ok(None) => {
                            self.state = State::Done;
                            None
                        }
                        Err(e) => {
                            self.state = State::Done;
                            Some(Err(e.into()))
                        }
                    });
                }
                State::Reading => {}
            }
            match self.decoder.next() {
                Ok(Some(item)) => return Poll::Ready(Some(Ok(item))),
                Ok(None) => {}
                Err(e) => {
                    self.state = State::Done;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
            let DecodedStream {
                source, decoder, ..
            } = self;
            match source.poll_push(cx, &mut |b| decoder.push(b)) {
                Poll::Ready(Some(Ok(()))) => {}
                Poll::Ready(Some(Err(e))) => {
                    self.state = State::Done;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => self.state = State::Finishing,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<D: Decoder + Unpin, S: ChunkSource + Unpin> Stream for DecodedStream<D, S> {
    type Item = Result<D::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}
