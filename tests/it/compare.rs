//! `compare_models` end to end on a small synthetic MNIST: the table, the charts
//! (PNG and SVG), the self-contained report, and the report rendered in headless
//! Chromium (not blank, every picture decoded, no console errors).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Runs `compare_models` once (two models, two seeds, one epoch) and returns its
/// output directory; the tests below read it.
fn compared() -> &'static Path {
    static OUT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("mnist");
        std::fs::create_dir(&data).unwrap();
        support::write_synthetic_mnist(&data, 320, 120);
        let photo = dir.path().join("my_seven.png");
        let mut picture = image::GrayImage::from_pixel(90, 120, image::Luma([235]));
        for y in 20..100u32 {
            for x in 20..70u32 {
                let on_bar = y < 30;
                let on_stem = (x as i32 - (70 - (y as i32 - 20) / 2)).abs() < 5;
                if on_bar || on_stem {
                    picture.put_pixel(x, y, image::Luma([30]));
                }
            }
        }
        picture.save(&photo).unwrap();
        let out = dir.path().join("out");
        let output = Command::new(support::example_bin("compare_models"))
            .args([
                "--models",
                // The two named networks and a spec of one's own.
                "lenet5,extra-conv,conv4k3p1-relu-pool-fc10",
                "--seeds",
                "2",
                "--epochs",
                "2",
            ])
            .args(["--device", "flex", "--data-dir"])
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .arg("--images")
            .arg(&photo)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "compare_models failed:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        (dir, out)
    });
    out
}

#[test]
fn compare_models_writes_the_table_charts_and_runs() {
    let out = compared();
    let table = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    // Each row's cells, trimmed (the columns are padded to line up).
    let cells = |model: &str| -> Vec<String> {
        let line = table
            .lines()
            .find(|l| l.split('|').nth(2).is_some_and(|c| c.trim() == model))
            .unwrap_or_else(|| panic!("no row for {model}: {table}"));
        line.split('|').map(|c| c.trim().to_string()).collect()
    };
    assert_eq!(cells("lenet5")[3], "61,706", "{table}");
    assert_eq!(cells("extra-conv")[3], "30,378", "{table}");
    let first = table.lines().next().unwrap();
    assert!(
        table
            .lines()
            .take_while(|l| l.starts_with('|'))
            .all(|l| l.chars().count() == first.chars().count()),
        "the first table's columns line up: {table}"
    );
    assert!(table.contains("F1 per digit"), "{table}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap())
            .unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["model"], "conv4k3p1-relu-pool-fc10");
    assert_eq!(rows[2]["params"], 4 * 9 + 4 + 4 * 14 * 14 * 10 + 10);
    for row in rows {
        assert_eq!(row["seeds"], serde_json::json!([0, 1]));
        let accuracies = row["test_accuracies"].as_array().unwrap();
        assert_eq!(accuracies.len(), 2);
        let mean = row["test_accuracy"]["mean"].as_f64().unwrap();
        let expected = accuracies.iter().map(|a| a.as_f64().unwrap()).sum::<f64>() / 2.0;
        assert!((mean - expected).abs() < 1e-12, "the mean is of the seeds");
        assert_eq!(row["per_class_f1"].as_array().unwrap().len(), 10);
        assert!(row["train_seconds"]["mean"].as_f64().unwrap() > 0.0);
    }
    assert!(json["disagreements"].is_array());
    // Every pair, with Welch's test over the two seeds.
    let pairs = json["pairs"].as_array().unwrap();
    let names: Vec<(&str, &str)> = pairs
        .iter()
        .map(|p| (p["a"].as_str().unwrap(), p["b"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("lenet5", "extra-conv"),
            ("lenet5", "conv4k3p1-relu-pool-fc10"),
            ("extra-conv", "conv4k3p1-relu-pool-fc10")
        ]
    );
    for (pair, (a, b)) in pairs.iter().zip([(0, 1), (0, 2), (1, 2)]) {
        assert_eq!(pair["test"], "welch");
        let mean = |i: usize| rows[i]["test_accuracy"]["mean"].as_f64().unwrap();
        let difference = pair["difference"].as_f64().unwrap();
        assert!((difference - (mean(a) - mean(b))).abs() < 1e-12);
        let ci: Vec<f64> = pair["ci95"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(ci[0] <= difference && difference <= ci[1], "{pair}");
        let p = pair["p_value"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{pair}");
    }
    // A most accurate model is on both Pareto fronts, and the smallest on the first.
    let acc = |k: usize| rows[k]["test_accuracy"]["mean"].as_f64().unwrap();
    let top = (0..3).map(acc).fold(f64::MIN, f64::max);
    for front in ["pareto_params", "pareto_mult_adds"] {
        assert!(
            (0..3).any(|k| acc(k) == top && rows[k][front] == true),
            "{front}: {rows:?}"
        );
    }
    assert_eq!(rows[2]["pareto_params"], true, "the fewest parameters");
    assert!(
        table.contains("Pareto front") && table.contains("95% CI"),
        "{table}"
    );

    for stem in [
        "training_curves",
        "accuracy_vs_params",
        "accuracy_vs_mult_adds",
        "confusion_lenet5",
        "confusion_conv4k3p1-relu-pool-fc10",
        "confusion_extra-conv",
    ] {
        let png = image::open(out.join(format!("{stem}.png"))).unwrap();
        assert!(png.width() >= 500, "{stem}.png is a real chart");
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{stem}.svg");
        assert!(svg.contains("<text"), "{stem}.svg has labels");
    }
    // Like the report's, the confusion pictures count every seed's test images.
    let svg = std::fs::read_to_string(out.join("confusion_lenet5.svg")).unwrap();
    assert!(svg.contains("(2 seeds)"), "the heatmap says what it sums");
    for model in ["lenet5", "extra-conv", "conv4k3p1-relu-pool-fc10"] {
        for seed in 0..2 {
            let run = out.join(format!("runs/{model}/seed-{seed}"));
            for file in ["model.bpk", "metrics.json", "history.csv"] {
                assert!(run.join(file).is_file(), "{}", run.join(file).display());
            }
        }
    }
    assert!(support::leftover_temp_files(out).is_empty());
}

#[test]
fn the_report_is_one_self_contained_file() {
    let html = std::fs::read_to_string(compared().join("report.html")).unwrap();
    for section in [
        "Summary",
        "Training curves",
        "F1 per digit",
        "Confusion matrices",
        "Where the models disagree",
        "What each layer sees",
        "Why each model reads it so",
        "Your pictures",
        "my_seven.png",
    ] {
        assert!(html.contains(section), "the report has {section}");
    }
    let images = html.matches("<img ").count();
    assert!(
        images >= 4,
        "feature maps, disagreements, the user's picture: {images}"
    );
    assert_eq!(html.matches("data:image/png;base64,").count(), images);
    assert!(html.matches("<svg").count() >= 4, "charts are inline SVG");
    for outside in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(
            !html.contains(outside),
            "nothing is fetched: found {outside}"
        );
    }
}

/// Headless Chromium with the flags this closed network needs, on `page`.
fn headless(browser: &Path, profile: &Path, page: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(browser)
        .args(support::CHROMIUM_FLAGS)
        .args([
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let test = "the_report_renders_in_headless_chromium";
    let Some(browser) = support::chromium(test) else {
        return;
    };
    let page = compared().join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let images = html.matches("<img ").count();
    let profile = tempfile::tempdir().unwrap();

    let dom = headless(&browser, profile.path(), &page, &["--dump-dom"]);
    let stdout = String::from_utf8_lossy(&dom.stdout);
    let stderr = String::from_utf8_lossy(&dom.stderr);
    assert!(dom.status.success(), "chromium failed:\n{stderr}");
    let marker = format!("data-images-ok=\"{images}/{images}\"");
    assert!(
        stdout.contains(&marker),
        "every picture decoded ({marker}); console:\n{stderr}"
    );
    for line in stderr.lines().filter(|l| l.contains("CONSOLE")) {
        assert!(
            !line.contains("rror") && !line.contains("Uncaught"),
            "console error: {line}"
        );
    }

    let shot = profile.path().join("report.png");
    let screenshot = headless(
        &browser,
        profile.path(),
        &page,
        &[&format!("--screenshot={}", shot.display())],
    );
    assert!(
        screenshot.status.success(),
        "{}",
        String::from_utf8_lossy(&screenshot.stderr)
    );
    let picture = image::open(&shot).unwrap().to_rgb8();
    let pixels = picture.pixels().count();
    let inked = picture
        .pixels()
        .filter(|p| p.0.iter().any(|&c| c < 200))
        .count();
    let mut colours: Vec<[u8; 3]> = picture.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        inked * 100 > pixels,
        "the page is not blank: {inked} of {pixels} pixels have ink"
    );
    assert!(
        colours.len() > 50,
        "text, charts and pictures: {} colours",
        colours.len()
    );
    eprintln!(
        "report.html rendered: {images} pictures decoded, {:.1}% of pixels inked, {} colours",
        100.0 * inked as f64 / pixels as f64,
        colours.len()
    );
}
