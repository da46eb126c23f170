//! A way in for `fuzz/` (and `tests/fuzz_corpus.rs`, which replays its corpus) to
//! the checkpoint reader, which is private to the crate. Hidden from the docs: not
//! part of the API a user should build on.
//!
//! Each call lays out one valid checkpoint directory and replaces one of its files
//! with the fuzzer's bytes, so the reader gets past the files it reads first and
//! every file is reached.

use std::path::PathBuf;
use std::sync::OnceLock;

use burn::config::Config;

use super::checkpoint::{Position, read};
use super::config::{Recipe, TrainConfig};
use crate::model::Architecture;
use crate::{Error, Result};

/// The files of a checkpoint, in the order the checkpoint reader opens them.
pub const CHECKPOINT_FILES: [&str; 4] =
    ["config.json", "position.json", "model.bpk", "optimizer.bpk"];

/// Reads a checkpoint whose file `CHECKPOINT_FILES[which % 4]` holds `bytes` and
/// whose other files are valid (the optimizer state is absent unless fuzzed).
pub fn read_checkpoint(which: u8, bytes: &[u8]) -> Result<()> {
    let dir = scratch_dir();
    let device = crate::device("flex")?;
    // The smaller network: its weights and optimizer state are the smaller seeds.
    let config: TrainConfig = Recipe::Tutorial.config(Architecture::EXTRA_CONV);
    let io = |path: PathBuf, e| Error::io(&path, e);
    for name in CHECKPOINT_FILES {
        let _ = std::fs::remove_file(dir.join(name));
    }
    config
        .save(dir.join("config.json"))
        .map_err(|e| io(dir.join("config.json"), e))?;
    let position = serde_json::to_vec(&Position::default()).expect("a position serialises");
    std::fs::write(dir.join("position.json"), position)
        .map_err(|e| io(dir.join("position.json"), e))?;
    config.model.init(&device).save(&dir.join("model.bpk"))?;
    let target = dir.join(CHECKPOINT_FILES[usize::from(which) % CHECKPOINT_FILES.len()]);
    std::fs::write(&target, bytes).map_err(|e| io(target.clone(), e))?;
    read(&dir, &device).map(drop)
}

/// One directory per fuzzing process.
fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("lenet-fuzz-checkpoint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
    .clone()
}
