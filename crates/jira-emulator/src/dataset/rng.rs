//! The data set's randomness: SplitMix64 seeded from `(seed, issue index, stream)`, so any issue
//! can be recomputed on its own and the same seed always gives the same issues.

#[derive(Clone, Copy)]
pub(super) enum Stream {
    Type = 1,
    Parent = 2,
    Core = 3,
    Extra = 4,
    History = 5,
    Worklogs = 6,
}

/// SplitMix64: tiny, fast and good enough to make data look random while staying reproducible.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64, index: usize, stream: Stream) -> Self {
        Self(mix(seed ^ mix((index as u64) << 3 | stream as u64)))
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    pub(super) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 { 0 } else { self.next() % bound }
    }

    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&weight| u64::from(weight)).sum();
        let mut roll = self.below(total);
        for (index, &weight) in weights.iter().enumerate() {
            if roll < u64::from(weight) {
                return index;
            }
            roll -= u64::from(weight);
        }
        weights.len().saturating_sub(1)
    }
}

pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
