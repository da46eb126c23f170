//! Does a training step cost the same late in a run as early? One LeNet5 step
//! (batch 64, Flex) at the start of epoch 1 and of epoch 5 of the tutorial's
//! recipe on real MNIST, with subnormal floats flushed as `lenet::train` does and
//! with IEEE subnormals. On CPUs where subnormals cost a microcode assist (Intel
//! Xeons) the `ieee` epoch-5 step is the slow one; elsewhere all four agree.
//!
//! RAYON_NUM_THREADS=2 cargo bench --bench epochs
//! (needs MNIST in $LENET_DATA_DIR or ../shared/data/mnist; each setup trains
//! up to four epochs first, ≈ 10 s each)

use std::path::PathBuf;

use divan::Bencher;
use lenet::data::{Mnist, MnistBatcher, Normalization};
use lenet::subnormals::FlushSubnormals;
use lenet::train::Stepper;
use lenet::{Architecture, LeNetConfig};

fn main() {
    lenet::train::tune_allocator();
    divan::main();
}

const BATCH: usize = 64;

fn mnist() -> Option<Mnist> {
    let dir = std::env::var_os("LENET_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/mnist"));
    match Mnist::load(&dir) {
        Ok(mnist) => Some(mnist),
        Err(e) => {
            eprintln!(
                "skipped: no MNIST in {} ({})",
                dir.display(),
                e.full_message()
            );
            None
        }
    }
}

/// Trains `epochs` whole epochs (batches in order) and returns the stepper.
fn trained_for(epochs: usize, mnist: &Mnist, batcher: &MnistBatcher) -> Stepper {
    let device = lenet::device("flex").unwrap().autodiff();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    let mut stepper = Stepper::adam(model, 1e-8);
    let order: Vec<usize> = (0..mnist.train.len()).collect();
    for _ in 0..epochs {
        for indices in order.chunks(BATCH) {
            stepper.step(
                batcher.batch_from_split(&mnist.train, indices, &device),
                1e-3,
            );
        }
    }
    stepper
}

fn step_at_epoch(bencher: Bencher, epoch: usize, flush: bool) {
    let Some(mnist) = mnist() else { return };
    // SAFETY: a training step does not depend on constant folding of subnormals.
    let _flush = flush.then(|| unsafe { FlushSubnormals::enable() });
    let batcher = MnistBatcher::new(Normalization::None);
    let mut stepper = trained_for(epoch - 1, &mnist, &batcher);
    let device = stepper.model().device();
    let batches: Vec<Vec<usize>> = (0..mnist.train.len())
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(<[usize]>::to_vec)
        .collect();
    let mut next = 0;
    bencher.bench_local(|| {
        let batch = batcher.batch_from_split(&mnist.train, &batches[next % batches.len()], &device);
        next += 1;
        divan::black_box(stepper.step(batch, 1e-3).loss);
    });
}

#[divan::bench(args = [1, 5], sample_count = 40, sample_size = 10)]
fn flushing(bencher: Bencher, epoch: usize) {
    step_at_epoch(bencher, epoch, true);
}

#[divan::bench(args = [1, 5], sample_count = 40, sample_size = 10)]
fn ieee(bencher: Bencher, epoch: usize) {
    step_at_epoch(bencher, epoch, false);
}
