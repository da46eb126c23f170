#![allow(dead_code)] // each fuzz target uses one of these
//! What each fuzz target asserts about one input. Shared by the fuzz targets
//! (`fuzz_targets/*.rs`) and by `tests/it/fuzz_corpus.rs`, which replays the kept
//! corpus (`fuzz/seeds/`) in every `cargo test`, so an input that once crashed
//! stays fixed. An `Err` is the expected answer to garbage; a panic, a hang or a
//! runaway allocation is the bug.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lenet::data::{IdxArray, IdxKind, parse_idx, read_idx};
use lenet::predict::{Polarity, Preprocess, decode, prepare_image};
use lenet::{Architecture, SavedModel};

/// The IDX reader, raw and gzip, from memory and from a file. First byte: bit 0
/// picks images or labels; bit 1 gzips the rest before it is written, so the
/// mutations reach the parser behind a valid gzip stream (corrupt gzip streams come
/// from the seeds, which hold `.gz` files as they are).
pub fn idx(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let kind = if mode & 1 == 0 {
        IdxKind::Images
    } else {
        IdxKind::Labels
    };
    if let Ok(array) = parse_idx(rest, kind) {
        check_idx(&array, kind, rest.len());
    }
    let bytes = if mode & 2 == 0 {
        rest.to_vec()
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(rest).unwrap();
        gz.finish().unwrap()
    };
    let path = scratch("idx");
    std::fs::write(&path, &bytes).unwrap();
    match read_idx(&path, kind) {
        Ok(array) => check_idx(&array, kind, usize::MAX),
        Err(e) => names_the_file(&e, &path),
    }
}

/// What a successful parse promises: the kind's rank, exactly as many elements as
/// the dimensions say, never more than the input held.
fn check_idx(array: &IdxArray, kind: IdxKind, input_len: usize) {
    assert_eq!(array.dims.len(), kind.rank());
    assert_eq!(array.data.len(), array.dims.iter().product::<usize>());
    assert!(array.data.len() <= input_len);
}

/// Decoding a user's picture and turning it into a 28×28 digit, every way
/// `predict` can: automatic polarity, forced polarities, the tutorial's naive resize.
pub fn image(data: &[u8]) {
    let Ok(picture) = decode(data) else {
        return;
    };
    let options = [
        Preprocess::default(),
        Preprocess {
            polarity: Polarity::DarkInk,
            ..Preprocess::default()
        },
        Preprocess {
            polarity: Polarity::LightInk,
            keep_28x28: false,
            ..Preprocess::default()
        },
        Preprocess::tutorial(),
    ];
    for options in &options {
        if let Ok(digit) = prepare_image(&picture, options) {
            assert_eq!(digit.pixels.len(), 28 * 28);
            assert!(digit.pixels.iter().all(|p| p.is_finite()), "{options:?}");
        }
    }
}

/// Loading weights as `evaluate`, `predict` and `visualize_features` do: `.bpk`,
/// `.pth` (zip or legacy pickle) and `.safetensors`, told apart by content. First
/// byte: the architecture the caller names (none, or one of them).
pub fn weights(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let architecture = match pick % 4 {
        0 => None,
        n => Some(Architecture::NAMED[usize::from(n - 1) % Architecture::NAMED.len()].clone()),
    };
    let dir = scratch("weights");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("weights");
    std::fs::write(&path, bytes).unwrap();
    let device = lenet::device("flex").unwrap();
    match SavedModel::load(&path, architecture.clone(), &device) {
        Ok(saved) => {
            if let Some(asked) = architecture {
                assert_eq!(saved.architecture, asked);
            }
        }
        Err(e) => names_the_file(&e, &path),
    }
}

/// The files of a checkpoint, in the order the checkpoint reader opens them.
const CHECKPOINT_FILES: [&str; 4] = ["config.json", "position.json", "model.bpk", "optimizer.bpk"];

/// A valid position at the start of a run (`position.json`).
const START: &str = r#"{"epoch":0,"next_batch":0,"global_step":0,"epoch_loss_sum":0.0,
"epoch_correct":0,"epoch_seen":0,"epoch_seconds":0.0,"history":{"epochs":[]}}"#;

/// Reading a training checkpoint as `--resume` does (`train::Checkpoint`, all
/// four files). First byte: which of its files (`config.json`, `position.json`,
/// `model.bpk`, `optimizer.bpk`) holds the rest; the others are valid (the
/// optimizer state is absent unless fuzzed), so every file is reached.
pub fn checkpoint(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let dir = scratch("checkpoint");
    std::fs::create_dir_all(&dir).unwrap();
    let device = lenet::device("flex").unwrap();
    // The smaller network: its weights and optimizer state are the smaller seeds.
    let config = lenet::train::Recipe::Tutorial.config(Architecture::EXTRA_CONV);
    for name in CHECKPOINT_FILES {
        let _ = std::fs::remove_file(dir.join(name));
    }
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    std::fs::write(dir.join("position.json"), START).unwrap();
    config
        .model
        .init(&device)
        .save(&dir.join("model.bpk"))
        .unwrap();
    let target = dir.join(CHECKPOINT_FILES[usize::from(which) % CHECKPOINT_FILES.len()]);
    std::fs::write(&target, bytes).unwrap();
    let _ = lenet::train::Checkpoint::find(&dir).and_then(|c| c.load_model(&device));
}

/// Every error says which file it is about.
fn names_the_file(error: &lenet::Error, path: &Path) {
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
}

/// A path of this process's own under the temporary directory.
fn scratch(name: &str) -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("lenet-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        root
    });
    root.join(name)
}
