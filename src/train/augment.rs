//! Random affine distortions of training digits (rotation, scale, shift), the
//! classic way to make a small network generalise better on MNIST.

use super::config::Augmentation;
use crate::data::IMAGE_SIDE;
use crate::rng::Rng;

impl Augmentation {
    /// Writes a randomly distorted copy of `image` (28×28 bytes) into `out` as
    /// values in [0, 1], sampling bilinearly; pixels from outside are background.
    pub(crate) fn apply(&self, image: &[u8], rng: &mut Rng, out: &mut [f32]) {
        let angle = rng
            .uniform(-self.max_rotation_deg, self.max_rotation_deg)
            .to_radians();
        let scale = 1.0 + rng.uniform(-self.max_scale, self.max_scale);
        let shift_x = rng.uniform(-self.max_shift, self.max_shift);
        let shift_y = rng.uniform(-self.max_shift, self.max_shift);
        // Map each output pixel back to where it comes from: undo the shift,
        // then the rotation and scale about the image centre.
        let centre = (IMAGE_SIDE as f32 - 1.0) / 2.0;
        let (sin, cos) = angle.sin_cos();
        for y in 0..IMAGE_SIDE {
            for x in 0..IMAGE_SIDE {
                let dx = x as f32 - centre - shift_x;
                let dy = y as f32 - centre - shift_y;
                let sx = (cos * dx + sin * dy) / scale + centre;
                let sy = (-sin * dx + cos * dy) / scale + centre;
                out[y * IMAGE_SIDE + x] = bilinear(image, sx, sy) / 255.0;
            }
        }
    }
}

fn bilinear(image: &[u8], x: f32, y: f32) -> f32 {
    let x0 = x.floor();
    let y0 = y.floor();
    let (fx, fy) = (x - x0, y - y0);
    let at = |xi: f32, yi: f32| -> f32 {
        if xi < 0.0 || yi < 0.0 || xi >= IMAGE_SIDE as f32 || yi >= IMAGE_SIDE as f32 {
            0.0
        } else {
            image[yi as usize * IMAGE_SIDE + xi as usize] as f32
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_distortion_is_the_identity_and_distortions_keep_the_ink() {
        let mut image = [0u8; 784];
        for y in 8..20 {
            for x in 12..16 {
                image[y * 28 + x] = 255;
            }
        }
        let none = Augmentation::new()
            .with_max_rotation_deg(0.0)
            .with_max_scale(0.0)
            .with_max_shift(0.0);
        let mut out = [0f32; 784];
        none.apply(&image, &mut Rng::derive(1, &[]), &mut out);
        for (o, &i) in out.iter().zip(&image) {
            assert!((o - i as f32 / 255.0).abs() < 1e-5);
        }
        let ink: f32 = out.iter().sum();
        let mut rng = Rng::derive(2, &[]);
        for _ in 0..20 {
            Augmentation::new().apply(&image, &mut rng, &mut out);
            let distorted: f32 = out.iter().sum();
            assert!((distorted / ink - 1.0).abs() < 0.3, "{distorted} vs {ink}");
            assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }
}
