//! A small, fixed pseudo-random generator for shuffling and augmentation.
//!
//! Training must be reproducible bit for bit across runs, machines, crate
//! upgrades and resumptions, so the stream is defined here (SplitMix64) rather
//! than borrowed from a library whose algorithm may change. Every stream is
//! derived from the run's seed and a position (epoch, batch), so resuming in the
//! middle of an epoch recreates exactly the numbers an uninterrupted run used.

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and good enough for
/// shuffling and jitter.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A stream determined by `seed` and the `parts` of a position.
    pub(crate) fn derive(seed: u64, parts: &[u64]) -> Self {
        let mut rng = Rng { state: seed };
        for &part in parts {
            rng.state ^= part.wrapping_mul(0xD1B5_4A32_D192_ED03);
            rng.next_u64();
        }
        rng
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [low, high).
    pub(crate) fn uniform(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_f32()
    }

    /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias is < n/2^64).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, &[1, 2]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::derive(7, &[1, 2]).next_u64(),
            Rng::derive(7, &[2, 1]).next_u64()
        );
        assert_ne!(
            Rng::derive(7, &[1]).next_u64(),
            Rng::derive(8, &[1]).next_u64()
        );
    }

    #[test]
    fn shuffle_is_a_permutation_and_uniform_values_stay_in_range() {
        let mut rng = Rng::derive(1, &[]);
        let mut items: Vec<usize> = (0..1000).collect();
        rng.shuffle(&mut items);
        assert_ne!(items, (0..1000).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..1000).collect::<Vec<_>>());
        for _ in 0..10_000 {
            let x = rng.uniform(-2.0, 3.0);
            assert!((-2.0..3.0).contains(&x));
            assert!(rng.below(7) < 7);
        }
    }
}
