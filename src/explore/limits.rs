//! Every bound the server keeps, in one value, and the queue that keeps the
//! number of computations at once within them.
//!
//! A page elsewhere on the web, a script in a loop or a slow client can ask the
//! server for as much work as it likes; these numbers are what it gets
//! (docs/EXPLORE.md, "Limits"). Each is sized for what the page needs: pictures
//! are shrunk to 28×28, so a 4096² picture is already far more than a drawing or
//! a phone photo's digit needs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::api::ApiError;
use crate::predict::DecodeLimits;

/// The server's bounds (docs/EXPLORE.md, "Limits").
///
/// ```
/// use lenet::explore::Limits;
///
/// let limits = Limits::default();
/// assert!(limits.computations >= 1);
/// assert_eq!(limits.decode.max_side, 4096);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Computations (explanations, browsing the test images) at once: one per
    /// core by default.
    pub computations: usize,
    /// Requests that may wait for a computation; a request beyond them, or one
    /// that waits longer than `queue_wait`, is answered `503` with `Retry-After`.
    pub queue: usize,
    /// The longest a request waits for its turn.
    pub queue_wait: Duration,
    /// The largest request body, refused from its `Content-Length` before it is
    /// read (`413`).
    pub body_bytes: usize,
    /// Time to send a whole request body (`408` after it).
    pub body_time: Duration,
    /// Time to send a request's headers; also how long an idle keep-alive
    /// connection is kept. A client that takes longer is disconnected.
    pub header_time: Duration,
    /// How long a response may wait for the client to read any of it before
    /// the connection is closed (a client reading a little every few seconds
    /// keeps it, as a reader of an event stream does).
    pub write_time: Duration,
    /// Open connections at most; further clients wait to be accepted.
    pub connections: usize,
    /// How large a picture may be, in pixels and decoded bytes.
    pub decode: DecodeLimits,
    /// Bytes of request bodies held at once, all connections together (being
    /// read, or waiting for their computation): a body that does not fit waits
    /// for room, then `503`.
    pub bodies_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            computations: cores,
            queue: 4 * cores,
            queue_wait: Duration::from_secs(10),
            body_bytes: 10 * 1024 * 1024,
            body_time: Duration::from_secs(20),
            header_time: Duration::from_secs(10),
            write_time: Duration::from_secs(20),
            connections: 1024,
            decode: DecodeLimits::SERVER,
            bodies_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Admission to the computations: at most `computations` run, at most `queue`
/// wait, nobody waits past `queue_wait`.
#[derive(Debug)]
pub(crate) struct Admission {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    queue_wait: Duration,
}

/// A turn to compute; the next request's turn comes when it is dropped.
pub(crate) struct Turn {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Admission {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            running: Arc::new(Semaphore::new(limits.computations.max(1))),
            waiting: AtomicUsize::new(0),
            queue: limits.queue,
            queue_wait: limits.queue_wait,
        }
    }

    /// Waits for a turn, or refuses with `503` when the queue is full or the
    /// wait too long. A request whose client goes away stops waiting (its
    /// future is dropped) and never computes.
    pub(crate) async fn turn(&self) -> Result<Turn, ApiError> {
        if let Ok(permit) = Arc::clone(&self.running).try_acquire_owned() {
            return Ok(Turn { _permit: permit });
        }
        let busy = || ApiError::busy("the server is busy with other pictures; try again");
        // Counted out when this future ends, however it ends (a client that
        // goes away drops it while it waits).
        let _waiting = Waiting::join(&self.waiting, self.queue).ok_or_else(busy)?;
        let waited =
            tokio::time::timeout(self.queue_wait, Arc::clone(&self.running).acquire_owned()).await;
        match waited {
            Ok(Ok(permit)) => Ok(Turn { _permit: permit }),
            _ => Err(busy()),
        }
    }
}

/// A place in the queue, given back when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    /// A place, if fewer than `queue` are taken.
    fn join(waiting: &'a AtomicUsize, queue: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < queue).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(waiting))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Set when the request that asked for a computation is gone, so a computation
/// already running can stop between its parts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Sets the flag when dropped (when the request's future is dropped, as hyper
    /// does when its client disconnects) unless disarmed.
    pub(crate) fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }
}

/// See [`Cancel::on_drop`].
pub(crate) struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    /// The request finished: nothing to cancel.
    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = self.0.take() {
            cancel.0.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn a_full_queue_refuses_and_a_client_gone_gives_its_place_back() {
        let limits = Limits {
            computations: 1,
            queue: 1,
            queue_wait: Duration::from_millis(200),
            ..Limits::default()
        };
        let admission = Admission::new(&limits);
        runtime().block_on(async {
            let first = admission.turn().await.unwrap();
            // One waits (and gives up: its future dropped, as a client that went away)…
            let waiting = tokio::time::timeout(Duration::from_millis(20), admission.turn()).await;
            assert!(waiting.is_err(), "it was waiting");
            // …so its place is free again: the next one waits its full time, then 503.
            let refused = admission.turn().await.err().unwrap();
            assert_eq!((refused.status, refused.retry_after), (503, Some(1)));
            drop(first);
            assert!(
                admission.turn().await.is_ok(),
                "a turn once the computation ended"
            );
        });
    }

    #[test]
    fn beyond_the_queue_is_refused_at_once() {
        let limits = Limits {
            computations: 1,
            queue: 0,
            ..Limits::default()
        };
        let admission = Admission::new(&limits);
        runtime().block_on(async {
            let _first = admission.turn().await.unwrap();
            let started = std::time::Instant::now();
            assert_eq!(admission.turn().await.err().unwrap().status, 503);
            assert!(started.elapsed() < Duration::from_millis(100));
        });
    }
}
