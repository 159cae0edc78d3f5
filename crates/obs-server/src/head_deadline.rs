//! A request head must arrive within `header_timeout` of its first byte. hyper's own header timer runs from the
//! moment a connection is ready for a request, so it cannot tell a keep-alive connection resting between requests
//! (allowed `keep_alive_idle`) from a client sending a head one byte a second: hyper keeps the longer limit, and this
//! wrapper of the connection's byte stream the shorter one, armed by a head's first byte and disarmed by its blank
//! line. A head that arrives in one read — nearly all do — never arms it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

pub(crate) struct HeadDeadline<T> {
    inner: T,
    limit: Duration,
    /// The connection is between requests: the next bytes read begin a head.
    between_requests: bool,
    /// A head is arriving: how much of "\r\n\r\n" has been seen, and its deadline.
    head: Option<(u8, Option<Pin<Box<Sleep>>>)>,
}

impl<T> HeadDeadline<T> {
    pub(crate) fn new(inner: T, limit: Duration) -> Self {
        HeadDeadline { inner, limit, between_requests: true, head: None }
    }

    /// Follows the bytes of a head; true once its blank line has passed.
    fn scan(matched: &mut u8, mut bytes: &[u8]) -> bool {
        if *matched == 0 {
            // The usual case, a head in one read: one vectorised search instead of a byte loop.
            if memchr::memmem::find(bytes, b"\r\n\r\n").is_some() {
                return true;
            }
            // Not here: only the last three bytes can begin a blank line that ends in the next read.
            bytes = &bytes[bytes.len().saturating_sub(3)..];
        }
        for &byte in bytes {
            *matched = match (*matched, byte) {
                (0 | 2, b'\r') => *matched + 1,
                (1 | 3, b'\n') => *matched + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if *matched == 4 {
                return true;
            }
        }
        false
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HeadDeadline<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                if new.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                if this.between_requests && this.head.is_none() {
                    this.between_requests = false;
                    this.head = Some((0, None));
                }
                if let Some((matched, deadline)) = &mut this.head {
                    if Self::scan(matched, new) {
                        this.head = None;
                    } else if deadline.is_none() {
                        *deadline = Some(Box::pin(tokio::time::sleep(this.limit)));
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                if let Some((_, Some(deadline))) = &mut this.head
                    && deadline.as_mut().poll(cx).is_ready()
                {
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "request head too slow")));
                }
                Poll::Pending
            }
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeadDeadline<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // An answer going out: the next bytes read begin the next request.
        self.between_requests = true;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.between_requests = true;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::HeadDeadline;

    #[test]
    fn the_blank_line_is_found_across_reads() {
        let mut matched = 0;
        assert!(!HeadDeadline::<()>::scan(&mut matched, b"GET / HTTP/1.1\r\nHost: x\r"));
        assert!(!HeadDeadline::<()>::scan(&mut matched, b"\n"));
        assert!(HeadDeadline::<()>::scan(&mut matched, b"\r\n"));
        let mut matched = 0;
        assert!(!HeadDeadline::<()>::scan(&mut matched, b"a\r\n\rb\r\n"));
        assert!(HeadDeadline::<()>::scan(&mut matched, b"\r\nbody"));
    }
}
