//! Training as a job: a queue, and one thread that trains its runs one at a
//! time (two cores train one network at full speed, not two at half) through
//! [`train`](crate::train()) and [`resume`](crate::train::resume), writing
//! exactly what `train_mnist --out` writes.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use burn::tensor::Device;

use super::events::{Channel, Observer, RunEvent};
use super::runs::{LabRecord, RunState, write_record};
use crate::data::{Mnist, MnistBatcher};
use crate::train::{RunOptions, TrainConfig};
use crate::{Error, Result};

/// How a job starts its run.
#[derive(Debug, Clone)]
pub(crate) enum Start {
    /// From the beginning, with this recipe and these options.
    Fresh {
        config: Box<TrainConfig>,
        options: RunOptions,
    },
    /// From the run's newest checkpoint.
    Resume,
}

#[derive(Debug)]
struct Job {
    id: String,
    dir: PathBuf,
    start: Start,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Job>,
    /// The run training now and its stop flag.
    running: Option<(String, Arc<AtomicBool>)>,
    /// Every run's channel since the server started.
    channels: HashMap<String, Arc<Channel>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// Why a run was not queued.
#[derive(Debug)]
pub(crate) enum Refused {
    /// It is queued or training already.
    Active,
    /// The queue is full.
    Full,
    /// Its record could not be written.
    Record(Error),
}

/// The queue of training jobs and the thread that runs them.
#[derive(Debug, Clone)]
pub(crate) struct Jobs {
    shared: Arc<Shared>,
}

/// What the training thread trains with.
pub(crate) struct Trainer {
    pub(crate) data: Arc<Mnist>,
    pub(crate) device: Device,
    /// The device's name, as `metrics.json` records it.
    pub(crate) device_name: String,
}

impl Jobs {
    /// The queue, with its training thread started.
    pub(crate) fn start(trainer: Trainer) -> Self {
        let jobs = Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
            }),
        };
        let worker = jobs.clone();
        std::thread::Builder::new()
            .name("lenet-lab-training".into())
            .spawn(move || worker.work(trainer))
            .expect("a thread can be started");
        jobs
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs waiting, and training.
    pub(crate) fn len(&self) -> usize {
        let state = self.state();
        state.queue.len() + usize::from(state.running.is_some())
    }

    /// Queues run `id` (its directory `dir`), unless it is queued or training
    /// already or `capacity` runs are: the check and the queueing are one step,
    /// so two requests never queue one run twice.
    pub(crate) fn enqueue(
        &self,
        id: String,
        dir: PathBuf,
        start: Start,
        capacity: usize,
    ) -> Result<(), Refused> {
        let mut state = self.state();
        if state.running.as_ref().is_some_and(|(r, _)| *r == id)
            || state.queue.iter().any(|j| j.id == id)
        {
            return Err(Refused::Active);
        }
        if state.queue.len() + usize::from(state.running.is_some()) >= capacity {
            return Err(Refused::Full);
        }
        write_record(
            &dir,
            &LabRecord {
                state: RunState::Queued,
                error: None,
            },
        )
        .map_err(Refused::Record)?;
        state.channels.insert(id.clone(), Arc::new(Channel::new()));
        state.queue.push_back(Job { id, dir, start });
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Runs `remove` (which deletes run `id`'s files) unless the run is queued
    /// or training, with the queue held meanwhile so that it cannot start;
    /// forgets its events. `None` when the run is active.
    pub(crate) fn while_idle<T>(&self, id: &str, remove: impl FnOnce() -> T) -> Option<T> {
        let mut state = self.state();
        if state.running.as_ref().is_some_and(|(r, _)| r == id)
            || state.queue.iter().any(|j| j.id == id)
        {
            return None;
        }
        state.channels.remove(id);
        Some(remove())
    }

    /// The state of run `id`'s job, if it has one (queued or training).
    pub(crate) fn state_of(&self, id: &str) -> Option<RunState> {
        let state = self.state();
        if state.running.as_ref().is_some_and(|(r, _)| r == id) {
            Some(RunState::Running)
        } else if state.queue.iter().any(|j| j.id == id) {
            Some(RunState::Queued)
        } else {
            None
        }
    }

    /// Stops run `id`: a training run at its next step (after a checkpoint), a
    /// queued one at once. `false` when it has no job.
    pub(crate) fn stop(&self, id: &str) -> Result<bool> {
        let mut state = self.state();
        if let Some((_, flag)) = state.running.as_ref().filter(|(r, _)| r == id) {
            flag.store(true, Ordering::Relaxed);
            return Ok(true);
        }
        let Some(position) = state.queue.iter().position(|j| j.id == id) else {
            return Ok(false);
        };
        let job = state.queue.remove(position).expect("found above");
        let channel = state.channels.get(id).cloned();
        drop(state);
        write_record(
            &job.dir,
            &LabRecord {
                state: RunState::Stopped,
                error: None,
            },
        )?;
        if let Some(channel) = channel {
            channel.publish(RunEvent::Stopped);
        }
        Ok(true)
    }

    /// Run `id`'s channel, if it had a job since the server started.
    pub(crate) fn channel(&self, id: &str) -> Option<Arc<Channel>> {
        self.state().channels.get(id).cloned()
    }

    /// The training thread: one job after another, forever.
    fn work(&self, trainer: Trainer) {
        loop {
            let (job, stop, channel) = {
                let mut state = self.state();
                let job = loop {
                    match state.queue.pop_front() {
                        Some(job) => break job,
                        None => {
                            state = self
                                .shared
                                .wake
                                .wait(state)
                                .unwrap_or_else(|e| e.into_inner())
                        }
                    }
                };
                let stop = Arc::new(AtomicBool::new(false));
                state.running = Some((job.id.clone(), Arc::clone(&stop)));
                let channel = Arc::clone(
                    state
                        .channels
                        .entry(job.id.clone())
                        .or_insert_with(|| Arc::new(Channel::new())),
                );
                (job, stop, channel)
            };
            // A panic in training ends the run as failed, never the thread (the
            // queue would stop for good).
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(&trainer, &job, stop, &channel)
            }))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                Err(Error::InvalidArgument(format!(
                    "training stopped by {what}"
                )))
            });
            let (record, event) = match outcome {
                Ok(test_accuracy) => (
                    LabRecord {
                        state: RunState::Done,
                        error: None,
                    },
                    RunEvent::Done { test_accuracy },
                ),
                Err(Error::Interrupted { .. }) => (
                    LabRecord {
                        state: RunState::Stopped,
                        error: None,
                    },
                    RunEvent::Stopped,
                ),
                Err(error) => {
                    let error = error.full_message();
                    (
                        LabRecord {
                            state: RunState::Failed,
                            error: Some(error.clone()),
                        },
                        RunEvent::Failed { error },
                    )
                }
            };
            // The record first, and the job no longer running: a page told
            // `done` or `stopped` finds the run so.
            let written = write_record(&job.dir, &record);
            self.state().running = None;
            match written {
                Ok(()) => channel.publish(event),
                Err(e) => channel.publish(RunEvent::Failed {
                    error: e.full_message(),
                }),
            }
        }
    }
}

/// Trains (or resumes) one job's run and saves it; its test accuracy.
fn run(trainer: &Trainer, job: &Job, stop: Arc<AtomicBool>, channel: &Arc<Channel>) -> Result<f64> {
    write_record(
        &job.dir,
        &LabRecord {
            state: RunState::Running,
            error: None,
        },
    )?;
    let config = match &job.start {
        Start::Fresh { config, .. } => (**config).clone(),
        Start::Resume => crate::train::Checkpoint::find(&job.dir)?.config,
    };
    let probe_input = MnistBatcher::new(config.normalization)
        .batch_from_split(&trainer.data.test, &[0], &trainer.device)
        .images;
    let mut observer = Observer::new(Arc::clone(channel), stop, probe_input, config.batch_size);
    let trained = match &job.start {
        Start::Fresh { config, options } => crate::train(
            config,
            options,
            &trainer.data,
            &trainer.device,
            &mut observer,
        )?,
        Start::Resume => {
            crate::train::resume(&job.dir, &trainer.data, &trainer.device, &mut observer)?
        }
    };
    trained.save(&job.dir, &trainer.device_name)?;
    Ok(trained.evaluation.accuracy)
}
