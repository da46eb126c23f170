//! The integration tests, as one crate (one binary to build and link, as
//! ripgrep's `tests/` is): one module per subject, each gated by the features it
//! needs, and one `support` module with every helper written once.
//!
//! The only other test binary is `tests/float_mode/`: it checks the float mode
//! of rayon's global pool, which any training here changes while it runs, and
//! one of its checks must be the first use of rayon in its process.

mod support;

// The core: no optional feature needed.
mod backend_parity;
mod eval;
mod explain;
mod features;
mod fused_stage;
mod hostile_files;
mod idx;
mod layering;
mod model;
mod pytorch_parity;
mod real_mnist;
mod specs;
mod summary;
mod train;

// Parts behind a feature, or tests that run the examples (which need the
// default features).
#[cfg(all(feature = "download", feature = "report"))]
mod bad_inputs;
#[cfg(feature = "predict")]
mod classes;
#[cfg(all(feature = "download", feature = "report"))]
mod compare;
#[cfg(all(feature = "download", feature = "report"))]
mod crash_safety;
#[cfg(feature = "download")]
mod download;
#[cfg(all(feature = "download", feature = "report"))]
mod examples_cli;
#[cfg(all(feature = "download", feature = "explore"))]
mod explore;
#[cfg(all(feature = "download", feature = "explore"))]
mod explore_gate;
#[cfg(feature = "predict")]
mod fuzz_corpus;
#[cfg(all(feature = "download", feature = "explore"))]
mod lab;
#[cfg(all(feature = "download", feature = "learner"))]
mod learner;
#[cfg(all(feature = "download", feature = "report", feature = "tutorial"))]
mod lesson;
#[cfg(all(feature = "download", feature = "report"))]
mod predict;

/// The fuzz targets' checks, shared with `fuzz/` (replayed by `fuzz_corpus`).
#[cfg(feature = "predict")]
#[path = "../../fuzz/checks.rs"]
mod fuzz_checks;
