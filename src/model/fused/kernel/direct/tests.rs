use super::super::tests::{
    geometries, geometry, max_difference, random_geometries, reference, tolerance, values,
};
use super::super::{Geometry, Operand, bias_relu_pool, fold, forward, matmul, route_back};
use super::interleaved::interleaves;
use super::weight_gradient::{MAX_ROWS_PER_PASS, rows_per_pass};
use super::*;

/// LeNet's two stages (batch 4: one chunk).
fn lenet() -> [Geometry; 2] {
    let first = Geometry {
        batch: 4,
        in_channels: 1,
        height: 28,
        width: 28,
        out_channels: 6,
        kernel: 5,
        padding: 2,
        pool: true,
    };
    let second = Geometry {
        in_channels: 6,
        height: 14,
        width: 14,
        out_channels: 16,
        padding: 0,
        ..first
    };
    [first, second]
}

/// Shapes at the edges of the direct path's layout.
fn edges() -> [Geometry; 8] {
    [
        geometry(6, 1, 13, 16, 3, 1, 0, true), // conv width exactly two vectors; 1×1 kernel
        geometry(2, 1, 5, 32, 5, 1, 0, false), // exactly two 16-lane vectors
        geometry(2, 2, 7, 37, 3, 4, 1, true),  // conv width 36: 16-lane blocks with a tail
        geometry(2, 1, 10, 9, 2, 8, 7, true),  // the widest kernel, padded by kernel − 1
        geometry(3, 3, 9, 11, 5, 2, 1, true),  // an even kernel over three channels
        geometry(2, 8, 9, 9, 5, 3, 1, true),   // gradients: a full vector of input channels
        geometry(2, 7, 12, 12, 3, 8, 2, false), // gradients: channels in lanes, one row a pass
        geometry(1, 9, 8, 8, 4, 3, 0, true),   // gradients: too many channels for one vector
    ]
}

/// The kernel tests' geometries, LeNet's and the edges, those `keep` takes.
fn taken_by(keep: fn(&Geometry) -> bool) -> Vec<Geometry> {
    let all: Vec<Geometry> = geometries()
        .into_iter()
        .chain(lenet())
        .chain(edges())
        .filter(keep)
        .collect();
    assert!(all.len() >= 3);
    all
}

/// Inputs for one geometry: images, weights, biases, an output gradient, and
/// the routes the forward pass records for them.
struct Case {
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    gy: Vec<f32>,
    routes: Vec<u8>,
}

impl Case {
    fn new(g: &Geometry, seed: u64) -> Self {
        let x = values(g.batch * g.input_len(), seed);
        let w = values(g.out_channels * g.patch(), seed + 1);
        let b = values(g.out_channels, seed + 2);
        let gy = values(g.batch * g.output_len(), seed + 3);
        let routes = forward(g, &x, &w, &b).routes;
        Self {
            x,
            w,
            b,
            gy,
            routes,
        }
    }

    /// Checks that the routes hold both winners and outputs without one, or
    /// a gradient test would not test routing.
    fn mixed(self) -> Self {
        let routes = &self.routes;
        assert!(routes.contains(&NO_ROUTE) && routes.iter().any(|&r| r != NO_ROUTE));
        self
    }
}

/// What the forward pass gives when the convolution is compiled as `simd`
/// (one chunk).
fn stage_output(g: &Geometry, x: &[f32], w: &[f32], b: &[f32], simd: Simd) -> Vec<f32> {
    let mut conv = vec![0.0; g.out_channels * g.batch * g.conv_pixels()];
    convolve(simd, g, x, w, &mut Vec::new(), &mut conv);
    let mut output = vec![0.0; g.batch * g.output_len()];
    let mut routes = vec![NO_ROUTE; output.len()];
    bias_relu_pool(g, g.batch, &conv, b, &mut output, &mut routes);
    output
}

/// Every compilation this CPU runs, named on stderr so a test log says
/// which ran.
fn variants() -> Vec<Simd> {
    let all = Simd::available();
    let names: Vec<&str> = all.iter().map(|v| v.name()).collect();
    eprintln!("direct kernels tested as: {}", names.join(", "));
    all
}

#[test]
fn every_variant_the_cpu_has_is_tested() {
    let all = variants();
    assert_eq!(all[0], Simd::Portable);
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        assert_eq!(all.contains(&Simd::Avx2), avx2);
        assert_eq!(
            all.contains(&Simd::Avx512),
            is_x86_feature_detected!("avx512f")
        );
    }
    assert!(all.contains(&Simd::selected()));
    assert!(Simd::for_gradients() <= Simd::Avx2);
}

#[test]
fn convolution_matches_the_obvious_loops() {
    assert!(
        lenet().iter().all(convolves),
        "LeNet's stages take the direct forward"
    );
    for g in taken_by(convolves) {
        check_convolution(&g, &Case::new(&g, 11));
    }
}

fn check_convolution(g: &Geometry, case: &Case) {
    let Case { x, w, b, .. } = case;
    let expected = reference(g, x, w, b);
    for simd in variants() {
        let diff = max_difference(&stage_output(g, x, w, b, simd), &expected);
        assert!(diff < tolerance(g), "{simd:?} {g:?}: {diff}");
    }
}

/// The forward pass and both gradients on 150 random shapes, every variant.
#[test]
fn every_direct_kernel_matches_on_random_shapes() {
    let shapes = random_geometries(150, MAX_KERNEL, MAX_WIDTH + 4);
    let several_inputs = shapes
        .iter()
        .filter(|g| convolves(g) && g.in_channels > 1)
        .count();
    assert!(several_inputs > 40, "{several_inputs}");
    for (i, g) in shapes.iter().enumerate() {
        let case = Case::new(g, 100 + i as u64);
        if convolves(g) {
            check_convolution(g, &case);
        }
        if differentiates(g) {
            check_weight_gradient(g, &case);
            check_input_gradient(g, &case);
        }
    }
}

/// The weight gradient written the obvious way: the dense gradient of every
/// conv output (from the routes) times every input pixel it touched.
fn reference_weight_gradient(g: &Geometry, x: &[f32], routes: &[u8], gy: &[f32]) -> Vec<f32> {
    let (ch, cw) = (g.conv_height(), g.conv_width());
    let mut dense = vec![0.0; g.out_channels * g.batch * g.conv_pixels()];
    route_back(g, g.batch, routes, gy, &mut dense);
    let mut dw = vec![0.0f32; g.out_channels * g.patch()];
    for o in 0..g.out_channels {
        for n in 0..g.batch {
            for (y, xx) in (0..ch).flat_map(|y| (0..cw).map(move |xx| (y, xx))) {
                let d = dense[(o * g.batch + n) * g.conv_pixels() + y * cw + xx];
                for c in 0..g.in_channels {
                    for (ky, kx) in (0..g.kernel).flat_map(|i| (0..g.kernel).map(move |j| (i, j))) {
                        let (iy, ix) = (
                            (y + ky).wrapping_sub(g.padding),
                            (xx + kx).wrapping_sub(g.padding),
                        );
                        if iy < g.height && ix < g.width {
                            let input = x[((n * g.in_channels + c) * g.height + iy) * g.width + ix];
                            dw[((o * g.in_channels + c) * g.kernel + ky) * g.kernel + kx] +=
                                d * input;
                        }
                    }
                }
            }
        }
    }
    dw
}

/// The weight and bias gradients from the winners alone equal the obvious
/// sums (the kernel's tests also check them against finite differences).
#[test]
fn weight_gradient_matches_the_obvious_loops() {
    for g in taken_by(differentiates) {
        check_weight_gradient(&g, &Case::new(&g, 21).mixed());
    }
}

fn check_weight_gradient(g: &Geometry, case: &Case) {
    let Case { x, gy, routes, .. } = case;
    let expected = reference_weight_gradient(g, x, routes, gy);
    let expected_bias: Vec<f32> = (0..g.out_channels)
        .map(|o| {
            (0..g.batch)
                .flat_map(|n| {
                    let at = (n * g.out_channels + o) * g.out_height() * g.out_width();
                    at..at + g.out_height() * g.out_width()
                })
                .filter(|&i| routes[i] != NO_ROUTE)
                .map(|i| gy[i])
                .sum()
        })
        .collect();
    for simd in variants() {
        let (dw, db) = weight_gradient(simd, g, x, routes, gy, &mut Vec::new());
        // Rounding grows with the winners summed per weight.
        let bound = 1e-4 * (g.batch * g.conv_pixels()) as f32 / 4096.0;
        let bound = bound.max(1e-4);
        assert!(max_difference(&dw, &expected) < bound, "{simd:?} {g:?}");
        assert!(
            max_difference(&db, &expected_bias) < bound,
            "{simd:?} {g:?}"
        );
    }
}

/// The input gradient from the winners equals the matrix product path's
/// (dense routed gradient, weightsᵀ · it, folded back), which
/// `backward_matches_finite_differences` checks on small geometries.
#[test]
fn input_gradient_matches_the_matrix_product() {
    for g in taken_by(differentiates) {
        check_input_gradient(&g, &Case::new(&g, 31).mixed());
    }
}

fn check_input_gradient(g: &Geometry, case: &Case) {
    let Case {
        x, w, gy, routes, ..
    } = case;
    let columns = g.batch * g.conv_pixels();
    let mut dense = vec![0.0; g.out_channels * columns];
    route_back(g, g.batch, routes, gy, &mut dense);
    let mut unfolded = vec![0.0; g.patch() * columns];
    matmul(
        &mut unfolded,
        (g.patch(), columns),
        Operand::transposed(w, g.patch()),
        Operand::row_major(&dense, columns),
        g.out_channels,
    );
    let mut expected = vec![0.0; x.len()];
    fold(g, &unfolded, &mut expected);
    for simd in variants() {
        // Garbage in the output buffer must not matter: it is overwritten.
        let mut dx = vec![f32::NAN; x.len()];
        input_gradient(simd, g, w, routes, gy, &mut Vec::new(), &mut dx);
        let diff = max_difference(&dx, &expected);
        assert!(diff < 1e-4, "{simd:?} {g:?}: {diff}");
    }
}

/// A non-finite output gradient reaches the pixels of its own patch only, as
/// in the matrix-product path (zero-padded weight lanes must not spread it),
/// on both layouts: LeNet's second stage (channels in the lanes) and nine
/// input channels (a kernel row per vector).
#[test]
fn a_non_finite_gradient_stays_in_its_patch() {
    let [_, lenet] = lenet();
    let wide = edges()[7];
    assert!(interleaves(&lenet) && !interleaves(&wide));
    for g in [lenet, wide] {
        let Case {
            x,
            w,
            mut gy,
            routes,
            ..
        } = Case::new(&g, 41).mixed();
        let first = routes.iter().position(|&r| r != NO_ROUTE).unwrap();
        gy[first] = f32::INFINITY;
        for simd in variants() {
            let mut dx = vec![0.0; x.len()];
            input_gradient(simd, &g, &w, &routes, &gy, &mut Vec::new(), &mut dx);
            let touched = dx.iter().filter(|v| !v.is_finite()).count();
            assert!(touched > 0, "{simd:?} {g:?}: the infinite gradient arrives");
            assert!(
                touched <= g.in_channels * g.kernel * g.kernel,
                "{simd:?} {g:?}: {touched} pixels non-finite: more than one {}×{} patch per channel",
                g.kernel,
                g.kernel
            );
        }
    }
}

/// The curated shapes take both layouts of the gradients, and every pass
/// size of the interleaved one, so each compiled loop is tested.
#[test]
fn the_curated_shapes_take_every_gradient_loop() {
    let shapes = taken_by(differentiates);
    assert!(shapes.iter().any(|g| !interleaves(g)));
    for rows in 1..=MAX_ROWS_PER_PASS {
        let taken = shapes
            .iter()
            .any(|g| interleaves(g) && rows_per_pass(g.kernel) == rows);
        assert!(taken, "{rows} rows a pass");
    }
}
