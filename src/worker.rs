//! Running a whole step on one of rayon's worker threads.
//!
//! The fused kernels split every layer of a step into parallel chunks, a dozen
//! short parallel regions per step. Started from the caller's own thread, each
//! region is handed to rayon's pool and the caller waits, while the workers,
//! asleep since the last region, are woken (on a 2-core VM measured at 1.15 cores
//! busy, one worker doing 1.7 times the work of the other). Started from a
//! worker, a region begins at once on that thread, the others stealing as they
//! wake. So on a CPU device a step, or an evaluation, goes to the pool as one
//! job ([`on_worker`]), and the training loop builds the next batch on its own
//! thread meanwhile ([`on_pool_while`]). It changes no result: which thread runs
//! a chunk never changes what the chunk computes. A GPU device is left on the
//! caller's thread: there each thread has a stream of commands of its own, and
//! steps that moved between threads trained other weights on WGPU
//! (`tests/it/backend_parity.rs`, 50 steps on lavapipe: 72.41% where Flex reached
//! 74.25%; 74.25% on the caller's thread).

use burn::tensor::Device;

use crate::device::computes_on_host;

/// Runs `work` on a thread of rayon's current pool (at once, where the caller is
/// one) and waits for it, where `device` computes on the CPU; elsewhere runs it
/// here.
pub(crate) fn on_worker<R: Send>(device: &Device, work: impl FnOnce() -> R + Send) -> R {
    if computes_on_host(device) {
        rayon::scope(|_| work())
    } else {
        work()
    }
}

/// Runs `work` as one job on rayon's pool while `meanwhile` runs on this thread,
/// and returns both results once both are done, where `device` computes on the
/// CPU; elsewhere runs both here, one after the other.
pub(crate) fn on_pool_while<A: Send, B>(
    device: &Device,
    work: impl FnOnce() -> A + Send,
    meanwhile: impl FnOnce() -> B,
) -> (A, B) {
    if !computes_on_host(device) {
        return (work(), meanwhile());
    }
    let mut done = None;
    let other = rayon::in_place_scope(|scope| {
        scope.spawn(|_| done = Some(work()));
        meanwhile()
    });
    (done.expect("the scope waited for its job"), other)
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use burn::tensor::Device;

    #[test]
    fn work_for_a_cpu_device_runs_on_a_thread_of_the_pool() {
        assert_eq!(rayon::current_thread_index(), None, "a test's own thread");
        let index = super::on_worker(&Device::flex(), rayon::current_thread_index);
        assert!(index.is_some(), "ran outside rayon's pool");
    }

    #[test]
    fn the_job_runs_on_the_pool_and_the_rest_here() {
        let (job, here) = super::on_pool_while(
            &Device::flex(),
            rayon::current_thread_index,
            rayon::current_thread_index,
        );
        assert!(job.is_some(), "the job ran outside rayon's pool");
        assert_eq!(here, None, "the rest left the caller's thread");
    }
}

#[cfg(all(test, feature = "wgpu"))]
mod gpu_tests {
    use burn::tensor::{Device, DeviceKind};

    /// Burn's WGPU device is lazy: making one touches no GPU.
    #[test]
    fn work_for_a_gpu_device_stays_on_the_callers_thread() {
        let gpu = Device::wgpu(DeviceKind::DefaultDevice);
        assert_eq!(super::on_worker(&gpu, rayon::current_thread_index), None);
        let both = super::on_pool_while(
            &gpu,
            rayon::current_thread_index,
            rayon::current_thread_index,
        );
        assert_eq!(both, (None, None));
    }
}
