//! The example command lines as a user runs them: real output, clear errors,
//! non-zero exit codes, no panics.

use crate::support::{self, run_example as run};

use std::process::Command;

/// `evaluate --checkpoint FILE --data-dir DIR --json` and `more`, which must succeed.
fn evaluate_json(
    checkpoint: &std::path::Path,
    data: &std::path::Path,
    more: &[&str],
) -> serde_json::Value {
    let mut args = vec![
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--json",
    ];
    args.extend(more);
    let result = run("evaluate", &args);
    assert!(result.status.success(), "{}", text(&result.stderr));
    serde_json::from_slice(&result.stdout).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn summary_prints_both_models_and_a_comparison() {
    let out = run("summary", &["--device", "flex"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("Total params: 61,706"), "{stdout}");
    assert!(stdout.contains("Total params: 30,378"), "{stdout}");
    assert!(stdout.contains("Comparison"), "{stdout}");
    let lenet5 = stdout.find("LeNet5 — input").unwrap();
    let extra = stdout.find("LeNet5 + extra conv — input").unwrap();
    assert!(lenet5 < extra, "LeNet5 first");
}

/// The comparison says what its shares are of (LeNet5 when given, wherever it
/// is in the list) and its columns line up whatever the names' lengths.
#[test]
fn summary_compares_against_lenet5_and_stays_aligned() {
    let spec = "conv6k5p2-relu-pool-conv16k7-relu-pool-fc10";
    let out = run(
        "summary",
        &["--model", spec, "--model", "lenet5", "--device", "flex"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Comparison"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(table.len(), 4, "{stdout}");
    assert!(table[0].contains("params vs lenet5"), "{stdout}");
    let pipes = |line: &str| -> Vec<usize> {
        line.chars()
            .enumerate()
            .filter(|(_, c)| *c == '|')
            .map(|(i, _)| i)
            .collect()
    };
    assert!(
        table.iter().all(|l| pipes(l) == pipes(table[0])),
        "{stdout}"
    );
    let lenet5 = table.iter().find(|l| l.starts_with("| lenet5 ")).unwrap();
    assert_eq!(
        lenet5.matches(" 100% ").count(),
        2,
        "LeNet5 against itself: {lenet5}"
    );
    let mine = table.iter().find(|l| l.contains(spec)).unwrap();
    assert!(!mine.contains(" 100% "), "{mine}");
}

#[test]
fn summary_json_is_machine_readable() {
    let out = run("summary", &["--json", "--batch", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value[0]["total_params"], 61_706);
    assert_eq!(value[1]["total_params"], 30_378);
    assert_eq!(value[0]["input_shape"][0], 2);
}

#[test]
fn an_unknown_device_is_one_clear_line() {
    let out = run("summary", &["--device", "tpu"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("tpu") && stderr.contains("flex"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn mnist_info_reports_the_real_data_and_draws_the_first_digits() {
    let Some(dir) =
        support::real_mnist_dir("mnist_info_reports_the_real_data_and_draws_the_first_digits")
    else {
        return;
    };
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(
        "mnist_info",
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("train     60000"), "{stdout}");
    assert!(stdout.contains("test      10000"), "{stdout}");
    assert!(stdout.contains("mean 0.1307, std 0.3081"), "{stdout}");
    assert!(
        stdout.contains("5923") && stdout.contains("1135"),
        "per-class counts: {stdout}"
    );
    let png = out_dir.path().join("mnist_first100.png");
    let picture = image::open(&png).unwrap();
    assert!(picture.width() >= 10 * 84 && picture.height() >= 10 * 84);
    assert!(support::leftover_temp_files(out_dir.path()).is_empty());
}

#[test]
fn mnist_info_with_a_truncated_file_names_it_and_does_not_panic() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 5, 5);
    let images = data.path().join("train-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 2]).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(
        "mnist_info",
        &[
            "--data-dir",
            data.path().to_str().unwrap(),
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("train-images-idx3-ubyte.gz"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        std::fs::read_dir(out_dir.path()).unwrap().next().is_none(),
        "no output written"
    );
}

#[test]
fn mnist_info_with_a_missing_directory_says_what_to_do() {
    let out = run("mnist_info", &["--data-dir", "/nonexistent/lenet-data"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/lenet-data") && stderr.contains("missing"),
        "{stderr}"
    );
    assert!(stderr.contains("--download"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn train_mnist_writes_its_outputs_and_evaluate_reads_them_back() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 96, 40);
    let out = tempfile::tempdir().unwrap();
    let run_dir = out.path().join("run");
    let args = [
        "--data-dir",
        data.path().to_str().unwrap(),
        "--out",
        run_dir.to_str().unwrap(),
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--model",
        "extra-conv",
        "--device",
        "flex",
        "--seed",
        "4",
        "--label-smoothing",
        "0.05",
    ];
    let result = run("train_mnist", &args);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let config = lenet::TrainConfig::from_file(&run_dir.join("config.json")).unwrap();
    assert_eq!(config.label_smoothing, 0.05);
    let stderr = text(&result.stderr);
    assert!(stderr.contains("epoch  2: train loss"), "{stderr}");
    assert!(stderr.contains("seed 4, label smoothing 0.05"), "{stderr}");
    for file in [
        "model.bpk",
        "model.safetensors",
        "config.json",
        "history.json",
        "history.csv",
        "metrics.json",
        "evaluation.json",
        "checkpoints/latest",
    ] {
        assert!(run_dir.join(file).is_file(), "missing {file}");
    }
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("metrics.json")).unwrap()).unwrap();
    for key in [
        "test_accuracy",
        "test_loss",
        "epochs",
        "train_seconds",
        "train_samples_per_sec",
        "params",
        "model",
        "device",
        "seed",
    ] {
        assert!(
            !metrics[key].is_null(),
            "metrics.json lacks {key}: {metrics}"
        );
    }
    assert_eq!(metrics["model"], "extra-conv");
    assert_eq!(metrics["params"], 30_378);
    assert_eq!(metrics["epochs"], 2);
    assert_eq!(metrics["seed"], 4);
    // A smoothing outside [0, 1) is refused before training: no weights, no config.
    let refused = out.path().join("refused");
    let result = run(
        "train_mnist",
        &[
            "--data-dir",
            data.path().to_str().unwrap(),
            "--out",
            refused.to_str().unwrap(),
            "--label-smoothing",
            "1",
        ],
    );
    assert_eq!(result.status.code(), Some(1), "{}", text(&result.stderr));
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("label smoothing must be at least 0 and below 1"),
        "{stderr}"
    );
    assert!(!refused.join("model.bpk").exists() && !refused.join("config.json").exists());
    let csv = std::fs::read_to_string(run_dir.join("history.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");

    let eval = evaluate_json(&run_dir.join("model.bpk"), data.path(), &[]);
    assert_eq!(eval["test_accuracy"], metrics["test_accuracy"]);
    assert_eq!(eval["model"], "extra-conv");
    assert_eq!(eval["count"], 40);
    assert_eq!(eval["read"], "once");

    // Read as `predict` reads a picture: the library's evaluation with the views.
    let eval = evaluate_json(&run_dir.join("model.bpk"), data.path(), &["--views"]);
    assert_eq!(eval["read"], "seven views");
    assert_eq!(eval["count"], 40);
    let device = lenet::device("flex").unwrap();
    let saved = lenet::SavedModel::load(&run_dir.join("model.bpk"), None, &device).unwrap();
    let test = lenet::data::MnistSplit::load(data.path(), lenet::data::Split::Test).unwrap();
    let library = lenet::predict::evaluate_with_views(
        &saved,
        &test,
        lenet::predict::Views::SHIFTS_AND_SLANTS,
    );
    assert_eq!(eval["confusion"], serde_json::json!(library.confusion));
    assert_eq!(eval["test_accuracy"], serde_json::json!(library.accuracy));

    // The safetensors export evaluates the same (its config.json is beside it).
    let eval = evaluate_json(&run_dir.join("model.safetensors"), data.path(), &[]);
    assert_eq!(eval["test_accuracy"], metrics["test_accuracy"]);

    // The wrong --model for this checkpoint is refused with the reason.
    let result = run(
        "evaluate",
        &[
            "--checkpoint",
            run_dir.join("model.bpk").to_str().unwrap(),
            "--model",
            "lenet5",
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
    );
    assert!(!result.status.success());
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("extra-conv") && !stderr.contains("panicked"),
        "{stderr}"
    );

    // Resuming a finished run changes nothing and rewrites the same results.
    let result = run(
        "train_mnist",
        &[
            "--resume",
            run_dir.to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
    );
    assert!(result.status.success(), "{}", text(&result.stderr));
    let again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(again["test_accuracy"], metrics["test_accuracy"]);
}

/// `evaluate --checkpoint RUN/model.bpk` with no data flags, no
/// `$LENET_DATA_DIR` and no network, in an empty home: the run's recorded data,
/// its test images alone (the training files are not even there); and when that
/// directory is gone, one line that says so and how to go on.
#[test]
fn evaluate_uses_the_runs_recorded_data_and_only_its_test_images() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 64, 30);
    let out = tempfile::tempdir().unwrap();
    let run_dir = out.path().join("run");
    let trained = run(
        "train_mnist",
        &[
            "--data-dir",
            data.path().to_str().unwrap(),
            "--out",
            run_dir.to_str().unwrap(),
            "--epochs",
            "1",
            "--device",
            "flex",
        ],
    );
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("metrics.json")).unwrap()).unwrap();
    for file in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
        std::fs::remove_file(data.path().join(file)).unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let evaluate = || {
        Command::new(support::example_bin("evaluate"))
            .args([
                "--checkpoint",
                run_dir.join("model.bpk").to_str().unwrap(),
                "--json",
            ])
            .args(["--device", "flex"])
            .env_remove("LENET_DATA_DIR")
            .env("HOME", home.path())
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            // Nowhere to download from: a download attempt would fail.
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .output()
            .unwrap()
    };
    let result = evaluate();
    assert!(result.status.success(), "{}", text(&result.stderr));
    let eval: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(eval["test_accuracy"], metrics["test_accuracy"]);
    assert_eq!(eval["count"], 30);
    assert!(
        !home.path().join("cache").exists(),
        "nothing downloaded into the cache"
    );

    drop(data); // the recorded directory is gone
    let result = evaluate();
    assert!(!result.status.success());
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("no longer there") && stderr.contains("--data-dir"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn train_mnist_refuses_bad_settings_in_one_line() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 8, 8);
    let out = tempfile::tempdir().unwrap();
    for (flag, value) in [("--lr", "-1"), ("--epochs", "0"), ("--model", "resnet")] {
        let result = run(
            "train_mnist",
            &[
                "--data-dir",
                data.path().to_str().unwrap(),
                "--out",
                out.path().to_str().unwrap(),
                flag,
                value,
            ],
        );
        assert!(!result.status.success(), "{flag} {value}");
        let stderr = text(&result.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let result = run(
        "train_mnist",
        &[
            "--resume",
            out.path().join("nothing").to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
    );
    assert!(!result.status.success());
    assert!(
        text(&result.stderr).contains("no checkpoint here"),
        "{}",
        text(&result.stderr)
    );
}

/// The tutorial's PyTorch checkpoint `file` from ../shared/fixtures/pytorch, or
/// `None` (with a SKIPPED line naming `test`) where it is not there.
fn pytorch_fixture(test: &str, file: &str) -> Option<std::path::PathBuf> {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/pytorch")
        .join(file);
    if fixture.is_file() {
        return Some(fixture);
    }
    eprintln!("SKIPPED {test}: no {}", fixture.display());
    None
}

/// `lookalikes --font-dir` reads the digits of every font found below the
/// directory as a further source (files that are not fonts skipped), and
/// refuses a directory with no font that has the ten digits.
#[cfg(feature = "tutorial")]
#[test]
fn lookalikes_reads_the_fonts_below_a_directory_and_refuses_one_without() {
    let Some(fixture) = pytorch_fixture(
        "lookalikes_reads_the_fonts_below_a_directory_and_refuses_one_without",
        "lenet5_state_dict.pth",
    ) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 4, 30);
    let fonts = tempfile::tempdir().unwrap();
    std::fs::create_dir(fonts.path().join("mono")).unwrap();
    std::fs::write(
        fonts.path().join("mono/DejaVuSansMono.ttf"),
        dejavu::sans_mono::regular(),
    )
    .unwrap();
    std::fs::write(fonts.path().join("broken.ttf"), b"not a font").unwrap();
    std::fs::write(fonts.path().join("README"), b"fonts").unwrap();
    let lookalikes = |font_dir: &std::path::Path| {
        run(
            "lookalikes",
            &[
                "--checkpoint",
                fixture.to_str().unwrap(),
                "--data-dir",
                data.path().to_str().unwrap(),
                "--count",
                "20",
                "--json",
                "--font-dir",
                font_dir.to_str().unwrap(),
            ],
        )
    };
    let result = lookalikes(fonts.path());
    assert!(result.status.success(), "{}", text(&result.stderr));
    let lines: Vec<serde_json::Value> = text(&result.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let from_fonts: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| {
            l["style"]
                .as_str()
                .unwrap()
                .starts_with("handwriting-font ")
        })
        .collect();
    // The MNIST row, then every style from each of three sources.
    let styles = lenet::predict::LookalikeStyle::ALL.len();
    assert_eq!(
        (lines.len(), from_fonts.len()),
        (1 + 3 * styles, styles),
        "{lines:?}"
    );
    assert_eq!(lines[0]["style"], "mnist test, as they are");
    assert_eq!(lines[0]["count"], 30, "every test digit");
    for line in from_fonts {
        assert_eq!(line["count"], 20);
        for way in [
            "crate",
            "one reading",
            "no stroke step",
            "no clearing step",
            "tutorial",
        ] {
            let rate = line["accuracy"][way]["mean"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&rate), "{line}");
        }
    }
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("broken.otf"), b"not a font").unwrap();
    let result = lookalikes(empty.path());
    assert!(!result.status.success());
    let stderr = text(&result.stderr);
    assert!(stderr.contains("no font with all ten digits"), "{stderr}");
}

#[test]
fn evaluate_reads_the_tutorials_pytorch_checkpoint() {
    let Some(fixture) = pytorch_fixture(
        "evaluate_reads_the_tutorials_pytorch_checkpoint",
        "lenet5_extra_conv_state_dict.pth",
    ) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 4, 30);
    let result = run(
        "evaluate",
        &[
            "--checkpoint",
            fixture.to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
            "--json",
        ],
    );
    assert!(result.status.success(), "{}", text(&result.stderr));
    let eval: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(eval["model"], "extra-conv", "recognised from the keys");
    assert_eq!(eval["count"], 30);
    let result = run(
        "evaluate",
        &[
            "--checkpoint",
            fixture.to_str().unwrap(),
            "--model",
            "lenet5",
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
    );
    assert!(!result.status.success());
    assert!(
        text(&result.stderr).contains("not lenet5"),
        "{}",
        text(&result.stderr)
    );
}

/// Every example that takes a network lists every architecture in `--help`, and
/// still accepts the other spellings the library parses.
#[test]
fn help_lists_every_architecture() {
    for example in [
        "train_mnist",
        "evaluate",
        "predict",
        "visualize_features",
        "compare_models",
    ] {
        let out = run(example, &["--help"]);
        assert!(out.status.success(), "{example}");
        let help = text(&out.stdout);
        for arch in lenet::Architecture::NAMED {
            assert!(
                help.contains(arch.name()),
                "{example} --help lacks {arch}: {help}"
            );
        }
    }
    let out = run(
        "train_mnist",
        &["--model", "LeNet5", "--data-dir", "/nonexistent"],
    );
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("invalid value"), "{stderr}");
}

/// A spec trains, and its checkpoint rebuilds itself: `evaluate` needs no
/// `--model`, and neither does the `.safetensors` moved away from `config.json`.
#[test]
fn a_spec_trains_and_its_checkpoint_rebuilds_itself() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 96, 40);
    let out = tempfile::tempdir().unwrap();
    let run_dir = out.path().join("run");
    let spec = "conv4k3p1-relu-pool-conv8k3-relu-avgpool-fc16-relu-fc10";
    let result = run(
        "train_mnist",
        &[
            "--data-dir",
            data.path().to_str().unwrap(),
            "--out",
            run_dir.to_str().unwrap(),
            "--epochs",
            "1",
            "--model",
            spec,
            "--device",
            "flex",
        ],
    );
    assert!(result.status.success(), "{}", text(&result.stderr));
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["model"], spec);
    let config = std::fs::read_to_string(run_dir.join("config.json")).unwrap();
    assert!(config.contains(spec), "{config}");

    let from_bpk = evaluate_json(&run_dir.join("model.bpk"), data.path(), &[]);
    let alone = out.path().join("alone.safetensors");
    std::fs::copy(run_dir.join("model.safetensors"), &alone).unwrap();
    let from_safetensors = evaluate_json(&alone, data.path(), &[]);
    assert_eq!(from_bpk["model"], spec);
    assert_eq!(from_safetensors["model"], spec);
    assert_eq!(from_bpk["test_accuracy"], metrics["test_accuracy"]);
    assert_eq!(from_safetensors["test_accuracy"], from_bpk["test_accuracy"]);
}

#[test]
fn a_bad_spec_exits_non_zero_naming_the_token() {
    for example in ["train_mnist", "summary"] {
        let result = run(example, &["--model", "conv6k5-relu-pool-conv16k15-fc10"]);
        assert!(!result.status.success(), "{example}");
        let stderr = text(&result.stderr);
        assert!(
            stderr.contains("token 4 `conv16k15`") && stderr.contains("larger than its input"),
            "{example}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Without `--checkpoint`, `explore` trains its quick model into the cache once,
/// uses it the next time, and trains it again when the cached one was made with
/// other settings (an earlier version's recipe) or its settings cannot be read.
#[test]
#[cfg(feature = "explore")]
fn explore_trains_its_quick_model_once_and_again_when_its_settings_changed() {
    let data = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(data.path(), 64, 16);
    let cache = tempfile::tempdir().unwrap();
    let quick = cache.path().join("lenet/explore/lenet5-improved-1-epoch");
    let config_path = quick.join("config.json");
    let start = || -> String {
        let log = cache.path().join("stderr.txt");
        let mut command = support::http::ExploreProcess::command();
        command
            .args(["--data-dir", data.path().to_str().unwrap(), "--no-lab"])
            .env("XDG_CACHE_HOME", cache.path())
            .stderr(std::fs::File::create(&log).unwrap());
        let server = support::http::ExploreProcess::spawn(command);
        let models = server.get("/api/models");
        assert_eq!(models.status, 200);
        assert_eq!(models.json()["models"][0]["architecture"], "lenet5");
        drop(server);
        std::fs::read_to_string(&log).unwrap()
    };
    let trained = |stderr: &str| stderr.contains("training a quick LeNet5");

    let first = start();
    assert!(trained(&first), "{first}");
    let weights = std::fs::read(quick.join("model.bpk")).unwrap();
    let second = start();
    assert!(
        !trained(&second) && second.contains("using the quick model"),
        "{second}"
    );
    assert_eq!(std::fs::read(quick.join("model.bpk")).unwrap(), weights);

    // The improved recipe of an earlier version had no label smoothing.
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    let smoothing = config["label_smoothing"].clone();
    assert!(smoothing.as_f64().unwrap() > 0.0, "{config}");
    config["label_smoothing"] = 0.0.into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    let third = start();
    assert!(trained(&third), "{third}");
    let rewritten: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    assert_eq!(rewritten["label_smoothing"], smoothing);

    std::fs::write(&config_path, "{ not json").unwrap();
    let fourth = start();
    assert!(trained(&fourth), "{fourth}");
}

/// `predict --labels`: the score counts a picture that cannot be read as
/// wrong, names the labelled pictures not given, and a bad labels file is
/// refused with its line before any picture is read.
#[test]
fn predict_scores_pictures_against_their_labels() {
    let dir = tempfile::tempdir().unwrap();
    let device = lenet::device("flex").unwrap();
    let model = dir.path().join("lenet5.bpk");
    lenet::LeNetConfig::new(lenet::Architecture::LENET5)
        .init_seeded(&device, 0)
        .save(&model)
        .unwrap();
    let picture = |name: &str, bars: &[(u32, u32)]| {
        let mut image = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        for &(x0, x1) in bars {
            for y in 12..52 {
                for x in x0..x1 {
                    image.put_pixel(x, y, image::Luma([0]));
                }
            }
        }
        image.save(dir.path().join(name)).unwrap();
    };
    picture("one.png", &[(30, 35)]);
    picture("two_bars.png", &[(18, 24), (40, 46)]);
    picture("blank.png", &[]);
    // `predict --labels` with `labels` as the file, on the folder and `more`.
    let predict = |labels: &str, more: &[&str]| {
        let labels_file = dir.path().join("labels.csv");
        std::fs::write(&labels_file, labels).unwrap();
        let mut args = vec!["--checkpoint", model.to_str().unwrap(), "--model", "lenet5"];
        args.extend([
            "--device",
            "flex",
            "--labels",
            labels_file.to_str().unwrap(),
        ]);
        args.push(dir.path().to_str().unwrap());
        args.extend(more);
        run("predict", &args)
    };
    // What the untrained model reads the two pictures with ink as.
    let first = predict("one.png,0\n", &["--json"]);
    let classes: Vec<serde_json::Value> = text(&first.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let class_of = |name: &str| {
        classes
            .iter()
            .find(|c| c["path"].as_str().unwrap().ends_with(name))
            .unwrap()["class"]
            .as_u64()
            .unwrap()
    };
    let (one, two) = (class_of("one.png"), class_of("two_bars.png"));
    let other = (two + 1) % 10;
    let labels =
        format!("file,label\none.png,{one}\ntwo_bars.png,{other}\nblank.png,3\nlost.png,5\n");

    let result = predict(&labels, &["--json"]);
    // The blank picture is refused: exit code 1, as without labels.
    assert_eq!(result.status.code(), Some(1), "{}", text(&result.stderr));
    let stdout = text(&result.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let score = lines.last().unwrap();
    assert_eq!(score["labelled"], 3, "{score}");
    assert_eq!(score["right"], 1, "{score}");
    assert_eq!(
        score["not_given"],
        serde_json::json!(["lost.png"]),
        "{score}"
    );
    let wrong = score["wrong"].as_array().unwrap();
    assert_eq!(wrong.len(), 2, "{score}");
    assert!(
        wrong
            .iter()
            .any(|w| w["label"] == 3 && w["class"].is_null()),
        "{score}"
    );
    assert!(
        wrong
            .iter()
            .any(|w| w["label"] == other && w["class"] == two),
        "{score}"
    );
    // Every picture's line says its label.
    for line in &lines[..lines.len() - 1] {
        assert!(line["label"].is_u64(), "{line}");
    }
    let table = text(&predict(&labels, &[]).stdout);
    // The score last, so that `tail -n 1` gives it.
    let last = table.lines().last().unwrap_or_default();
    assert!(
        last.ends_with("1 of 3 labelled pictures read right (33.3%)"),
        "{table}"
    );
    assert!(
        table.contains(&format!("labelled {other}, read as {two}")),
        "{table}"
    );
    assert!(table.contains("blank.png: labelled 3, not read"), "{table}");
    assert!(
        table.contains("labelled but not given: lost.png"),
        "{table}"
    );

    // A bad labels file: refused, naming it and the line.
    for (labels, needles) in [
        (
            "one.png,1\ntwo_bars.png,seven\n",
            ["labels.csv:2", "`seven`"],
        ),
        ("one.png,1\none.png,2\n", ["labels.csv:2", "line 1"]),
        ("one.png,10\n", ["labels.csv:1", "label 10"]),
        ("file,label\n", ["labels.csv", "no `file name,label` line"]),
        ("one.png,seven\n", ["labels.csv:1", "`seven`"]),
        (
            "pictures/one.png,1\n",
            ["labels.csv:1", "not a file name alone"],
        ),
    ] {
        let result = predict(labels, &[]);
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{stderr}");
        assert!(result.stdout.is_empty(), "{labels}: read pictures first");
        for needle in needles {
            assert!(stderr.contains(needle), "{needle} not in {stderr}");
        }
    }
    // One picture given twice: which one the label means cannot be said.
    let one = dir.path().join("one.png");
    let result = predict("one.png,1\n", &[one.to_str().unwrap()]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(result.stdout.is_empty(), "{stderr}");
    assert!(
        stderr.contains("labels.csv:1: `one.png` names both"),
        "{stderr}"
    );
}
