//! The gradient-descent lesson: autodiff computes exactly the hand-written
//! gradients, descent recovers the line, and a too-large α is caught.

use crate::support::{self, device};

use lenet::lesson::{Gradients, LineData, descend, max_gradient_difference};

#[test]
fn autodiff_gradients_equal_the_hand_written_ones_at_every_step() {
    let data = LineData::noisy_line(2.5, -1.0, 100, 0.3, 0);
    let by_hand = descend(&data, 0.1, 500, &Gradients::ByHand).unwrap();
    let autodiff = descend(&data, 0.1, 500, &Gradients::Autodiff(device())).unwrap();
    assert_eq!(by_hand.steps.len(), 500);
    let worst = max_gradient_difference(&by_hand, &autodiff);
    assert!(worst <= 1e-5, "largest gradient difference {worst}");
    // And at an arbitrary point, not only along the path.
    let single = descend(&data, 1e-3, 1, &Gradients::Autodiff(device())).unwrap();
    let (gw, gb) = data.gradient(0.0, 0.0);
    assert!((single.steps[0].grad_w - gw).abs() <= 1e-5 * gw.abs().max(1.0));
    assert!((single.steps[0].grad_b - gb).abs() <= 1e-5 * gb.abs().max(1.0));
}

#[test]
fn descent_recovers_the_line_within_the_noise() {
    let data = LineData::noisy_line(2.5, -1.0, 200, 0.3, 3);
    let fit = descend(&data, 0.1, 3000, &Gradients::ByHand).unwrap();
    let (ls_w, ls_b) = data.least_squares();
    assert!(
        (fit.w - ls_w).abs() < 1e-4 && (fit.b - ls_b).abs() < 1e-4,
        "converged to least squares"
    );
    // With 200 points and noise 0.3 the slope's standard error is about 0.02.
    assert!((fit.w - 2.5).abs() < 0.1, "w {}", fit.w);
    assert!((fit.b + 1.0).abs() < 0.25, "b {}", fit.b);
    let costs: Vec<f64> = fit.steps.iter().map(|s| s.cost).collect();
    assert!(
        costs.windows(2).all(|c| c[1] <= c[0] + 1e-12),
        "J never increases for a stable α"
    );
    assert!(
        (fit.cost - 0.3f64.powi(2) / 2.0).abs() < 0.02,
        "J ends near σ²/2: {}",
        fit.cost
    );
}

#[test]
fn a_too_large_alpha_is_reported_as_divergence_not_nan() {
    let data = LineData::noisy_line(2.5, -1.0, 100, 0.3, 0);
    let limit = data.max_stable_alpha();
    assert!(descend(&data, 0.9 * limit, 500, &Gradients::ByHand).is_ok());
    for how in [Gradients::ByHand, Gradients::Autodiff(device())] {
        let err = descend(&data, 1.5 * limit, 10_000, &how)
            .unwrap_err()
            .to_string();
        assert!(err.contains("diverged at iteration"), "{err}");
        assert!(
            err.contains("too large") && err.contains(&format!("{limit:.4}")),
            "{err}"
        );
        assert!(!err.contains("NaN"), "{err}");
    }
    assert!(descend(&data, -0.1, 10, &Gradients::ByHand).is_err());
}

#[test]
fn the_example_prints_the_fit_and_writes_the_plots() {
    let out = tempfile::tempdir().unwrap();
    let result = std::process::Command::new(support::example_bin("gradient_descent"))
        .args(["--out", out.path().to_str().unwrap(), "--device", "flex"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        stdout.contains("by hand: w = 2.") && stdout.contains("autodiff: w = 2."),
        "{stdout}"
    );
    let diff_line = stdout
        .lines()
        .find(|l| l.contains("largest difference"))
        .unwrap();
    let diff: f64 = diff_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(diff <= 1e-5, "{diff_line}");
    for name in ["fit.png", "cost.png", "path.png"] {
        let picture = image::open(out.path().join(name)).unwrap().to_rgb8();
        let colours: std::collections::HashSet<[u8; 3]> = picture.pixels().map(|p| p.0).collect();
        assert!(colours.len() > 10, "{name} has {} colours", colours.len());
    }
    let result = std::process::Command::new(support::example_bin("gradient_descent"))
        .args(["--out", out.path().to_str().unwrap(), "--alpha", "5"])
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("diverged") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
