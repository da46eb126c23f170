//! What a run tells the page while it trains: steps, epochs, probes of what its
//! layers see, and how it ended — one channel per run, with the events so far
//! kept for a page that connects late (or reloads).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::tensor::Tensor;
use serde::Serialize;

use crate::LeNet;
use crate::train::{EpochRecord, StepReport, TrainObserver};

/// One event of a run's stream (`GET /api/runs/{id}/events`), sent as a
/// Server-Sent Event named after its `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum RunEvent {
    /// A step whose loss was read (every tenth at least).
    Step {
        /// 1-based step over the whole run.
        global_step: usize,
        /// Steps the run has in all.
        total_steps: usize,
        /// 1-based epoch.
        epoch: usize,
        /// The step's training loss.
        loss: f64,
        /// Training images per second since the run (re)started.
        images_per_sec: f64,
    },
    /// An epoch ended: its `history.json` record.
    Epoch(EpochRecord),
    /// What the layers make of one fixed test digit now, and the kernels.
    Probe {
        /// 1-based step it was taken after.
        global_step: usize,
        /// Every layer with maps (before the flatten), in order.
        layers: Vec<ProbeLayer>,
        /// Every convolution's kernels: `[out, in, k, k]`, row-major.
        kernels: Vec<ProbeKernels>,
    },
    /// The run finished and was evaluated on the test images.
    Done {
        /// Accuracy on the 10,000 test images.
        test_accuracy: f64,
    },
    /// The run stopped on request (it resumes from its checkpoint).
    Stopped,
    /// The run failed.
    Failed {
        /// Why.
        error: String,
    },
}

impl RunEvent {
    /// Whether the stream ends with this event.
    pub(crate) fn ends_run(&self) -> bool {
        matches!(
            self,
            Self::Done { .. } | Self::Stopped | Self::Failed { .. }
        )
    }

    /// The SSE event name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Step { .. } => "step",
            Self::Epoch(_) => "epoch",
            Self::Probe { .. } => "probe",
            Self::Done { .. } => "done",
            Self::Stopped => "stopped",
            Self::Failed { .. } => "failed",
        }
    }
}

/// One layer's maps in a probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeLayer {
    /// `conv1`, `relu1`, …
    pub name: String,
    /// `[channels, height, width]`.
    pub shape: Vec<usize>,
    /// Row-major in `shape`.
    pub values: Vec<f32>,
}

/// One convolution's kernels in a probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeKernels {
    /// `[out, in, k, k]`.
    pub shape: [usize; 4],
    /// Row-major in `shape`.
    pub weights: Vec<f32>,
}

/// Steps kept for a late subscriber; beyond this every other one is dropped.
const KEPT_STEPS: usize = 1_000;

/// A run's events: those so far, and the live ones.
#[derive(Debug)]
pub(crate) struct Channel {
    sender: tokio::sync::broadcast::Sender<Arc<RunEvent>>,
    kept: Mutex<Vec<Arc<RunEvent>>>,
}

impl Channel {
    pub(crate) fn new() -> Self {
        Self {
            sender: tokio::sync::broadcast::channel(256).0,
            kept: Mutex::new(Vec::new()),
        }
    }

    /// Sends `event` to every subscriber and keeps it (the newest probe only,
    /// while the run trains; steps thinned out past [`KEPT_STEPS`]).
    pub(crate) fn publish(&self, event: RunEvent) {
        let event = Arc::new(event);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        // The newest probe is kept while the run trains, none once it ended
        // (a finished run's channel stays for the server's life).
        if matches!(*event, RunEvent::Probe { .. }) || event.ends_run() {
            kept.retain(|e| !matches!(**e, RunEvent::Probe { .. }));
        }
        kept.push(Arc::clone(&event));
        let steps = kept
            .iter()
            .filter(|e| matches!(***e, RunEvent::Step { .. }))
            .count();
        if steps > KEPT_STEPS {
            let mut nth = 0;
            kept.retain(|e| {
                if matches!(**e, RunEvent::Step { .. }) {
                    nth += 1;
                    nth % 2 == 0
                } else {
                    true
                }
            });
        }
        let _ = self.sender.send(event); // nobody listening is fine
    }

    /// The events so far and a receiver of those to come, with none lost or
    /// repeated between the two.
    pub(crate) fn subscribe(
        &self,
    ) -> (
        Vec<Arc<RunEvent>>,
        tokio::sync::broadcast::Receiver<Arc<RunEvent>>,
    ) {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        (kept.clone(), self.sender.subscribe())
    }
}

/// Every how many steps a probe is taken.
const PROBE_EVERY: usize = 200;

/// Turns a training run's callbacks into events, and a stop request into a
/// clean stop.
pub(crate) struct Observer {
    pub(crate) channel: Arc<Channel>,
    pub(crate) stop: Arc<std::sync::atomic::AtomicBool>,
    /// The fixed test digit probes look at, as the model takes it.
    pub(crate) probe_input: Tensor<4>,
    pub(crate) batch_size: usize,
    started: Option<(Instant, usize)>,
    total_steps: usize,
}

impl Observer {
    pub(crate) fn new(
        channel: Arc<Channel>,
        stop: Arc<std::sync::atomic::AtomicBool>,
        probe_input: Tensor<4>,
        batch_size: usize,
    ) -> Self {
        Self {
            channel,
            stop,
            probe_input,
            batch_size,
            started: None,
            total_steps: 0,
        }
    }
}

impl TrainObserver for Observer {
    fn on_start(&mut self, first_global_step: usize, total_steps: usize) {
        self.started = Some((Instant::now(), first_global_step));
        self.total_steps = total_steps;
    }

    fn on_step(&mut self, step: &StepReport) {
        let Some(loss) = step.loss else { return };
        let (since, first) = self.started.unwrap_or((Instant::now(), step.global_step));
        let images = (step.global_step + 1 - first) * self.batch_size;
        self.channel.publish(RunEvent::Step {
            global_step: step.global_step,
            total_steps: self.total_steps,
            epoch: step.epoch,
            loss,
            images_per_sec: images as f64 / since.elapsed().as_secs_f64().max(1e-9),
        });
    }

    fn on_epoch_end(&mut self, record: &EpochRecord) {
        self.channel.publish(RunEvent::Epoch(record.clone()));
    }

    fn probe_every(&self) -> Option<usize> {
        Some(PROBE_EVERY)
    }

    fn on_probe(&mut self, global_step: usize, model: &LeNet) {
        self.channel
            .publish(probe(global_step, model, self.probe_input.clone()));
    }

    fn should_stop(&mut self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A probe of `model` on `input` (one image).
pub(crate) fn probe(global_step: usize, model: &LeNet, input: Tensor<4>) -> RunEvent {
    let maps = crate::extract_feature_maps(model, input);
    let layers = maps
        .layers
        .into_iter()
        .filter(|map| map.item_shape().len() == 3)
        .map(|map| ProbeLayer {
            shape: map.item_shape().to_vec(),
            name: map.name,
            values: map.values,
        })
        .collect();
    let kernels = model
        .conv_kernels()
        .into_iter()
        .map(|k| ProbeKernels {
            shape: k.shape,
            weights: k.weights,
        })
        .collect();
    RunEvent::Probe {
        global_step,
        layers,
        kernels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_subscriber_gets_what_was_kept_then_the_rest() {
        let channel = Channel::new();
        for step in 1..=3 * KEPT_STEPS {
            channel.publish(RunEvent::Step {
                global_step: step,
                total_steps: 3 * KEPT_STEPS,
                epoch: 1,
                loss: 1.0,
                images_per_sec: 1.0,
            });
        }
        channel.publish(RunEvent::Stopped);
        let (kept, mut live) = channel.subscribe();
        let steps = kept.iter().filter(|e| e.name() == "step").count();
        assert!((KEPT_STEPS / 2..=KEPT_STEPS).contains(&steps), "{steps}");
        assert_eq!(kept.last().unwrap().name(), "stopped");
        channel.publish(RunEvent::Done { test_accuracy: 0.9 });
        assert_eq!(live.try_recv().unwrap().name(), "done");
    }
}
