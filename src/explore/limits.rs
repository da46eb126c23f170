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
    /// How long a response may wait for the client to read it before the
    /// connection is closed.
    pub write_time: Duration,
    /// Open connections at most; further clients wait to be accepted.
    pub connections: usize,
    /// How large a picture may be, in pixels and decoded bytes.
    pub decode: DecodeLimits,
    /// The memory one computation's layer outputs may take: batch sizes (of
    /// occlusion, integrated gradients, the test-set evaluation) follow from it
    /// and each model's architecture.
    pub activation_bytes: usize,
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
            activation_bytes: 64 * 1024 * 1024,
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
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(busy());
        }
        let waited =
            tokio::time::timeout(self.queue_wait, Arc::clone(&self.running).acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match waited {
            Ok(Ok(permit)) => Ok(Turn { _permit: permit }),
            _ => Err(busy()),
        }
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
