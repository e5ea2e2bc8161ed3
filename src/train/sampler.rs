//! Random choices of the trainer: frequent-word subsampling and the negative-sampling noise.

use crate::rng::Rng;

/// Keep probabilities for subsampling frequent words, as in word2vec.c:
/// `p(w) = (sqrt(f / (s·T)) + 1) · (s·T) / f`, capped at 1, where `f` is the word's count,
/// `T` the total count and `s` the threshold (`s = 0` keeps every word).
#[derive(Clone, Debug)]
pub struct Subsampler {
    keep: Vec<f32>,
}

impl Subsampler {
    /// Probabilities for words with the given counts.
    pub fn new(counts: &[u64], sample: f64) -> Self {
        let total: u64 = counts.iter().sum();
        let keep = counts
            .iter()
            .map(|&f| keep_probability(f, total, sample) as f32)
            .collect();
        Subsampler { keep }
    }

    /// The probability that word `id` is kept.
    pub fn keep_probability(&self, id: u32) -> f32 {
        self.keep[id as usize]
    }

    /// Draws whether to keep one occurrence of word `id`.
    #[inline]
    pub fn keep(&self, id: u32, rng: &mut Rng) -> bool {
        let p = self.keep[id as usize];
        p >= 1.0 || rng.next_f32() < p
    }
}

/// word2vec.c's keep probability for a word seen `count` times among `total`.
pub fn keep_probability(count: u64, total: u64, sample: f64) -> f64 {
    if sample <= 0.0 || count == 0 {
        return 1.0;
    }
    let st = sample * total as f64;
    let f = count as f64;
    (((f / st).sqrt() + 1.0) * st / f).min(1.0)
}

/// Draws word ids with probability proportional to `count^power` in O(1) per draw
/// (Walker's alias method: one table of `V` entries, 8 bytes each, instead of word2vec.c's
/// 10^8-entry table).
#[derive(Clone, Debug)]
pub struct NoiseSampler {
    /// The buckets, each threshold beside its alias: a draw reads one 8-byte entry (one cache
    /// line) and chooses between the two ids without a branch.
    table: Vec<Bucket>,
}

/// One bucket of the alias table.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// The probability (scaled to 2^32) of keeping the bucket's own id.
    threshold: u32,
    /// The id returned otherwise.
    alias: u32,
}

impl NoiseSampler {
    /// A sampler over `counts.len()` ids. Ids with count 0 are never drawn (unless all are 0,
    /// in which case the distribution is uniform).
    pub fn new(counts: &[u64], power: f64) -> Self {
        let n = counts.len();
        assert!(
            n > 0 && n <= u32::MAX as usize,
            "noise distribution needs 1..2^32 words"
        );
        let mut w: Vec<f64> = counts
            .iter()
            .map(|&c| if c == 0 { 0.0 } else { (c as f64).powf(power) })
            .collect();
        let sum: f64 = w.iter().sum();
        if !(sum > 0.0 && sum.is_finite()) {
            w.iter_mut().for_each(|x| *x = 1.0);
        }
        let sum: f64 = w.iter().sum();
        // Scaled so the mean bucket holds exactly 1.
        let mut p: Vec<f64> = w.iter().map(|x| x * n as f64 / sum).collect();
        let mut threshold = vec![u32::MAX; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| p[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            let ps = p[s as usize];
            threshold[s as usize] = (ps * 4_294_967_296.0).min(u32::MAX as f64) as u32;
            alias[s as usize] = l;
            p[l as usize] -= 1.0 - ps;
            if p[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers hold probability 1 up to rounding.
        let table = threshold
            .into_iter()
            .zip(alias)
            .map(|(threshold, alias)| Bucket { threshold, alias })
            .collect();
        NoiseSampler { table }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the sampler is empty (never: construction requires one id).
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Draws one id.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        let r = rng.next_u64();
        let bucket = (((r >> 32) * self.table.len() as u64) >> 32) as usize;
        let coin = r as u32;
        // `bucket < len` because (r>>32) < 2^32; the compiler keeps the bounds checks cheap.
        let b = self.table[bucket];
        // The coin is a fresh random number: a branch on it would be mispredicted as often as
        // the bucket's alias is taken.
        std::hint::select_unpredictable(coin < b.threshold, bucket as u32, b.alias)
    }

    /// Draws one id different from `avoid` (redrawing; gives up after 64 tries, which only
    /// happens when nearly all the mass is on `avoid`, and returns `None`).
    #[inline]
    pub fn sample_except(&self, avoid: u32, rng: &mut Rng) -> Option<u32> {
        for _ in 0..64 {
            let x = self.sample(rng);
            if x != avoid {
                return Some(x);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_probability_matches_word2vec_formula() {
        // f/T = 0.01, s = 1e-3: (sqrt(10) + 1) * 0.1 = 0.41623
        let p = keep_probability(100, 10_000, 1e-3);
        assert!((p - 0.416_227_766).abs() < 1e-8, "{p}");
        // Rare words are always kept, s = 0 keeps everything.
        assert_eq!(keep_probability(1, 10_000, 1e-3), 1.0);
        assert_eq!(keep_probability(9_000, 10_000, 0.0), 1.0);
        let s = Subsampler::new(&[9_000, 999, 1], 1e-3);
        assert!(s.keep_probability(0) < s.keep_probability(1));
        assert_eq!(s.keep_probability(2), 1.0);
    }

    #[test]
    fn subsampling_keeps_the_expected_fraction() {
        let s = Subsampler::new(&[9_000, 1_000], 1e-3);
        let p = s.keep_probability(0) as f64;
        let mut rng = Rng::new(5, 0);
        let n = 200_000;
        let kept = (0..n).filter(|_| s.keep(0, &mut rng)).count() as f64;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!((kept - n as f64 * p).abs() < 5.0 * sd, "kept {kept}, p {p}");
    }

    /// Noise frequencies on a skewed (Zipf) distribution match count^0.75 within 5 sigma.
    #[test]
    fn noise_frequencies_match_count_power() {
        let counts: Vec<u64> = (1..=1000u64).map(|r| 1_000_000 / r).collect();
        let s = NoiseSampler::new(&counts, 0.75);
        let w: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(0.75)).collect();
        let z: f64 = w.iter().sum();
        let mut rng = Rng::new(11, 0);
        let n = 2_000_000usize;
        let mut hist = vec![0usize; counts.len()];
        for _ in 0..n {
            hist[s.sample(&mut rng) as usize] += 1;
        }
        for i in [0usize, 1, 2, 9, 99, 999] {
            let p = w[i] / z;
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            let got = hist[i] as f64;
            assert!(
                (got - n as f64 * p).abs() < 5.0 * sd,
                "id {i}: {got} vs {}",
                n as f64 * p
            );
        }
        // Chi-square over the first 50 ids (49 dof): mean 49, sd ~10.
        let chi: f64 = (0..50)
            .map(|i| {
                let e = n as f64 * w[i] / z;
                (hist[i] as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi < 110.0, "chi2 {chi}");
    }

    #[test]
    fn sample_except_never_returns_the_positive() {
        let s = NoiseSampler::new(&[1_000_000, 1, 1], 1.0);
        let mut rng = Rng::new(3, 0);
        for _ in 0..10_000 {
            if let Some(x) = s.sample_except(0, &mut rng) {
                assert_ne!(x, 0);
            }
        }
        let single = NoiseSampler::new(&[5], 0.75);
        assert_eq!(single.sample_except(0, &mut rng), None);
    }

    proptest::proptest! {
        #[test]
        fn alias_table_reproduces_any_distribution(counts in proptest::collection::vec(0u64..1000, 1..40)) {
            let s = NoiseSampler::new(&counts, 1.0);
            // Exact probability of each id from the table.
            let n = counts.len() as f64;
            let mut prob = vec![0f64; counts.len()];
            for b in 0..counts.len() {
                let Bucket { threshold, alias } = s.table[b];
                let keep = threshold as f64 / 4_294_967_296.0;
                let keep = if threshold == u32::MAX { 1.0 } else { keep };
                prob[b] += keep / n;
                prob[alias as usize] += (1.0 - keep) / n;
            }
            let total: u64 = counts.iter().sum();
            for (i, &c) in counts.iter().enumerate() {
                let want = if total == 0 { 1.0 / n } else { c as f64 / total as f64 };
                proptest::prop_assert!((prob[i] - want).abs() < 1e-6, "id {} {} vs {}", i, prob[i], want);
            }
        }
    }
}
