//! The arrows point from the extras to the core, never back
//! (docs/ARCHITECTURE.md, "Cargo features"): no file of the core names a module
//! of an optional feature, or a crate only a feature brings in. The module
//! declarations that gate the features (`lib.rs` and the `mod.rs` files) are
//! the only place where the two meet.

use std::path::{Path, PathBuf};

/// The parts of `src/` that belong to an optional feature, and the files that
/// declare them.
const NOT_CORE: [&str; 13] = [
    "lib.rs",
    "viz/",
    "predict/",
    "report.rs",
    "explore/",
    "lesson.rs",
    "data/download.rs",
    "data/mod.rs",
    "compare/charts.rs",
    "compare/report.rs",
    "compare/mod.rs",
    "train/learner.rs",
    "train/mod.rs",
];

/// What the core must not name: the feature modules, and the crates they bring.
const FEATURE_NAMES: [&str; 17] = [
    "crate::viz",
    "crate::predict",
    "crate::report",
    "crate::explore",
    "crate::lesson",
    "download::",
    "image::",
    "plotters",
    "axum",
    "tokio",
    "hyper",
    "ureq",
    "indicatif",
    "base64",
    "colorous",
    "burn_train",
    "dejavu",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `code` holds `name` as a whole name: `crate::predict` is not in
/// `crate::prediction`, nor `image::` in `my_image::`.
fn names(code: &str, name: &str) -> bool {
    let part_of_a_name = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        let starts_inside = code[..at].chars().next_back().is_some_and(part_of_a_name);
        let goes_on = name.ends_with(part_of_a_name)
            && code[at + name.len()..]
                .chars()
                .next()
                .is_some_and(part_of_a_name);
        !starts_inside && !goes_on
    })
}

#[test]
fn whole_names_are_matched() {
    assert!(names("use crate::predict::Gray;", "crate::predict"));
    assert!(!names("use crate::prediction::Softmax;", "crate::predict"));
    assert!(names("let x = image::open(p);", "image::"));
    assert!(!names("let x = my_image::open(p);", "image::"));
    assert!(names("tokio::spawn", "tokio"));
}

#[test]
fn no_core_file_names_an_optional_feature() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut core = 0;
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if NOT_CORE.iter().any(|part| relative.starts_with(part)) {
            continue;
        }
        core += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue; // docs may say where a feature takes over
            }
            for name in FEATURE_NAMES {
                if names(code, name) {
                    wrong.push(format!("{relative}:{}: {name}: {code}", number + 1));
                }
            }
        }
    }
    assert!(core > 40, "the core's files were found ({core})");
    assert!(
        wrong.is_empty(),
        "the core names a feature:\n{}",
        wrong.join("\n")
    );
}
