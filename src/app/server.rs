//! The reference app's HTTP server: its axum routes served over HTTP/1.1 by hyper, with bounds
//! a hostile client cannot get around. A connection must send its request headers within
//! [`Limits::header_read_timeout`]; at most [`Limits::max_connections`] connections are served at
//! once (further ones wait in the listen queue until a slot frees); a request body must arrive
//! within [`Limits::body_read_timeout`]. Shutdown lets requests in flight finish, up to a grace
//! period.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use futures::StreamExt as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What a client may take of the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (idle keep-alive included).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_read_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serve `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true);
        let conn = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await;
}

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the limit. `drained` says whether the rest was read (and the connection can
    /// carry on), or the server gave up reading it (the connection must close).
    TooLarge {
        /// Whether the whole body was read and thrown away.
        drained: bool,
    },
    /// It did not arrive in time, or the connection broke.
    Incomplete,
}

/// A body larger than the limit is still read, up to this much, and thrown away, so the client
/// gets the 413 instead of a broken pipe.
pub const DRAIN_CAP: usize = 16 * 1024 * 1024;

/// Read a request body of at most `limit` bytes within the time limit.
pub async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, BodyError> {
    let read = async {
        let mut stream = body.into_data_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut total = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| BodyError::Incomplete)?;
            total = total.saturating_add(chunk.len());
            if total > DRAIN_CAP {
                return Err(BodyError::TooLarge { drained: false });
            }
            if total <= limit {
                buf.extend_from_slice(&chunk);
            }
        }
        if total > limit {
            Err(BodyError::TooLarge { drained: true })
        } else {
            Ok(Bytes::from(buf))
        }
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::Incomplete))
}
