//! Replays the fuzzers' kept corpus (`fuzz/seeds/<target>/`, minimised with
//! `cargo fuzz cmin`) through the same checks the fuzz targets run, so every input
//! that once found a bug, and every input that reaches a distinct path, is tried in
//! each `cargo test` — without nightly Rust or a fuzzing build. See docs/RELIABILITY.md.

use std::path::Path;

use crate::fuzz_checks as checks;

type Check = fn(&[u8]);

/// One test, inputs in turn: the checks write to per-process scratch files.
#[test]
fn every_kept_fuzz_input_is_handled_without_a_panic() {
    let targets: [(&str, Check); 4] = [
        ("idx", checks::idx),
        ("image", checks::image),
        ("weights", checks::weights),
        ("checkpoint", checks::checkpoint),
    ];
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (target, check) in targets {
        let dir = seeds.join(target);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no kept inputs for {target}");
        for input in &inputs {
            let bytes = std::fs::read(input).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&bytes));
            assert!(outcome.is_ok(), "{target}: {} panicked", input.display());
        }
        eprintln!("{target}: {} kept inputs handled", inputs.len());
    }
}
