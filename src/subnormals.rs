//! Subnormal floats flushed to zero while training runs, on every thread that
//! computes, and restored afterwards.
//!
//! Why: a float below `f32::MIN_POSITIVE` (≈ 1.2e-38) is *subnormal*, and on many
//! CPUs every operation that reads or makes one takes a slow microcode path (on
//! Intel Xeons about a hundred cycles; on AMD's Zen 4 almost nothing, on Zen 5
//! a late training step ran 36% slower without flushing). Training
//! makes them: Adam's moments of a weight whose gradient is exactly zero — a
//! dead ReLU channel's — shrink by 0.9 and 0.999 every step and, rounded to
//! nearest, never reach zero, so from the end of the first epoch on every step
//! touches thousands of them. Measured on an Intel Xeon (Sapphire Rapids), epochs
//! 2–10 of the tutorial's LeNet5 ran at two thirds of epoch 1's speed.
//!
//! The CPU can be told to treat them as zero, per thread: on x86-64 the MXCSR
//! bits FTZ (results) and DAZ (inputs), on AArch64 the FPCR bit FZ. Nothing is
//! lost that LeNet can see — any value below 1.2e-38 becomes 0, which changes no
//! weight by more than that — and results stay deterministic. Other CPUs keep
//! IEEE behaviour (there [`SUPPORTED`] is `false`).
//!
//! The mode belongs to a thread, and training computes on rayon's worker threads
//! (a step runs there as one job) and on the calling thread (batches, reading
//! results back), so [`FlushSubnormals`] sets it on both and puts each thread's
//! previous mode back when dropped. (Backends with threads
//! of their own are not reached: NdArray's matrix products run on
//! `matrixmultiply`'s threads. Flex, `gemm` and this crate's kernels use rayon.)
//!
//! The catch, and why [`FlushSubnormals::enable`] is `unsafe`: Rust and LLVM
//! assume the default floating-point environment, so a constant they fold at
//! compile time can come out differently from the same operation at run time
//! under flushing (a subnormal where the run would have 0), which Rust's rules
//! call undefined behaviour. Nothing in this crate's arithmetic depends on such
//! a value; the crate accepts the trade for its own calls, as PyTorch's
//! `torch.set_flush_denormal` and other frameworks do. `RunOptions::flush_subnormals
//! = false` avoids it.

/// Whether this CPU architecture can flush subnormals (x86-64, AArch64).
pub const SUPPORTED: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// While alive, the thread that made it and every thread of rayon's current
/// pool flush subnormal results to zero and read subnormal inputs as zero.
/// Dropping it restores each thread's previous mode.
///
/// [`train`](crate::train()) and [`resume`](crate::train::resume) hold one
/// while they run (turn it off for training, its evaluations included, with
/// `RunOptions::flush_subnormals`); [`evaluate`](crate::evaluate()) holds none
/// unless its caller does. Guards may be nested and
/// held on several threads at once; a thread's mode comes back when the last
/// guard on it is dropped. Drop a guard in the rayon pool it was made in (it is
/// not `Send`). Code of the caller's that runs on rayon's pool at the same time,
/// from another thread, runs with the mode set too.
///
/// ```
/// use lenet::subnormals::{self, FlushSubnormals};
///
/// let tiny = std::hint::black_box(1e-30f32);
/// {
///     // SAFETY: nothing below depends on a subnormal constant folded at compile time.
///     let _flush = unsafe { FlushSubnormals::enable() };
///     assert_eq!(subnormals::flushing(), subnormals::SUPPORTED);
///     if subnormals::SUPPORTED {
///         assert_eq!(std::hint::black_box(tiny * 1e-10), 0.0);
///     }
/// }
/// assert!(!subnormals::flushing());
/// assert!(std::hint::black_box(tiny * 1e-10) > 0.0);
/// ```
#[must_use = "the mode is restored when the guard is dropped"]
pub struct FlushSubnormals {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl FlushSubnormals {
    /// Sets the mode on this thread and on every thread of rayon's current pool.
    ///
    /// # Safety
    ///
    /// While the guard lives, code on these threads must not depend on a
    /// floating-point operation giving the same result at run time as the
    /// compiler's constant folding of it where either would be subnormal (see the
    /// [module documentation](self)). Threads started meanwhile inherit the mode
    /// and keep it.
    pub unsafe fn enable() -> Self {
        if SUPPORTED {
            // The workers first: were this the first use of rayon's pool, its
            // threads would otherwise be started now and copy the caller's mode,
            // already flushing, as the mode to restore.
            rayon::broadcast(|_| hold());
            hold();
        }
        Self {
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for FlushSubnormals {
    fn drop(&mut self) {
        if SUPPORTED {
            rayon::broadcast(|_| release());
            release();
        }
    }
}

/// Whether the calling thread flushes subnormals now.
pub fn flushing() -> bool {
    SUPPORTED && arch::flushing()
}

thread_local! {
    /// Guards holding this thread's mode, and the mode from before the first.
    /// Counting them (rather than each guard saving what it saw) keeps guards
    /// made on different threads — two trainings at once on rayon's one pool —
    /// from putting back each other's modes in the wrong order.
    static HELD: std::cell::Cell<(usize, Mode)> = const { std::cell::Cell::new((0, 0)) };
}

fn hold() {
    HELD.with(|held| {
        let (count, before) = held.get();
        let before = if count == 0 {
            arch::set_flushing()
        } else {
            before
        };
        held.set((count + 1, before));
    });
}

fn release() {
    HELD.with(|held| match held.get() {
        (0, _) => {}
        (1, before) => {
            arch::restore(before);
            held.set((0, 0));
        }
        (count, before) => held.set((count - 1, before)),
    });
}

/// A thread's floating-point control register, as it was.
type Mode = u64;

#[cfg(target_arch = "x86_64")]
mod arch {
    use std::arch::asm;

    /// MXCSR's flush-to-zero (results) and denormals-are-zero (inputs) bits.
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

    fn read() -> u32 {
        let mut csr = 0u32;
        // SAFETY: `stmxcsr` stores the 4-byte MXCSR into the u32 it is given.
        unsafe { asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags)) };
        csr
    }

    fn write(csr: u32) {
        // SAFETY: `ldmxcsr` loads MXCSR from the u32 it is given; the values
        // written are ones read from MXCSR, with only the FTZ and DAZ bits changed
        // (both exist on every x86-64 CPU).
        unsafe { asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly, preserves_flags)) };
    }

    pub(super) fn set_flushing() -> super::Mode {
        let before = read();
        write(before | FTZ_DAZ);
        u64::from(before)
    }

    pub(super) fn restore(mode: super::Mode) {
        let before = mode as u32;
        write((read() & !FTZ_DAZ) | (before & FTZ_DAZ));
    }

    pub(super) fn flushing() -> bool {
        read() & FTZ_DAZ == FTZ_DAZ
    }
}

#[cfg(target_arch = "aarch64")]
mod arch {
    use std::arch::asm;

    /// FPCR's flush-to-zero bit (inputs and results, single and double precision).
    const FZ: u64 = 1 << 24;

    fn read() -> u64 {
        let fpcr: u64;
        // SAFETY: reading FPCR has no side effects.
        unsafe { asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack, preserves_flags)) };
        fpcr
    }

    fn write(fpcr: u64) {
        // SAFETY: the value is FPCR as read, with only the FZ bit changed.
        unsafe { asm!("msr fpcr, {}", in(reg) fpcr, options(nostack, preserves_flags)) };
    }

    pub(super) fn set_flushing() -> super::Mode {
        let before = read();
        write(before | FZ);
        before
    }

    pub(super) fn restore(mode: super::Mode) {
        write((read() & !FZ) | (mode & FZ));
    }

    pub(super) fn flushing() -> bool {
        read() & FZ != 0
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod arch {
    pub(super) fn set_flushing() -> super::Mode {
        0
    }

    pub(super) fn restore(_: super::Mode) {}

    pub(super) fn flushing() -> bool {
        false
    }
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    use super::*;

    #[test]
    fn every_worker_flushes_while_the_guard_lives_and_none_after() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        pool.install(|| {
            assert!(!flushing());
            let guard = unsafe { FlushSubnormals::enable() };
            let during = rayon::broadcast(|_| flushing());
            assert_eq!(during, vec![true; 3]);
            assert!(flushing());
            drop(guard);
            let after = rayon::broadcast(|_| flushing());
            assert_eq!(after, vec![false; 3]);
            assert!(!flushing());
        });
    }

    #[test]
    fn nested_guards_restore_the_outer_mode() {
        let outer = unsafe { FlushSubnormals::enable() };
        {
            let _inner = unsafe { FlushSubnormals::enable() };
            assert!(flushing());
        }
        assert!(flushing(), "the inner guard put back the outer one's mode");
        drop(outer);
        assert!(!flushing());
    }

    #[test]
    fn a_subnormal_product_becomes_zero() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let half = std::hint::black_box(0.5f32);
        assert!((tiny * half).is_subnormal());
        let _flush = unsafe { FlushSubnormals::enable() };
        let flushed = std::hint::black_box(tiny) * std::hint::black_box(half);
        assert_eq!(flushed, 0.0);
    }
}
