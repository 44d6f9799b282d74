//! A response body run through a core decoder, as a `futures::Stream`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use berth_core::stream::Decoder;
use futures_util::Stream;

use crate::error::Result;
use crate::transport::ResponseBody;

/// The items of a streaming response (events, progress, log frames).
///
/// Backpressure is natural: nothing is read from the socket until the next item is
/// asked for. The stream ends after the daemon's last item; a stream cut off mid-item
/// ends with an error. Dropping it closes the connection.
pub struct DecodedStream<D> {
    body: ResponseBody,
    decoder: D,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Finishing,
    Done,
}

impl<D> fmt::Debug for DecodedStream<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedStream")
            .field("body", &self.body)
            .field("state", &self.state)
            .finish()
    }
}

impl<D: Decoder> DecodedStream<D> {
    pub(crate) fn new(body: ResponseBody, decoder: D) -> DecodedStream<D> {
        DecodedStream {
            body,
            decoder,
            state: State::Reading,
        }
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
            match self.body.poll_chunk(cx) {
                Poll::Ready(Some(Ok(bytes))) => self.decoder.push(&bytes),
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

impl<D: Decoder + Unpin> Stream for DecodedStream<D> {
    type Item = Result<D::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}
