//! Subnormal floats during training: flushed to zero on every thread that
//! computes while `train` runs, and the caller's mode back afterwards; Adam's
//! moments of a weight whose gradient stays zero reach 0 instead of lingering
//! as subnormals (which cost a microcode assist per operation on many CPUs).

use crate::support;

use lenet::data::{MnistBatcher, MnistSplit, Normalization, Split};
use lenet::subnormals::{self, FlushSubnormals};
use lenet::train::{Recipe, StepReport, Stepper, TrainObserver};
use lenet::{Architecture, LeNetConfig};

/// Records, at every step, whether this thread and every rayon worker flush.
#[derive(Default)]
struct CheckModes {
    steps: usize,
    all_flushing: bool,
    any_flushing: bool,
}

impl TrainObserver for CheckModes {
    fn on_step(&mut self, _step: &StepReport) {
        let mut modes = rayon::broadcast(|_| subnormals::flushing());
        modes.push(subnormals::flushing());
        let all = modes.iter().all(|&m| m);
        self.any_flushing |= modes.iter().any(|&m| m);
        self.all_flushing = if self.steps == 0 {
            all
        } else {
            self.all_flushing && all
        };
        self.steps += 1;
    }
}

pub fn every_thread_flushes_while_training_and_none_after() {
    let data = support::learnable_mnist(64, 32);
    let config = Recipe::Tutorial
        .config(Architecture::LENET5)
        .with_epochs(1)
        .with_batch_size(16);
    let device = lenet::device("flex").unwrap();
    // A pool of its own, whose threads this test alone uses.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    pool.install(|| {
        assert!(!subnormals::flushing());
        let mut observer = CheckModes::default();
        lenet::train(
            &config,
            &lenet::RunOptions::new(),
            &data,
            &device,
            &mut observer,
        )
        .unwrap();
        assert_eq!(observer.steps, 4);
        assert!(observer.all_flushing, "a thread computed without the mode");
        assert!(!subnormals::flushing(), "the caller's mode is back");
        let workers = rayon::broadcast(|_| subnormals::flushing());
        assert_eq!(workers, vec![false; 3], "the workers' modes are back");

        // And off when the config says so.
        let mut observer = CheckModes::default();
        let off = lenet::RunOptions::new().with_flush_subnormals(false);
        lenet::train(&config, &off, &data, &device, &mut observer).unwrap();
        assert!(
            !observer.any_flushing,
            "a thread flushed with the setting off"
        );
    });
}

/// Every optimizer state value that is subnormal.
fn subnormal_moments(stepper: &Stepper) -> usize {
    let bytes = stepper.optimizer().to_record().into_bytes().unwrap();
    let pack = burn_pack::Reader::from_bytes(bytes).unwrap();
    let mut count = 0;
    for name in pack.tensor_names() {
        let data = pack.tensor_data(name).unwrap();
        count += data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .filter(|v| v.is_subnormal())
            .count();
    }
    count
}

/// One step on real-looking images, then many on blank ones: conv1's weights then
/// get exactly zero gradient, and their first moments shrink by 0.9 a step, past
/// 1.2e-38 within about 800 steps.
fn train_dead_conv1(flush: bool) -> usize {
    // SAFETY: the test does not depend on constant folding of subnormals.
    let _flush = flush.then(|| unsafe { FlushSubnormals::enable() });
    let device = lenet::device("flex").unwrap().autodiff();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 3);
    let mut stepper = Stepper::adam(model, 1e-8);
    let batcher = MnistBatcher::new(Normalization::None);
    let images: Vec<u8> = support::patterned_images(2)
        .into_iter()
        .map(|v| (v * 255.0) as u8)
        .chain(std::iter::repeat_n(0, 784))
        .collect();
    let split = MnistSplit::from_raw(Split::Train, images, vec![3, 7, 1]).unwrap();
    stepper.step(batcher.batch_from_split(&split, &[0, 1], &device), 1e-3);
    for _ in 0..1_000 {
        stepper.step(batcher.batch_from_split(&split, &[2], &device), 1e-3);
    }
    subnormal_moments(&stepper)
}

pub fn no_optimizer_moment_is_subnormal_after_many_zero_gradients() {
    let without = train_dead_conv1(false);
    assert!(without > 0, "the setting makes subnormals without the mode");
    assert_eq!(train_dead_conv1(true), 0);
}
