//! hyper answers a request it cannot parse (a bad request line, conflicting `content-length`, too many or too
//! large headers, a URI too long) by itself, with an empty body — before any route runs. This wrapper of the
//! connection's byte stream recognises those canned answers as they are written and gives them the OpenAI error
//! body every other rejection has. obs's own answers never look like them: they all carry a body.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use obs_models::error::{ErrorBody, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection's stream with hyper's empty parse-error answers rewritten.
pub(crate) struct WithErrorBodies<T> {
    inner: T,
    /// A rewritten answer still being written, and how much of it is out.
    pending: Option<(Bytes, usize)>,
}

impl<T> WithErrorBodies<T> {
    pub(crate) fn new(inner: T) -> Self {
        WithErrorBodies { inner, pending: None }
    }
}

/// The OpenAI-shaped answer for one of hyper's canned ones, or `None` for anything else.
fn rewrite(head: &[u8]) -> Option<Bytes> {
    let (code, message) = if head.starts_with(b"HTTP/1.1 400 ") {
        (ErrorCode::InvalidRequest, "The request is not valid HTTP/1.1: its request line or headers cannot be read.")
    } else if head.starts_with(b"HTTP/1.1 431 ") {
        (ErrorCode::HeadersTooLarge, "The request's headers are too many or too large.")
    } else if head.starts_with(b"HTTP/1.1 414 ") {
        (ErrorCode::UriTooLong, "The request's URI is too long.")
    } else {
        return None;
    };
    let text = std::str::from_utf8(head).ok()?;
    if !text.ends_with("\r\n\r\n")
        || !text.contains("\r\ncontent-length: 0\r\n")
        || !text.contains("\r\nconnection: close\r\n")
    {
        return None;
    }
    let status_line = text.split("\r\n").next()?;
    let date = text.split("\r\n").find(|line| line.starts_with("date: "));
    let body = serde_json::to_string(&ErrorBody::new(code, message, None)).ok()?;
    let mut answer = format!(
        "{status_line}\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(date) = date {
        answer.push_str(date);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    Some(Bytes::from(answer))
}

impl<T: AsyncWrite + Unpin> WithErrorBodies<T> {
    /// Writes out a pending rewritten answer; Ready once none is left.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WithErrorBodies<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WithErrorBodies<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        if buf.starts_with(b"HTTP/1.1 4")
            && let Some(answer) = rewrite(buf)
        {
            self.pending = Some((answer, 0));
            // hyper's bytes are accounted for; the rewritten ones go out now or on the next poll.
            let _ = self.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        // A canned answer is one slice holding the whole head and no body.
        if let [only] = bufs
            && only.starts_with(b"HTTP/1.1 4")
        {
            return self.poll_write(cx, only);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_canned_answers_are_rewritten() {
        let canned = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 13:56:29 GMT\r\n\r\n";
        let answer = rewrite(canned).unwrap();
        let text = std::str::from_utf8(&answer).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"));
        assert!(head.ends_with("\r\ndate: Tue, 01 Dec 2026 13:56:29 GMT"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert_eq!(
            body,
            r#"{"error":{"message":"The request's headers are too many or too large.","type":"invalid_request_error","param":null,"code":"request_headers_too_large"}}"#
        );
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 99\r\n\r\n";
        assert!(rewrite(ours).is_none(), "obs's own answers have bodies");
        assert!(rewrite(b"HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
