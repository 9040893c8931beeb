//! The request-response codec: each request or response is one frame, a `u32` little-
//! endian length followed by that many bytes of [`crate::wire`] encoding. The length is
//! checked against the limit before a byte of the body is read, the body is read through
//! `take(len)`, and the decoders check every bound inside.
//!
//! An inbound request the decoder refuses is still handed up, as
//! [`RequestFrame::Refused`]: libp2p's request-response drops read failures silently, and
//! the network must see them to score the peer and answer `BadRequest`.

use crate::limits::{MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES};
use crate::wire::{Request, Response, WireError};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use std::io;

/// The protocol name of Handoff requests (bump the version with the layout).
pub const REQUEST_PROTOCOL: StreamProtocol = StreamProtocol::new("/handoff/req/1");

/// A request on the wire: one to send, or what arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestFrame {
    /// A decoded, bounds-checked request.
    Request(Request),
    /// Bytes the decoder refused (too large, truncated, garbage).
    Refused(WireError),
}

/// Frames and decodes [`Request`]/[`Response`] with hard size limits.
#[derive(Clone, Copy, Debug, Default)]
pub struct WireCodec;

/// Turns a wire refusal into the `io::Error` libp2p reports, keeping the cause so the
/// network layer can tell an oversized frame from garbage.
fn refused(e: WireError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The wire refusal inside an `io::Error` from this codec, if it is one.
pub fn wire_error(e: &io::Error) -> Option<&WireError> {
    e.get_ref()?.downcast_ref::<WireError>()
}

/// Reads one frame: `Err` for a failing stream, `Ok(Err)` for a frame refused by size.
async fn read_frame<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    max: usize,
    what: &'static str,
) -> io::Result<Result<Vec<u8>, WireError>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Ok(Err(WireError::TooLarge {
            what,
            len: len as u64,
            max: max as u64,
        }));
    }
    // Grow with what actually arrives; never trust `len` for the allocation.
    let mut buf = Vec::with_capacity(len.min(64 * 1024));
    io.take(len as u64).read_to_end(&mut buf).await?;
    if buf.len() != len {
        return Ok(Err(WireError::Truncated(what)));
    }
    Ok(Ok(buf))
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| io::Error::other("frame too large"))?;
    io.write_all(&len.to_le_bytes()).await?;
    io.write_all(body).await?;
    io.flush().await?;
    io.close().await
}

impl libp2p::request_response::Codec for WireCodec {
    type Protocol = StreamProtocol;
    type Request = RequestFrame;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<RequestFrame>
    where
        T: AsyncRead + Unpin + Send,
    {
        let frame = read_frame(io, MAX_REQUEST_BYTES, "request frame").await?;
        Ok(match frame.and_then(|f| Request::decode(&f)) {
            Ok(r) => RequestFrame::Request(r),
            Err(e) => RequestFrame::Refused(e),
        })
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        let frame = read_frame(io, MAX_RESPONSE_BYTES, "response frame").await?;
        frame.and_then(|f| Response::decode(&f)).map_err(refused)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: RequestFrame,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let body = match req {
            RequestFrame::Request(r) => r.encode().map_err(refused)?,
            RequestFrame::Refused(e) => return Err(refused(e)),
        };
        write_frame(io, &body).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let body = res.encode().map_err(refused)?;
        write_frame(io, &body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::request_response::Codec;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    #[test]
    fn frames_round_trip() {
        let mut c = WireCodec;
        let mut buf = Vec::new();
        let req = RequestFrame::Request(Request::Headers { from: 3, count: 9 });
        block_on(c.write_request(
            &REQUEST_PROTOCOL,
            &mut futures::io::Cursor::new(&mut buf),
            req.clone(),
        ))
        .expect("write");
        let got = block_on(c.read_request(&REQUEST_PROTOCOL, &mut futures::io::Cursor::new(&buf)))
            .expect("read");
        assert_eq!(got, req);
    }

    #[test]
    fn an_oversized_length_is_refused_without_reading_the_body() {
        let mut c = WireCodec;
        let mut frame = u32::MAX.to_le_bytes().to_vec();
        frame.extend_from_slice(&[0; 16]);
        let r = block_on(c.read_request(&REQUEST_PROTOCOL, &mut futures::io::Cursor::new(&frame)))
            .expect("handed up");
        assert!(
            matches!(r, RequestFrame::Refused(ref e) if e.is_oversized()),
            "{r:?}"
        );
        let e = block_on(c.read_response(&REQUEST_PROTOCOL, &mut futures::io::Cursor::new(&frame)))
            .expect_err("refused");
        assert!(wire_error(&e).is_some_and(WireError::is_oversized), "{e}");
    }

    #[test]
    fn a_short_or_garbage_frame_is_refused() {
        let mut c = WireCodec;
        let mut frame = 10u32.to_le_bytes().to_vec();
        frame.extend_from_slice(&[0; 3]);
        let r = block_on(c.read_request(&REQUEST_PROTOCOL, &mut futures::io::Cursor::new(&frame)))
            .expect("handed up");
        assert_eq!(
            r,
            RequestFrame::Refused(WireError::Truncated("request frame"))
        );
        let mut frame = 3u32.to_le_bytes().to_vec();
        frame.extend_from_slice(&[0xee, 1, 2]);
        let r = block_on(c.read_request(&REQUEST_PROTOCOL, &mut futures::io::Cursor::new(&frame)))
            .expect("handed up");
        assert!(
            matches!(r, RequestFrame::Refused(ref e) if !e.is_oversized()),
            "{r:?}"
        );
        // A garbage response is an error of the stream, with the refusal inside.
        let e = block_on(c.read_response(&REQUEST_PROTOCOL, &mut futures::io::Cursor::new(&frame)))
            .expect_err("refused");
        assert!(wire_error(&e).is_some_and(|w| !w.is_oversized()), "{e}");
    }
}
