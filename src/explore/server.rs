//! Serving the app: an accept loop of its own that bounds connections and
//! times out slow clients (hyper with a timer: `axum::serve` has no header
//! timeout), so the server keeps serving; the routes are `routes.rs`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;

use super::App;
use super::limits::Limits;
use crate::{Error, Result};

/// How a server is run: its limits, the names it answers to besides its own
/// address, and the launch token its acting routes require.
///
/// ```
/// use lenet::explore::ServeOptions;
///
/// let options = ServeOptions {
///     allowed_hosts: vec!["lab.local".into()],
///     ..ServeOptions::default()
/// };
/// assert!(options.token.is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Every bound the server keeps.
    pub limits: Limits,
    /// Names (`lab.local`, or `lab.local:9000`) the server answers to besides
    /// `localhost`, the loopback addresses and the address it is bound to — for
    /// a server reached through a name of its own. Any other `Host` is refused.
    pub allowed_hosts: Vec<String>,
    /// The launch token the routes that act (start, stop or delete work)
    /// require, as `Authorization: Bearer TOKEN` or the cookie the page gets
    /// when opened with `?token=TOKEN`. `None`: those routes need no token and
    /// the gate's other checks alone guard them (the `explore` example always
    /// sets one).
    pub token: Option<String>,
}

/// Serves `app` on `listener` (bind it where you want: `127.0.0.1:0` for a free
/// port on loopback) until the process ends, on a runtime of its own; returns
/// only if the server fails.
///
/// Each connection must send its headers within `limits.header_time` (also the
/// longest a kept-alive connection may idle) and read its answers within
/// `limits.write_time`; at most `limits.connections` are open at once (fewer
/// where the open-file limit is lower: see [`raise_open_files_limit`]), and
/// further clients wait to be accepted.
pub fn serve(listener: std::net::TcpListener, app: App, options: ServeOptions) -> Result<()> {
    let fail = |source: std::io::Error| Error::Server {
        action: "serve".into(),
        source,
    };
    let bound = listener.local_addr().map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    let limits = options.limits.clone();
    let router = super::routes::router(app, bound, &options);
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            accept(listener, router, &limits).await
        })
        .map_err(fail)
}

/// Accepts connections while fewer than the cap are open, each served by hyper
/// with the limits' timeouts.
async fn accept(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: &Limits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let cap = limits.connections.min(connections_allowed_by_open_files());
    let open = Arc::new(tokio::sync::Semaphore::new(cap.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_time)
        .max_headers(64)
        .max_buf_size(64 * 1024);
    loop {
        let slot = Arc::clone(&open)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors (or a connection reset before it was
            // accepted): wait a moment, keep serving the others.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_time));
        let service = TowerToHyperService::new(router.clone());
        let connection = http.serve_connection(TokioIo::new(Box::pin(stream)), service);
        tokio::spawn(async move {
            let _ = connection.await; // a client's error ends its connection only
            drop(slot);
        });
    }
}

/// Connections the open-file limit leaves room for (a few descriptors kept
/// for the process's own files).
fn connections_allowed_by_open_files() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 256;
    }
    (limit.rlim_cur.min(1 << 20) as usize)
        .saturating_sub(64)
        .max(16)
}

/// Raises this process's soft limit on open files to its hard limit (at most
/// 65,536), so the server can hold its cap of connections; returns the new soft
/// limit. A process-wide setting: the library never calls it itself (the
/// `explore` example does).
///
/// ```
/// let limit = lenet::explore::raise_open_files_limit()?;
/// assert!(limit >= 16);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let wanted = limit.rlim_max.min(65_536);
        if wanted > limit.rlim_cur {
            limit.rlim_cur = wanted;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(limit.rlim_cur)
}

/// The address to open in a browser on this machine for a server bound to
/// `bound`: `bound` itself, except that a server listening on every address
/// (`0.0.0.0`, `::`) is opened at loopback — a browser sends `0.0.0.0` as the
/// `Host`, which the server refuses (it answers only to its own names: other
/// machines need theirs given with [`ServeOptions::allowed_hosts`]).
///
/// ```
/// use std::net::SocketAddr;
///
/// let every: SocketAddr = "0.0.0.0:8000".parse().unwrap();
/// assert_eq!(lenet::explore::address_to_open(every).to_string(), "127.0.0.1:8000");
/// let every6: SocketAddr = "[::]:8000".parse().unwrap();
/// assert_eq!(lenet::explore::address_to_open(every6).to_string(), "[::1]:8000");
/// let lan: SocketAddr = "192.168.1.5:8000".parse().unwrap();
/// assert_eq!(lenet::explore::address_to_open(lan), lan);
/// ```
pub fn address_to_open(bound: SocketAddr) -> SocketAddr {
    match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, bound.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, bound.port()).into(),
        _ => bound,
    }
}

/// A new launch token: 128 bits from the operating system's random source, as
/// 32 hexadecimal digits.
///
/// ```
/// let token = lenet::explore::new_token()?;
/// assert_eq!(token.len(), 32);
/// assert_ne!(token, lenet::explore::new_token()?);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Server {
        action: "draw a token".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
