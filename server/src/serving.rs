//! The connection loop: axum's router over hyper, with what `axum::serve` lacks — a
//! header-read timeout, an idle timeout, a cap on connections below the open-file limit, and
//! a deadline on the graceful shutdown — so slow or stalled clients cannot take the server
//! down or hold it open.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{watch, Semaphore},
    task::JoinSet,
    time::Instant,
};
use tower::ServiceExt;

use crate::config::HttpLimits;

/// Files the process needs besides client connections: database connections, the static
/// files being sent, outgoing federation requests, logs.
const RESERVED_FILES: u64 = 128;

/// Raises the soft open-file limit to the hard one where allowed, and returns the soft
/// limit in force afterwards (`None` when it cannot be read).
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        } else {
            tracing::warn!(
                soft = limit.rlim_cur,
                hard = limit.rlim_max,
                "cannot raise the open-file limit to its hard limit"
            );
        }
    }
    Some(limit.rlim_cur)
}

/// How many connections to serve at once: as configured, but never so many that the files
/// the process needs besides them run out.
pub fn connection_cap(configured: Option<usize>, open_files: Option<u64>) -> usize {
    let by_files = open_files.map(|files| {
        let reserve = RESERVED_FILES.min(files / 2);
        files.saturating_sub(reserve).max(1)
    });
    let by_files = by_files.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    match configured {
        Some(configured) => configured.min(by_files),
        // Without any limit known, a generous bound still keeps a flood finite.
        None if by_files == usize::MAX => 10_000,
        None => by_files,
    }
}

/// Serves `router` on `listener` until `stop` turns true, then lets the requests in flight
/// finish for at most `limits.shutdown_deadline` and drops what is left.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpLimits,
    max_connections: usize,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let (closing, _) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);

    loop {
        // Finished connections leave the set here, so it holds only live ones.
        while connections.try_join_next().is_some() {}
        // At the cap, new clients wait in the kernel's backlog instead of failing.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = turned_on(&mut stop) => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            _ = turned_on(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let builder = builder.clone();
        let router = router.clone();
        let closing = closing.subscribe();
        let idle_timeout = limits.idle_timeout;
        connections.spawn(async move {
            serve_connection(&builder, stream, remote, router, idle_timeout, closing).await;
            drop(slot);
        });
    }

    // No new connections; open ones finish their current request and close.
    drop(listener);
    let open = connections.len();
    closing.send_replace(true);
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            of = open,
            deadline_secs = limits.shutdown_deadline.as_secs(),
            "connections still open at the shutdown deadline are dropped"
        );
        connections.shutdown().await;
    }
}

async fn serve_connection(
    builder: &Builder<TokioExecutor>,
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    idle_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) {
    let activity = Activity::new();
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // What `ConnectInfo` extractors (the client's address) read.
        request.extensions_mut().insert(ConnectInfo(remote));
        router.clone().oneshot(request)
    });
    // With upgrades: the client API's streaming WebSocket is an HTTP upgrade.
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%remote, %error, "connection ended with an error");
                }
                return;
            }
            _ = turned_on(&mut closing), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = activity.idle_for(idle_timeout) => {
                tracing::debug!(%remote, "closing a connection idle for {idle_timeout:?}");
                return;
            }
        }
    }
}

/// Resolves once `flag` is true (or its sender is gone). The borrow `wait_for` returns is
/// dropped here, so the future stays `Send`.
async fn turned_on(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|on| *on).await;
}

/// Errors from `accept` that concern one client, not the listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

async fn accept_failed(error: io::Error) {
    if is_connection_error(&error) {
        return;
    }
    // Out of files (EMFILE) or similar: pausing lets connections finish and free some,
    // where retrying at once would spin.
    tracing::error!(%error, "cannot accept connections; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// When a connection last read or wrote anything.
#[derive(Clone)]
struct Activity {
    since: Instant,
    last_millis: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            since: Instant::now(),
            last_millis: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let millis = self.since.elapsed().as_millis() as u64;
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.since + Duration::from_millis(self.last_millis.load(Ordering::Relaxed));
            let deadline = last + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A stream that records its activity.
struct Tracked {
    inner: TcpStream,
    activity: Activity,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
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
    use super::connection_cap;

    #[test]
    fn the_connection_cap_leaves_files_for_everything_else() {
        assert_eq!(connection_cap(None, Some(1024)), 896);
        assert_eq!(connection_cap(None, Some(256)), 128);
        assert_eq!(connection_cap(None, Some(64)), 32);
        assert_eq!(connection_cap(Some(100), Some(1024)), 100);
        assert_eq!(connection_cap(Some(5000), Some(1024)), 896);
        assert_eq!(connection_cap(None, None), 10_000);
    }
}
