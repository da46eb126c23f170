//! Training: determinism, interruption and exact resumption, divergence, and
//! the evaluation metrics. Runs on small synthetic data so it is quick and
//! needs no download.

use crate::support::{self, device};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use lenet::train::{
    Checkpoint, Recipe, RunOptions, Silent, StepReport, TrainConfig, TrainObserver,
};
use lenet::{Architecture, Error, LeNet, LeNetConfig};

fn quick_config(arch: Architecture) -> TrainConfig {
    Recipe::Tutorial
        .config(arch)
        .with_epochs(2)
        .with_batch_size(16)
        .with_seed(5)
        .with_eval_batch_size(64)
}

/// Options that write checkpoints into `out`.
fn into(out: &std::path::Path) -> RunOptions {
    RunOptions::new().with_output_dir(Some(out.to_path_buf()))
}

/// Trains `config` on `data` with the default options (no checkpoints).
fn train(config: &TrainConfig, data: &lenet::data::Mnist) -> lenet::Result<lenet::Trained> {
    support::train(config, data, &device())
}

/// Every parameter value of a model, in a fixed order.
fn weights(model: &LeNet) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0
                .extend(param.val().into_data().try_into_vec_as::<f32>().unwrap());
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect.0
}

/// Stops the run after `after` steps.
struct StopAfter {
    after: usize,
    steps: usize,
}

impl TrainObserver for StopAfter {
    fn on_step(&mut self, _step: &StepReport) {
        self.steps += 1;
    }
    fn should_stop(&mut self) -> bool {
        self.steps == self.after
    }
}

#[test]
fn same_seed_same_weights_and_history() {
    let data = support::learnable_mnist(160, 40);
    let config = quick_config(Architecture::LENET5);
    let a = train(&config, &data).unwrap();
    let b = train(&config, &data).unwrap();
    assert!(
        weights(&a.model) == weights(&b.model),
        "same seed, same weights"
    );
    assert_eq!(a.history.epochs.len(), 2);
    for (x, y) in a.history.epochs.iter().zip(&b.history.epochs) {
        assert_eq!(
            (x.train_loss, x.train_accuracy, x.test_loss, x.test_accuracy),
            (y.train_loss, y.train_accuracy, y.test_loss, y.test_accuracy)
        );
    }
    let c = train(&config.clone().with_seed(6), &data).unwrap();
    assert!(
        weights(&a.model) != weights(&c.model),
        "another seed, other weights"
    );
}

#[test]
fn training_learns_and_the_history_is_per_epoch() {
    let data = support::learnable_mnist(320, 100);
    let config = quick_config(Architecture::EXTRA_CONV).with_epochs(3);
    let trained = train(&config, &data).unwrap();
    let h = &trained.history.epochs;
    assert_eq!(h.iter().map(|e| e.epoch).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(h[2].train_loss < h[0].train_loss, "{h:?}");
    assert!(trained.evaluation.accuracy > 0.5, "{}", trained.evaluation);
    assert_eq!(trained.evaluation.accuracy, h[2].test_accuracy);
    assert_eq!(trained.evaluation.count, 100);
    assert!(
        h.iter()
            .all(|e| e.train_accuracy <= 1.0 && e.samples_per_sec > 0.0)
    );
}

#[test]
fn an_interrupted_run_resumed_ends_with_the_same_weights() {
    let data = support::learnable_mnist(160, 40); // 10 steps per epoch
    for arch in Architecture::NAMED {
        let straight_dir = tempfile::tempdir().unwrap();
        let config = quick_config(arch.clone());
        let options = into(straight_dir.path()).with_checkpoint_every(4);
        let straight = lenet::train(&config, &options, &data, &device(), &mut Silent).unwrap();

        // Stop mid-epoch (step 7), resume, stop at an epoch boundary (step 10), resume:
        // with batches built on the host and with the images on the device.
        for on_device in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let options = into(dir.path())
                .with_checkpoint_every(4)
                .with_data_on_device(Some(on_device));
            let err = lenet::train(
                &config,
                &options,
                &data,
                &device(),
                &mut StopAfter { after: 7, steps: 0 },
            )
            .unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Interrupted {
                        step: 7,
                        checkpoint: Some(_)
                    }
                ),
                "{err}"
            );
            let err = lenet::resume(
                dir.path(),
                &data,
                &device(),
                &mut StopAfter { after: 3, steps: 0 },
            )
            .unwrap_err();
            assert!(matches!(err, Error::Interrupted { step: 10, .. }), "{err}");
            let resumed = lenet::resume(dir.path(), &data, &device(), &mut Silent).unwrap();

            assert!(
                weights(&straight.model) == weights(&resumed.model),
                "{arch} (data on device: {on_device}): resumed weights differ"
            );
            assert_eq!(straight.history.epochs.len(), resumed.history.epochs.len());
            for (x, y) in straight.history.epochs.iter().zip(&resumed.history.epochs) {
                assert_eq!(
                    (x.train_loss, x.train_accuracy, x.test_loss),
                    (y.train_loss, y.train_accuracy, y.test_loss),
                    "{arch} (data on device: {on_device})"
                );
            }
            assert_eq!(straight.evaluation, resumed.evaluation);
        }
    }
}

/// What each step reported: (global step, its loss where it was read).
#[derive(Default)]
struct Reports(Vec<(usize, Option<f64>)>);

impl TrainObserver for Reports {
    fn on_step(&mut self, step: &StepReport) {
        assert_eq!(
            step.loss.is_some(),
            step.is_log_step || step.step_in_epoch == step.steps_per_epoch
        );
        self.0.push((step.global_step, step.loss));
    }
}

/// The loop reads loss and accuracy back from the device once per `log_every`
/// steps (and at an epoch's end, and before a checkpoint), never per step — and
/// how often it reads changes no weight and no figure of the history.
#[test]
fn the_device_is_read_once_per_log_interval_and_that_changes_nothing() {
    let data = support::learnable_mnist(160, 40); // 10 steps per epoch, two epochs
    let run = |log_every: usize, checkpoint_every: usize| {
        let dir = tempfile::tempdir().unwrap();
        let options = into(dir.path())
            .with_log_every(log_every)
            .with_checkpoint_every(checkpoint_every);
        let config = quick_config(Architecture::LENET5);
        let mut reports = Reports::default();
        let trained = lenet::train(&config, &options, &data, &device(), &mut reports).unwrap();
        assert_eq!(reports.0.len(), 20, "on_step after every step");
        (trained, reports.0)
    };
    let (every_step, every_loss) = run(1, 0);
    for (log_every, checkpoint_every, reads_per_epoch) in [
        (1, 0, 10),
        (3, 0, 4),
        (4, 0, 3),
        (10, 0, 1),
        (0, 0, 1),
        (100, 0, 1),
        (0, 4, 3),
    ] {
        let (trained, reports) = run(log_every, checkpoint_every);
        for record in &trained.history.epochs {
            assert_eq!(
                record.device_reads, reads_per_epoch,
                "log_every {log_every}, checkpoint_every {checkpoint_every}"
            );
        }
        let read_steps: Vec<usize> = reports
            .iter()
            .filter(|r| r.1.is_some())
            .map(|r| r.0)
            .collect();
        for (global, loss) in &reports {
            if let Some(loss) = loss {
                assert_eq!(
                    Some(*loss),
                    every_loss[global - 1].1,
                    "step {global}'s loss"
                );
            }
        }
        let in_epoch = |global: usize| (global - 1) % 10 + 1;
        let expected: Vec<usize> = (1..=20)
            .filter(|&s| {
                (log_every > 0 && in_epoch(s).is_multiple_of(log_every)) || in_epoch(s) == 10
            })
            .collect();
        assert_eq!(read_steps, expected, "log_every {log_every}");
        assert!(
            weights(&trained.model) == weights(&every_step.model),
            "log_every {log_every}: other weights"
        );
        for (x, y) in trained
            .history
            .epochs
            .iter()
            .zip(&every_step.history.epochs)
        {
            assert_eq!(
                (x.train_loss, x.train_accuracy, x.test_loss, x.test_accuracy),
                (y.train_loss, y.train_accuracy, y.test_loss, y.test_accuracy),
                "log_every {log_every}"
            );
        }
    }
}

#[test]
fn checkpoints_are_complete_and_old_ones_are_pruned() {
    let data = support::learnable_mnist(160, 40);
    let dir = tempfile::tempdir().unwrap();
    let options = into(dir.path()).with_checkpoint_every(3);
    let config = quick_config(Architecture::LENET5);
    lenet::train(&config, &options, &data, &device(), &mut Silent).unwrap();
    let root = dir.path().join("checkpoints");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["latest", "step-00000018", "step-00000020"]);
    assert_eq!(
        std::fs::read_to_string(root.join("latest")).unwrap(),
        "step-00000020"
    );
    for file in [
        "model.bpk",
        "optimizer.bpk",
        "config.json",
        "run.json",
        "position.json",
    ] {
        assert!(root.join("step-00000020").join(file).is_file(), "{file}");
    }
    let model = LeNet::load(
        &LeNetConfig::new(Architecture::LENET5),
        &root.join("step-00000020/model.bpk"),
        &device(),
    )
    .unwrap();
    assert_eq!(model.num_params(), 61_706);
}

#[test]
fn divergence_stops_with_the_step_and_a_suggestion_and_keeps_checkpoints() {
    let data = support::learnable_mnist(160, 40);
    let dir = tempfile::tempdir().unwrap();
    let config = quick_config(Architecture::LENET5).with_learning_rate(1e12);
    let options = into(dir.path()).with_checkpoint_every(1);
    let err = lenet::train(&config, &options, &data, &device(), &mut Silent).unwrap_err();
    let Error::Diverged {
        step,
        learning_rate,
        ..
    } = &err
    else {
        panic!("expected divergence, got {err}");
    };
    assert!(*step >= 2, "the first step's loss is finite");
    assert_eq!(*learning_rate, 1e12);
    // Read back only at the end of the epoch, the divergence is found later but
    // names the same step.
    let deferred = RunOptions::new().with_log_every(0);
    let later = lenet::train(&config, &deferred, &data, &device(), &mut Silent).unwrap_err();
    assert!(
        matches!(later, Error::Diverged { step: s, .. } if s == *step),
        "{later} (with a read every step: step {step})"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("step {step}")) && text.contains("lower learning rate"),
        "{text}"
    );
    // Every checkpoint before the divergence still loads.
    let root = dir.path().join("checkpoints");
    let latest = std::fs::read_to_string(root.join("latest")).unwrap();
    LeNet::load(
        &LeNetConfig::new(Architecture::LENET5),
        &root.join(latest.trim()).join("model.bpk"),
        &device(),
    )
    .unwrap();
}

#[test]
fn a_checkpoint_of_the_other_architecture_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extra.bpk");
    LeNetConfig::new(Architecture::EXTRA_CONV)
        .init(&device())
        .save(&path)
        .unwrap();
    let err = LeNet::load(&LeNetConfig::new(Architecture::LENET5), &path, &device()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("extra.bpk") && text.contains("lenet5"),
        "{text}"
    );
    let garbage = dir.path().join("garbage.bpk");
    std::fs::write(&garbage, b"not a model").unwrap();
    let err =
        LeNet::load(&LeNetConfig::new(Architecture::LENET5), &garbage, &device()).unwrap_err();
    assert!(err.to_string().contains("garbage.bpk"), "{err}");
}

#[test]
fn invalid_settings_are_refused_before_training() {
    let data = support::learnable_mnist(16, 16);
    for config in [
        quick_config(Architecture::LENET5).with_epochs(0),
        quick_config(Architecture::LENET5).with_batch_size(0),
        quick_config(Architecture::LENET5).with_learning_rate(-1.0),
        quick_config(Architecture::LENET5).with_learning_rate(f64::NAN),
        quick_config(Architecture::LENET5).with_label_smoothing(1.0),
        quick_config(Architecture::LENET5).with_label_smoothing(-0.1),
        quick_config(Architecture::LENET5).with_label_smoothing(f32::NAN),
    ] {
        let err = train(&config, &data).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
}

#[test]
fn the_improved_recipe_trains_with_augmentation_and_a_schedule() {
    let data = support::learnable_mnist(64, 32);
    let config = Recipe::Improved
        .config(Architecture::LENET5)
        .with_epochs(1)
        .with_batch_size(16)
        .with_eval_batch_size(32);
    let a = train(&config, &data).unwrap();
    let b = train(&config, &data).unwrap();
    assert!(
        weights(&a.model) == weights(&b.model),
        "augmentation is seeded"
    );
    assert!(a.history.epochs[0].learning_rate < config.learning_rate);
}

/// Label smoothing reaches the loss that trains: other weights, and a training
/// loss that cannot fall to 0 (the smoothed targets' own entropy is its floor).
#[test]
fn label_smoothing_changes_what_is_minimised() {
    let data = support::learnable_mnist(160, 40);
    let plain = quick_config(Architecture::LENET5).with_epochs(4);
    let smoothed = plain.clone().with_label_smoothing(0.1);
    let (a, b) = (
        train(&plain, &data).unwrap(),
        train(&smoothed, &data).unwrap(),
    );
    assert!(weights(&a.model) != weights(&b.model));
    // The entropy of the target 0.91 / 0.01 × 9 of ten classes.
    let floor = -(0.91f64 * 0.91f64.ln() + 9.0 * 0.01 * 0.01f64.ln());
    let last = |t: &lenet::Trained| t.history.epochs.last().unwrap().train_loss;
    assert!(last(&b) >= floor - 1e-3, "{} under {floor}", last(&b));
    assert!(last(&a) < last(&b), "{} against {}", last(&a), last(&b));
    assert_eq!(
        Recipe::Improved
            .config(Architecture::LENET5)
            .label_smoothing,
        0.1
    );
    assert_eq!(
        Recipe::Tutorial
            .config(Architecture::LENET5)
            .label_smoothing,
        0.0
    );
}

/// The same seed gives bit-identical weights on 1 thread and on 32: nothing in a
/// step (the fused stages' per-chunk gradient sums included) is grouped by the
/// number of threads.
#[test]
fn the_thread_count_does_not_change_a_single_bit() {
    let data = support::learnable_mnist(640, 40);
    // Plain cross-entropy (the tutorial's) and the smoothed one (the improved
    // recipe's) reduce differently.
    for smoothing in [0.0, 0.1] {
        let config = quick_config(Architecture::LENET5)
            .with_epochs(1)
            .with_batch_size(64)
            .with_label_smoothing(smoothing);
        let on_threads = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let trained = train(&config, &data).unwrap();
                weights(&trained.model)
            })
        };
        let one = on_threads(1);
        let many = on_threads(32);
        let differing = one
            .iter()
            .zip(&many)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(
            differing,
            0,
            "of {} weights, smoothing {smoothing}",
            one.len()
        );
    }
}

/// `latest` is only a hint: one that points outside the run directory, names a
/// directory that is not there, or is gone, falls back to the newest complete
/// checkpoint of the run itself (the one kept besides the newest is for this).
#[test]
fn latest_never_leaves_its_run_and_a_lost_one_falls_back() {
    let data = support::learnable_mnist(160, 40);
    let runs = tempfile::tempdir().unwrap();
    let (a, b) = (runs.path().join("a"), runs.path().join("b"));
    for (dir, seed) in [(&a, 5), (&b, 6)] {
        // Checkpoints at steps 3, 6, 9 and 10; 9 and 10 are kept.
        let config = quick_config(Architecture::LENET5)
            .with_epochs(1)
            .with_seed(seed);
        let options = into(dir).with_checkpoint_every(3);
        lenet::train(&config, &options, &data, &device(), &mut Silent).unwrap();
    }
    // Mark the older of a's two checkpoints, to see which one a fallback takes.
    let older = a.join("checkpoints/step-00000009/config.json");
    let marked = std::fs::read_to_string(&older)
        .unwrap()
        .replace("\"seed\": 5", "\"seed\": 7");
    std::fs::write(&older, marked).unwrap();
    let latest = a.join("checkpoints/latest");
    let other = b.join("checkpoints/step-00000010");
    for pointer in [
        other.to_string_lossy().into_owned(),
        "../../b/checkpoints/step-00000010".to_string(),
        "step-00000099".to_string(),
    ] {
        std::fs::write(&latest, &pointer).unwrap();
        let checkpoint = Checkpoint::find(&a).unwrap();
        assert_eq!(
            checkpoint.config.seed, 5,
            "latest = {pointer}: not the run's newest checkpoint"
        );
    }
    std::fs::remove_file(&latest).unwrap();
    assert_eq!(Checkpoint::find(&a).unwrap().config.seed, 5);
    std::fs::write(&latest, "step-00000009").unwrap();
    assert_eq!(
        Checkpoint::find(&a).unwrap().config.seed,
        7,
        "a good latest wins"
    );
}

/// A new run into a directory that holds an earlier run's later checkpoints
/// removes them, so that no fallback can take one of them for the new run's.
#[test]
fn an_earlier_runs_later_checkpoints_do_not_outlive_a_new_run() {
    let data = support::learnable_mnist(160, 40);
    let dir = tempfile::tempdir().unwrap();
    let options = into(dir.path());
    let two_epochs = quick_config(Architecture::LENET5).with_epochs(2);
    lenet::train(&two_epochs, &options, &data, &device(), &mut Silent).unwrap();
    let root = dir.path().join("checkpoints");
    assert!(root.join("step-00000020").is_dir());
    let one_epoch = two_epochs.clone().with_epochs(1).with_seed(9);
    lenet::train(&one_epoch, &options, &data, &device(), &mut Silent).unwrap();
    assert!(
        !root.join("step-00000020").exists(),
        "the earlier run's step 20 is left"
    );
    std::fs::remove_file(root.join("latest")).unwrap();
    assert_eq!(Checkpoint::find(dir.path()).unwrap().config.seed, 9);
}

/// Pruning removes this process's leftover temporaries and those of processes
/// that are gone, never a running process's.
#[cfg(target_os = "linux")]
#[test]
fn pruning_leaves_a_running_process_temporary_alone() {
    let data = support::learnable_mnist(160, 40);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("checkpoints");
    std::fs::create_dir_all(&root).unwrap();
    let running = root.join(".step-00000003.1.0.tmp"); // pid 1 runs as long as the system
    let gone = root.join(".step-00000003.4000000000.0.tmp");
    for temp in [&running, &gone] {
        std::fs::create_dir(temp).unwrap();
    }
    let config = quick_config(Architecture::LENET5).with_epochs(1);
    lenet::train(&config, &into(dir.path()), &data, &device(), &mut Silent).unwrap();
    assert!(
        running.is_dir(),
        "a running process's temporary was removed"
    );
    assert!(!gone.exists(), "a dead process's temporary was kept");
}

/// The library changes no process-wide state by itself: training leaves glibc's
/// `malloc` settings alone unless the caller asks (`tune_allocator`).
#[test]
fn training_does_not_tune_the_allocator_behind_the_callers_back() {
    let data = support::learnable_mnist(32, 8);
    let config = quick_config(Architecture::LENET5).with_epochs(1);
    train(&config, &data).unwrap();
    lenet::evaluate(
        &lenet::LeNetConfig::new(Architecture::LENET5).init(&device()),
        &data.test,
        lenet::data::Normalization::None,
        8,
    );
    assert!(!lenet::train::allocator_tuned());
}

/// A `.safetensors` moved away from its `config.json` still says how its inputs
/// were normalised in training (in its metadata).
#[test]
fn a_safetensors_file_alone_keeps_its_normalisation() {
    let data = support::learnable_mnist(32, 8);
    let config = quick_config(Architecture::LENET5)
        .with_epochs(1)
        .with_normalization(lenet::data::Normalization::MNIST);
    let trained = train(&config, &data).unwrap();
    let run = tempfile::tempdir().unwrap();
    trained.save(run.path(), "flex").unwrap();
    let alone = tempfile::tempdir().unwrap();
    let moved = alone.path().join("model.safetensors");
    std::fs::copy(run.path().join("model.safetensors"), &moved).unwrap();
    let saved = lenet::SavedModel::load(&moved, None, &device()).unwrap();
    assert!(saved.config_path.is_none());
    assert!(saved.normalization_recorded);
    assert_eq!(saved.normalization, lenet::data::Normalization::MNIST);
    // The same weights give the same bytes.
    trained.save(alone.path(), "flex").unwrap();
    assert_eq!(
        std::fs::read(run.path().join("model.safetensors")).unwrap(),
        std::fs::read(&moved).unwrap()
    );
}

/// A checkpoint written before the run's options had a file of their own
/// (`run.json`) — its `config.json` is a verbatim one of lenet 0.1, holding the
/// recipe with `adam_epsilon` and the plumbing — still reads, its options taken
/// from that file (`output_dir` aside: a resumed run writes where its checkpoint
/// is), and resumes to the weights of the run never interrupted.
#[test]
fn a_checkpoint_from_before_run_options_still_reads_and_resumes() {
    let data = support::learnable_mnist(160, 40); // 10 steps per epoch
    let config = quick_config(Architecture::LENET5).with_epochs(1);
    let straight = train(&config, &data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = lenet::train(
        &config,
        &into(dir.path()),
        &data,
        &device(),
        &mut StopAfter { after: 6, steps: 0 },
    )
    .unwrap_err();
    let Error::Interrupted {
        checkpoint: Some(step),
        ..
    } = err
    else {
        panic!("{err}")
    };
    std::fs::remove_file(step.join("run.json")).unwrap();
    std::fs::write(
        step.join("config.json"),
        include_str!("data/config_lenet_0_1.json"),
    )
    .unwrap();

    let old = Checkpoint::find(dir.path()).unwrap();
    assert_eq!(old.config.to_string(), config.to_string(), "the recipe");
    assert_eq!(old.config.adam_epsilon(), 1e-8);
    let expected = RunOptions::new()
        .with_checkpoint_every(4)
        .with_log_every(7)
        .with_data_dir(Some("/data/mnist".into()))
        .with_data_on_device(Some(false));
    assert_eq!(old.options, expected);
    let resumed = lenet::resume(dir.path(), &data, &device(), &mut Silent).unwrap();
    assert_eq!(resumed.options, expected);
    assert!(
        weights(&resumed.model) == weights(&straight.model),
        "resumed from the old files, other weights"
    );
    // What it writes from now on has the options in a file of their own.
    let newest = Checkpoint::find(dir.path()).unwrap();
    assert!(newest.dir.join("run.json").is_file() && newest.global_step == 10);
}

/// `fused_kernels` reaches the model that trains: Burn's layers train to other
/// last bits than the fused stages, and the trained model keeps the setting.
#[test]
fn training_can_run_burns_layers_instead_of_the_fused_stages() {
    let data = support::learnable_mnist(160, 40);
    let config = quick_config(Architecture::LENET5).with_epochs(1);
    let on = |fused: bool| {
        let options = RunOptions::new().with_fused_kernels(Some(fused));
        lenet::train(&config, &options, &data, &device(), &mut Silent).unwrap()
    };
    let (fused, layers) = (on(true), on(false));
    assert!(fused.model.fused_kernels() && !layers.model.fused_kernels());
    let (a, b) = (weights(&fused.model), weights(&layers.model));
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!(
        differing > 0,
        "the same bits: the setting did not reach training"
    );
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-2, "trained apart by {worst}");
}

/// An improved-recipe config.json from before label smoothing and the shear,
/// aspect, warp, stroke, blur and ink distortions, the other writers' 1s and
/// 7s and the feet and tails existed reads with them off,
/// so such a run resumes as it began.
#[test]
fn an_improved_config_from_before_the_newer_settings_reads_with_them_off() {
    let config = lenet::train::Recipe::Improved.config(Architecture::LENET5);
    let mut json = serde_json::to_value(&config).unwrap();
    assert!(
        json.as_object_mut()
            .unwrap()
            .remove("label_smoothing")
            .is_some()
    );
    let augmentation = json["augmentation"].as_object_mut().unwrap();
    for field in [
        "max_shear",
        "max_aspect",
        "max_warp",
        "max_stroke_change",
        "max_blur",
        "min_ink",
        "other_writing",
        "feet_and_tails",
    ] {
        assert!(augmentation.remove(field).is_some(), "{field}");
    }
    augmentation.insert("max_rotation_deg".into(), 7.0.into());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let read = TrainConfig::from_file(&path).unwrap();
    assert_eq!(read.label_smoothing, 0.0);
    let read = read.augmentation.unwrap();
    assert_eq!(read.max_rotation_deg, 7.0);
    assert_eq!(
        (
            read.max_shear,
            read.max_aspect,
            read.max_warp,
            read.max_stroke_change,
            read.max_blur,
            read.min_ink,
            read.other_writing,
            read.feet_and_tails
        ),
        (0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    );
}
