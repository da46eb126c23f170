//! glibc's `malloc`, set up for a loop that frees and reallocates the same
//! buffers every step.
//!
//! Why: a LeNet training step allocates and frees the same few dozen tensors,
//! many of them above 128 kB. With glibc's defaults such blocks are handed
//! back to the kernel when freed (`munmap`, or trimming the top of the heap),
//! so the next step page-faults them in again and every core's TLB is flushed
//! on the way out. On Flex that was ≈ 10% of the profile and cost ≈ 25% of the
//! training throughput (docs/log.md, "The allocator"). Fixing both
//! thresholds at the ceiling glibc's own adaptive threshold can reach (32 MiB)
//! keeps freed blocks in the process for reuse; peak RSS did not change.
//!
//! Other C libraries and other systems are left alone: the call compiles to
//! nothing there.

use std::sync::OnceLock;

/// glibc's ceiling for `M_MMAP_THRESHOLD` on 64-bit (`HEAP_MAX_SIZE / 2`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 << 20;

/// Twice the mmap threshold, the ratio glibc keeps when it adapts them itself.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 64 << 20;

/// Keeps memory freed by one training step in the process for the next one.
///
/// Nothing in the library calls it (it changes the whole process): call it
/// before [`train`](crate::train()), [`evaluate`](crate::evaluate()), a
/// training loop of your own (with [`Stepper`](crate::train::Stepper)) or a
/// benchmark, as the examples do. It changes the
/// process-wide settings of glibc's `malloc` once (the `mallopt` thresholds
/// `M_MMAP_THRESHOLD` = 32 MiB and `M_TRIM_THRESHOLD` = 64 MiB) and returns
/// whether it changed anything. It does nothing, and returns `false`, where the C library
/// is not glibc, where `LENET_MALLOC_TUNING=0`, or where `GLIBC_TUNABLES`
/// already sets malloc's thresholds (yours win).
///
/// ```
/// let tuned = lenet::train::tune_allocator();
/// // Later calls report what the first one did.
/// assert_eq!(lenet::train::tune_allocator(), tuned);
/// ```
pub fn tune_allocator() -> bool {
    *TUNED.get_or_init(|| wanted() && apply())
}

/// Whether [`tune_allocator`] has run in this process and changed anything.
///
/// ```
/// assert_eq!(lenet::train::allocator_tuned(), false); // nothing calls it for you
/// let changed = lenet::train::tune_allocator();
/// assert_eq!(lenet::train::allocator_tuned(), changed);
/// ```
pub fn allocator_tuned() -> bool {
    TUNED.get().copied().unwrap_or(false)
}

/// What [`tune_allocator`] did, once it has run.
static TUNED: OnceLock<bool> = OnceLock::new();

fn wanted() -> bool {
    let opted_out = std::env::var("LENET_MALLOC_TUNING").is_ok_and(|v| v.trim() == "0");
    let user_tunables = std::env::var("GLIBC_TUNABLES")
        .is_ok_and(|v| v.contains("malloc.mmap_threshold") || v.contains("malloc.trim_threshold"));
    !opted_out && !user_tunables
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() -> bool {
    // SAFETY: `mallopt` takes no pointers; both values are within the ranges
    // glibc accepts. glibc marks it MT-Unsafe because other threads read the
    // thresholds without a lock: one allocation racing with this call may still
    // use the old threshold, which is harmless (it is called once, at the start).
    let mmap = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) } == 1;
    let trim = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) } == 1;
    // Either alone changes how glibc behaves: report a change if any took.
    mmap || trim
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> bool {
    false
}
