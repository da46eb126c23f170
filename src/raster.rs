//! Small operations on grey pictures held as rows of values, shared by training's
//! augmentation, the lookalike photos and the stroke-width fitting of photo
//! preprocessing: bilinear sampling, a separable Gaussian blur and the edge of a
//! round brush. Written once so that the three agree on what "bilinear" or "a
//! brush of radius r" means, and plain loops (no `image` buffers) because
//! augmentation runs them for every training image.

/// The value at (`x`, `y`) of a picture `width` values wide (rows one after
/// another, as many as `pixels` holds), interpolated between the four pixels
/// around it; pixels outside the picture are background (0). Pixel `(i, j)` is
/// at `x = i`, `y = j`.
pub(crate) fn bilinear<T: Copy + Into<f32>>(pixels: &[T], width: usize, x: f32, y: f32) -> f32 {
    let height = pixels.len() / width;
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |xi: f32, yi: f32| -> f32 {
        if xi < 0.0 || yi < 0.0 || xi >= width as f32 || yi >= height as f32 {
            0.0
        } else {
            pixels[yi as usize * width + xi as usize].into()
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Where the ink of a row of values is, along it: its centre of mass (tests
/// of distortions that move strokes sideways).
#[cfg(test)]
pub(crate) fn centre_of_ink(line: &[f32]) -> f32 {
    let total: f32 = line.iter().sum();
    line.iter()
        .enumerate()
        .map(|(i, v)| i as f32 * v)
        .sum::<f32>()
        / total
}

/// Where along a row of pixels the ink lies and how much there is: the mean
/// position of the pixels `is_ink` accepts, and their count; `None` without any.
pub(crate) fn ink_along<T: Copy>(row: &[T], is_ink: impl Fn(T) -> bool) -> Option<(f32, usize)> {
    let (sum, count) = row
        .iter()
        .enumerate()
        .filter(|&(_, &v)| is_ink(v))
        .fold((0, 0), |(sum, count), (x, _)| (sum + x, count + 1));
    (count > 0).then(|| (sum as f32 / count as f32, count))
}

/// What lies beyond a picture's edge for [`gaussian_blur`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// Background (0): ink near the edge fades, as on a digit's black margin.
    Black,
    /// The nearest edge pixel repeated: paper stays paper up to the border.
    #[cfg_attr(not(feature = "predict"), allow(dead_code))]
    Clamped,
}

/// Blurs `values` (rows `width` wide) in place with a Gaussian of `sigma` px,
/// cut off `radius` px from the centre and normalised over what is left: one
/// pass along the rows, one down the columns.
pub(crate) fn gaussian_blur(
    values: &mut [f32],
    width: usize,
    sigma: f32,
    radius: usize,
    edge: Edge,
) {
    let height = values.len() / width;
    let r = radius as i64;
    let mut kernel: Vec<f32> = (-r..=r)
        .map(|i| (-((i * i) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    let (w, h) = (width as i64, height as i64);
    let mut source = vec![0f32; values.len()];
    for along_x in [true, false] {
        source.copy_from_slice(values);
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0.0;
                for (weight, k) in kernel.iter().zip(-r..=r) {
                    let (sx, sy) = if along_x { (x + k, y) } else { (x, y + k) };
                    let inside = (0..w).contains(&sx) && (0..h).contains(&sy);
                    let (sx, sy) = match edge {
                        Edge::Black if !inside => continue,
                        Edge::Black => (sx, sy),
                        Edge::Clamped => (sx.clamp(0, w - 1), sy.clamp(0, h - 1)),
                    };
                    sum += weight * source[(sy * w + sx) as usize];
                }
                values[(y * w + x) as usize] = sum;
            }
        }
    }
}

/// How much of a pixel `distance` px from the centre of a round brush of
/// `radius` px it covers: all of it inside, none beyond, linear over the one
/// pixel across the edge (so strokes are anti-aliased).
#[cfg_attr(not(feature = "predict"), allow(dead_code))]
pub(crate) fn brush_cover(radius: f32, distance: f32) -> f32 {
    (radius + 0.5 - distance).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_hits_pixels_blends_between_and_is_black_outside() {
        let pixels: [u8; 4] = [0, 100, 200, 40]; // 2×2
        assert_eq!(bilinear(&pixels, 2, 1.0, 0.0), 100.0);
        assert_eq!(bilinear(&pixels, 2, 0.5, 0.0), 50.0);
        assert_eq!(bilinear(&pixels, 2, 0.5, 0.5), 85.0);
        // Half a pixel past the right edge: half of the edge pixel.
        assert_eq!(bilinear(&pixels, 2, 1.5, 0.0), 50.0);
        assert_eq!(bilinear(&pixels, 2, -1.0, 0.0), 0.0);
        assert_eq!(bilinear(&[1.0f32, 3.0], 2, 0.25, 0.0), 1.5);
    }

    #[test]
    fn the_blur_keeps_ink_spreads_it_and_edges_differ() {
        // One bright pixel in the middle of a 9×9 picture.
        let mut point = vec![0f32; 81];
        point[40] = 1.0;
        gaussian_blur(&mut point, 9, 1.0, 3, Edge::Black);
        let total: f32 = point.iter().sum();
        assert!((total - 1.0).abs() < 1e-5, "{total}");
        assert!(point[40] < 0.2 && point[41] > 0.0 && point[41] < point[40]);
        assert_eq!(point[41], point[39], "symmetric");
        // Flat paper: the clamped edge keeps it flat, the black one darkens it.
        let mut clamped = vec![1f32; 81];
        let mut black = clamped.clone();
        gaussian_blur(&mut clamped, 9, 1.0, 3, Edge::Clamped);
        gaussian_blur(&mut black, 9, 1.0, 3, Edge::Black);
        assert!(clamped.iter().all(|v| (v - 1.0).abs() < 1e-5));
        assert!(black[0] < 0.6 && (black[40] - 1.0).abs() < 1e-3);
    }

    #[test]
    fn a_brush_covers_inside_fades_across_its_edge_and_stops() {
        assert_eq!(brush_cover(2.0, 0.0), 1.0);
        assert_eq!(brush_cover(2.0, 2.5), 0.0);
        assert_eq!(brush_cover(2.0, 2.25), 0.25);
        assert_eq!(brush_cover(2.0, 4.0), 0.0);
    }
}
