//! Whether two models can be told apart: the difference of their test accuracy
//! with a 95% confidence interval and a p-value.
//!
//! With two or more seeds per model the test is **Welch's t-test over seeds**:
//! what varies between two trainings of one architecture (initial weights, order
//! of batches, augmentation) is the noise a "better architecture" must beat, and
//! the seeds measure it; Welch's form does not assume the two models vary alike.
//! With a single seed there is no spread to measure, and the test is **McNemar's
//! exact test over the test images**, paired image by image: it says whether these
//! two trained networks differ, not whether the architectures would on other seeds.

use serde::Serialize;

/// Which test gave a [`PairComparison`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignificanceTest {
    /// Welch's unequal-variance t-test on per-seed test accuracies.
    Welch,
    /// McNemar's exact (binomial) test on the images exactly one model reads right.
    Mcnemar,
}

/// Model `a` against model `b`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairComparison {
    /// First model's name.
    pub a: String,
    /// Second model's name.
    pub b: String,
    /// Mean test accuracy of `a` minus that of `b` (fractions: 0.002 = 0.2 points;
    /// of the first seeds' runs for McNemar's test).
    pub difference: f64,
    /// 95% confidence interval of `difference`.
    pub ci95: [f64; 2],
    /// Two-sided p-value of "no difference".
    pub p_value: f64,
    /// The test used.
    pub test: SignificanceTest,
}

impl SignificanceTest {
    /// The test's name for tables: `Welch` or `McNemar`.
    pub fn name(self) -> &'static str {
        match self {
            SignificanceTest::Welch => "Welch",
            SignificanceTest::Mcnemar => "McNemar",
        }
    }
}

impl PairComparison {
    /// Whether the difference is significant at the 5% level (by the p-value; for
    /// McNemar's test the normal interval can exclude 0 when the exact p does not
    /// reach 5% with very few discordant images).
    pub fn distinguishable(&self) -> bool {
        self.p_value < 0.05
    }

    /// The difference in words: "a better", "b better", or "not
    /// distinguishable at 5%" (see [`distinguishable`](Self::distinguishable)).
    ///
    /// ```
    /// use lenet::compare::{PairComparison, SignificanceTest};
    ///
    /// let pair = PairComparison {
    ///     a: "lenet5".into(),
    ///     b: "extra-conv".into(),
    ///     difference: 0.004,
    ///     ci95: [0.001, 0.007],
    ///     p_value: 0.01,
    ///     test: SignificanceTest::Welch,
    /// };
    /// assert_eq!(pair.verdict(), "lenet5 better");
    /// ```
    pub fn verdict(&self) -> String {
        if !self.distinguishable() {
            "not distinguishable at 5%".to_string()
        } else if self.difference > 0.0 {
            format!("{} better", self.a)
        } else {
            format!("{} better", self.b)
        }
    }

    /// The pair as a row of [`PAIR_COLUMNS`]: the text report and the HTML one
    /// show the same figures.
    pub(crate) fn row(&self) -> Vec<String> {
        vec![
            self.a.clone(),
            self.b.clone(),
            format!("{:+.2}", 100.0 * self.difference),
            format!(
                "[{:+.2}, {:+.2}]",
                100.0 * self.ci95[0],
                100.0 * self.ci95[1]
            ),
            format!("{:.3}", self.p_value),
            self.test.name().to_string(),
            self.verdict(),
        ]
    }
}

/// The columns of [`PairComparison::row`], and whether each is a number
/// (aligned right).
pub(crate) const PAIR_COLUMNS: [(&str, bool); 7] = [
    ("a", false),
    ("b", false),
    ("difference", true),
    ("95% CI", false),
    ("p", true),
    ("test", false),
    ("verdict", false),
];

/// Welch's t-test of `a`'s mean against `b`'s, each at least two values.
///
/// ```
/// use lenet::compare::welch;
///
/// let (difference, ci95, p) = welch(&[0.988, 0.990, 0.989], &[0.985, 0.986, 0.984]);
/// assert!((difference - 0.004).abs() < 1e-12);
/// assert!(ci95[0] > 0.0 && p < 0.01);
/// let (_, ci95, p) = welch(&[0.988, 0.990, 0.986], &[0.987, 0.989, 0.985]);
/// assert!(ci95[0] < 0.0 && ci95[1] > 0.0 && p > 0.05);
/// ```
pub fn welch(a: &[f64], b: &[f64]) -> (f64, [f64; 2], f64) {
    assert!(
        a.len() >= 2 && b.len() >= 2,
        "Welch's test needs two values a side"
    );
    let moments = |v: &[f64]| {
        let (mean, variance) = mean_and_variance(v);
        let n = v.len() as f64;
        (mean, variance / n, n)
    };
    let (mean_a, va, na) = moments(a);
    let (mean_b, vb, nb) = moments(b);
    let difference = mean_a - mean_b;
    let se = (va + vb).sqrt();
    if se == 0.0 {
        // No spread at all: the difference is exact.
        let p = if difference == 0.0 { 1.0 } else { 0.0 };
        return (difference, [difference, difference], p);
    }
    let df = (va + vb).powi(2) / (va.powi(2) / (na - 1.0) + vb.powi(2) / (nb - 1.0));
    let t = difference / se;
    let p = 2.0 * student_t_upper(t.abs(), df);
    let half = student_t_quantile(0.975, df) * se;
    (
        difference,
        [difference - half, difference + half],
        p.min(1.0),
    )
}

/// McNemar's exact test from the images only `a` reads right (`only_a`) and only
/// `b` reads right (`only_b`) out of `n`; the interval is the normal one for a
/// paired difference of proportions.
///
/// ```
/// use lenet::compare::mcnemar;
///
/// let (difference, _, p) = mcnemar(30, 10, 10_000);
/// assert!((difference - 0.002).abs() < 1e-12);
/// assert!(p < 0.01);
/// assert!(mcnemar(12, 10, 10_000).2 > 0.5);
/// ```
pub fn mcnemar(only_a: usize, only_b: usize, n: usize) -> (f64, [f64; 2], f64) {
    let (b, c, n) = (only_a as f64, only_b as f64, n.max(1) as f64);
    let difference = (b - c) / n;
    let se = ((b + c) - (b - c).powi(2) / n).max(0.0).sqrt() / n;
    let half = 1.959_963_984_540_054 * se;
    let discordant = only_a + only_b;
    let p = if discordant == 0 {
        1.0
    } else {
        (2.0 * binomial_lower_tail(only_a.min(only_b), discordant)).min(1.0)
    };
    (difference, [difference - half, difference + half], p)
}

/// P(X ≤ k) for X ~ Binomial(n, ½), summed in log space.
fn binomial_lower_tail(k: usize, n: usize) -> f64 {
    let log_half_n = n as f64 * 0.5f64.ln();
    let mut log_choose = 0.0; // ln C(n, 0)
    let mut total = 0.0;
    for i in 0..=k {
        if i > 0 {
            log_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        total += (log_choose + log_half_n).exp();
    }
    total
}

/// P(T > t) for Student's t with `df` degrees of freedom (t ≥ 0).
fn student_t_upper(t: f64, df: f64) -> f64 {
    0.5 * regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5)
}

/// The `q` quantile (q > ½) of Student's t, by bisection on its distribution.
fn student_t_quantile(q: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while 1.0 - student_t_upper(hi, df) < q {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 1.0 - student_t_upper(mid, df) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// I_x(a, b), the regularised incomplete beta function, from its continued
/// fraction (evaluated by the modified Lentz method), using the symmetry
/// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - regularized_incomplete_beta(1.0 - x, b, a);
    }
    let log_front = a * x.ln() + b * (1.0 - x).ln() - ln_beta(a, b) - a.ln();
    const TINY: f64 = 1e-300;
    let mut f = 1.0;
    let mut c = 1.0;
    let mut d = 0.0;
    for i in 0..=400 {
        let m = (i / 2) as f64;
        let numerator = if i == 0 {
            1.0
        } else if i % 2 == 0 {
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        } else {
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
        };
        d = 1.0 + numerator * d;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        c = 1.0 + numerator / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let step = c * d;
        f *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    log_front.exp() * (f - 1.0)
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine terms; ~1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, &c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The mean and the sample variance (divided by n − 1) of `values`: 0 for no
/// values, a variance of 0 for one.
pub(crate) fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let variance = if n > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    (mean, variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_matches_published_tables() {
        // Two-sided 95% critical values (any statistics table).
        for (df, critical) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (4.0, 2.776),
            (10.0, 2.228),
            (30.0, 2.042),
        ] {
            let q = student_t_quantile(0.975, df);
            assert!((q - critical).abs() < 1e-3, "df {df}: {q} vs {critical}");
        }
        // P(T > 2.0) with 5 df is 0.05097.
        assert!((student_t_upper(2.0, 5.0) - 0.050_97).abs() < 1e-4);
    }

    #[test]
    fn welch_matches_a_hand_computed_case() {
        // a: mean 2, var 1; b: mean 4, var 1; n = 3 each → t = −2.449, df = 4.
        let (d, ci, p) = welch(&[1.0, 2.0, 3.0], &[3.0, 4.0, 5.0]);
        assert_eq!(d, -2.0);
        assert!((p - 0.070_4).abs() < 1e-3, "{p}");
        let half = 2.776 * (2.0f64 / 3.0).sqrt();
        assert!((ci[0] - (-2.0 - half)).abs() < 1e-2 && (ci[1] - (-2.0 + half)).abs() < 1e-2);
    }

    #[test]
    fn mcnemar_exact_tail() {
        // 0 against 6 discordant: p = 2 · 0.5⁶ = 0.03125.
        assert!((mcnemar(0, 6, 100).2 - 0.031_25).abs() < 1e-12);
        assert_eq!(mcnemar(5, 5, 100).2, 1.0);
    }
}
