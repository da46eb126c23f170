//! The tutorial's first lesson: fitting a line by gradient descent, with the
//! gradients written by hand and again computed by Burn's autodiff.
//!
//! Model f(x) = w·x + b; cost J(w, b) = 1/(2m) Σ (f(xᵢ) − yᵢ)²; gradients
//! ∂J/∂w = 1/m Σ (f(xᵢ) − yᵢ)·xᵢ and ∂J/∂b = 1/m Σ (f(xᵢ) − yᵢ); update
//! w ← w − α ∂J/∂w, b ← b − α ∂J/∂b, repeated.

use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use crate::rng::Rng;
use crate::{Error, Result};

/// Points (x, y) to fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineData {
    /// Inputs.
    pub x: Vec<f64>,
    /// Targets.
    pub y: Vec<f64>,
}

impl LineData {
    /// `n` points with x uniform in [0, 4] and y = w·x + b plus Gaussian noise of
    /// standard deviation `noise`, reproducible from `seed`.
    ///
    /// ```
    /// let data = lenet::lesson::LineData::noisy_line(2.5, -1.0, 50, 0.3, 7);
    /// assert_eq!(data.x.len(), 50);
    /// ```
    pub fn noisy_line(w: f64, b: f64, n: usize, noise: f64, seed: u64) -> Self {
        let mut rng = Rng::derive(seed, &[0x11e]);
        let x: Vec<f64> = (0..n).map(|_| 4.0 * rng.next_f32() as f64).collect();
        let y = x
            .iter()
            .map(|&x| {
                // Box–Muller: two uniforms to one standard normal.
                let u1 = (rng.next_f32() as f64).max(1e-12);
                let u2 = rng.next_f32() as f64;
                let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                w * x + b + noise * normal
            })
            .collect();
        Self { x, y }
    }

    /// J(w, b) = 1/(2m) Σ (w·xᵢ + b − yᵢ)².
    pub fn cost(&self, w: f64, b: f64) -> f64 {
        let m = self.x.len() as f64;
        self.x
            .iter()
            .zip(&self.y)
            .map(|(x, y)| (w * x + b - y).powi(2))
            .sum::<f64>()
            / (2.0 * m)
    }

    /// (∂J/∂w, ∂J/∂b) from the formulas above.
    pub fn gradient(&self, w: f64, b: f64) -> (f64, f64) {
        let m = self.x.len() as f64;
        let (dw, db) = self
            .x
            .iter()
            .zip(&self.y)
            .fold((0.0, 0.0), |(dw, db), (x, y)| {
                let error = w * x + b - y;
                (dw + error * x, db + error)
            });
        (dw / m, db / m)
    }

    /// The largest learning rate for which plain gradient descent converges on
    /// this data: 2 / λ_max of the cost's (constant) Hessian [[E x², E x], [E x, 1]].
    pub fn max_stable_alpha(&self) -> f64 {
        let m = self.x.len() as f64;
        let ex = self.x.iter().sum::<f64>() / m;
        let ex2 = self.x.iter().map(|x| x * x).sum::<f64>() / m;
        let (trace, det) = (ex2 + 1.0, ex2 - ex * ex);
        let lambda_max = trace / 2.0 + ((trace / 2.0).powi(2) - det).max(0.0).sqrt();
        2.0 / lambda_max
    }

    /// The least-squares line, for checking what descent converges to.
    pub fn least_squares(&self) -> (f64, f64) {
        let m = self.x.len() as f64;
        let (mx, my) = (
            self.x.iter().sum::<f64>() / m,
            self.y.iter().sum::<f64>() / m,
        );
        let (sxy, sxx) = self
            .x
            .iter()
            .zip(&self.y)
            .fold((0.0, 0.0), |(sxy, sxx), (x, y)| {
                (sxy + (x - mx) * (y - my), sxx + (x - mx).powi(2))
            });
        let w = sxy / sxx;
        (w, my - w * mx)
    }
}

/// How the gradients are computed.
#[derive(Debug, Clone)]
pub enum Gradients {
    /// The formulas, in f64.
    ByHand,
    /// Burn's autodiff on the same cost, on this device (f32).
    Autodiff(Device),
}

/// One iteration: the parameters before the update, the cost there, and the
/// gradient used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DescentStep {
    /// 0-based iteration.
    pub iteration: usize,
    /// w before the update.
    pub w: f64,
    /// b before the update.
    pub b: f64,
    /// J(w, b).
    pub cost: f64,
    /// ∂J/∂w at (w, b).
    pub grad_w: f64,
    /// ∂J/∂b at (w, b).
    pub grad_b: f64,
}

/// A whole descent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Descent {
    /// Every iteration, in order.
    pub steps: Vec<DescentStep>,
    /// w after the last update.
    pub w: f64,
    /// b after the last update.
    pub b: f64,
    /// J at the final (w, b).
    pub cost: f64,
}

/// Runs `iterations` steps of gradient descent from (0, 0) with rate `alpha`.
/// A cost that grows without bound is an error that says which α would work.
///
/// ```
/// use lenet::lesson::{Gradients, LineData, descend};
///
/// let data = LineData::noisy_line(2.5, -1.0, 100, 0.2, 1);
/// let fit = descend(&data, 0.1, 2000, &Gradients::ByHand)?;
/// assert!((fit.w - 2.5).abs() < 0.1 && (fit.b + 1.0).abs() < 0.2);
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn descend(data: &LineData, alpha: f64, iterations: usize, how: &Gradients) -> Result<Descent> {
    if data.x.is_empty() || data.x.len() != data.y.len() {
        return Err(Error::InvalidArgument(
            "gradient descent needs as many x as y values, at least one".into(),
        ));
    }
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::InvalidArgument(format!(
            "α must be positive, got {alpha}"
        )));
    }
    let autodiff = match how {
        Gradients::ByHand => None,
        Gradients::Autodiff(device) => Some(AutodiffCost::new(data, device)),
    };
    let (mut w, mut b) = (0.0, 0.0);
    let start_cost = data.cost(w, b);
    let mut steps = Vec::with_capacity(iterations);
    for iteration in 0..iterations {
        let (cost, (grad_w, grad_b)) = match &autodiff {
            None => (data.cost(w, b), data.gradient(w, b)),
            Some(auto) => auto.cost_and_gradient(w, b),
        };
        if !cost.is_finite() || cost > 1e6 * start_cost.max(1e-12) {
            return Err(Error::InvalidArgument(format!(
                "gradient descent diverged at iteration {iteration}: J = {cost:.3e} and growing. \
                 α = {alpha} is too large for this data; it converges for α < {:.4}",
                data.max_stable_alpha()
            )));
        }
        steps.push(DescentStep {
            iteration,
            w,
            b,
            cost,
            grad_w,
            grad_b,
        });
        w -= alpha * grad_w;
        b -= alpha * grad_b;
    }
    Ok(Descent {
        steps,
        w,
        b,
        cost: data.cost(w, b),
    })
}

/// The largest difference between the gradients two descents used, step by step.
pub fn max_gradient_difference(a: &Descent, b: &Descent) -> f64 {
    a.steps
        .iter()
        .zip(&b.steps)
        .map(|(x, y)| (x.grad_w - y.grad_w).abs().max((x.grad_b - y.grad_b).abs()))
        .fold(0.0, f64::max)
}

/// J as a Burn computation, differentiated by autodiff.
struct AutodiffCost {
    x: Tensor<1>,
    y: Tensor<1>,
    device: Device,
}

impl AutodiffCost {
    fn new(data: &LineData, device: &Device) -> Self {
        let device = device.clone().autodiff();
        let to_tensor = |values: &[f64]| {
            let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
            let n = values.len();
            Tensor::<1>::from_data(TensorData::new(values, [n]), &device)
        };
        Self {
            x: to_tensor(&data.x),
            y: to_tensor(&data.y),
            device,
        }
    }

    fn cost_and_gradient(&self, w: f64, b: f64) -> (f64, (f64, f64)) {
        let scalar = |v: f64| {
            Tensor::<1>::from_data(TensorData::new(vec![v as f32], [1]), &self.device)
                .require_grad()
        };
        let (w_t, b_t) = (scalar(w), scalar(b));
        let m = self.x.dims()[0] as f32;
        let prediction = self.x.clone() * w_t.clone() + b_t.clone();
        let cost = (prediction - self.y.clone()).powi_scalar(2).sum() / (2.0 * m);
        let grads = cost.backward();
        let grad = |t: &Tensor<1>| {
            t.grad(&grads)
                .map(|g| g.into_scalar::<f64>())
                .unwrap_or(f64::NAN)
        };
        (cost.into_scalar::<f64>(), (grad(&w_t), grad(&b_t)))
    }
}
