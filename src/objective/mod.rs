//! The word2vec objectives built on the shared [`logistic_step`](kernels::logistic_step) primitive.
//!
//! # Matrices
//! - **input** (`syn0` in word2vec.c): one row per word, the vectors that are saved. Initialised
//!   uniformly in `±0.5/dim`.
//! - **output**: used only as prediction targets, initialised to 0. With negative sampling and
//!   the full softmax one row per word (`syn1neg`); with hierarchical softmax one row per inner
//!   node of the Huffman tree, `V − 1` rows (`syn1`).
//!
//! # Skip-gram with negative sampling
//! For a centre word `c` with window radius `b` (drawn uniformly from `1..=window`), every
//! context word `o` within `b` positions makes one prediction: as in word2vec.c, the context
//! word's input vector `v_o` predicts the centre against `k` noise words `n_1..n_k` drawn from
//! the noise distribution (never equal to `c`):
//!
//! `ℓ = −log σ(u_c·v_o) − Σ_j log σ(−u_{n_j}·v_o)`
//!
//! (`u` = output rows). Because windows are symmetric, the set of (input, output) pairs is the
//! same in distribution as with the centre as input (`−log σ(u_o·v_c) − …`); the two differ
//! only in the order of SGD updates. Measured on the 100 MB corpus (standard settings), this
//! convention gives 0.372 analogy accuracy against 0.359 with centre input, and is faster
//! because the centre's output row stays in cache across its window (`benchsuite/NOTES.md`).
//!
//! Each term is one [`logistic_step`](kernels::logistic_step); the input gradient of the whole prediction is
//! accumulated in `grad` from each output row *before* that row is changed, and added to `v_o`
//! when the prediction is complete.
//!
//! # CBOW with negative sampling
//! `h` is the mean of the input vectors of the context words; it predicts the centre word with
//! the same loss. The gradient `grad = −lr·∂ℓ/∂h` is added to *every* context input vector,
//! undivided by the number of context words, as word2vec.c, fastText and gensim (`cbow_mean=1`)
//! do.
//!
//! # Other losses
//! Both models can replace negative sampling by (see [`crate::config::Loss`]):
//! - **hierarchical softmax** ([`Model::predict_hs`]): one [`logistic_step`](kernels::logistic_step) — the same
//!   primitive — per inner node on the target's Huffman path, label `1 − code`;
//!   `ℓ = −log p(target) = −Σ_n log σ(±u_n·h)`;
//! - **full softmax** ([`Model::predict_softmax`]): `ℓ = logsumexp_j(u_j·h) − u_target·h`, every
//!   output row updated, O(V).

pub mod huffman;
pub mod kernels;

mod cbow;
mod hs;
mod input;
mod ns;
mod scratch;
mod skipgram;
mod softmax;
#[cfg(test)]
mod tests;

pub use input::{Input, SubwordIndex};
pub use scratch::{Block, Scratch, Window};

use crate::config::{Loss, ModelKind, PositiveSteps};
use crate::objective::huffman::Huffman;
use crate::objective::kernels::Sigmoid;
use crate::rng::Rng;
use crate::train::hogwild::{Rows, SharedMatrix};
use crate::train::sampler::NoiseSampler;

/// Everything an update reads but does not own. `M` is how rows are reached: the shared
/// Hogwild matrices, or a thread's overlays of them (`--deterministic`).
pub struct Model<'a, M: Rows = SharedMatrix> {
    /// Input vectors (the embeddings): by word, a row, or the mean of a subword model's rows.
    pub input: Input<'a, M>,
    /// Output vectors.
    pub output: &'a M,
    /// Noise distribution.
    pub noise: &'a NoiseSampler,
    /// Sigmoid tables.
    pub sigmoid: &'a Sigmoid,
    /// Negatives per prediction.
    pub negative: usize,
    /// Which loss the output matrix serves.
    pub loss: Loss,
    /// The Huffman tree (hierarchical softmax only).
    pub tree: Option<&'a Huffman>,
    /// Skip-gram with negative sampling: the contexts of a window share one draw of negatives
    /// ([`Model::skipgram_sentence`]).
    pub shared_negatives: bool,
    /// With shared negatives, how the positive is stepped over a window.
    pub positive_steps: PositiveSteps,
    /// With shared negatives, the most contexts in one minibatch (0: the whole window).
    pub batch_contexts: usize,
    /// Per word, which rare-word window rules apply: [`RARE_CENTRE`] (skip-gram with shared
    /// negatives and CBOW), [`RARE_PAIR`] (skip-gram with shared negatives only); a word with no
    /// flag keeps the drawn radius.
    pub rare: Option<&'a [u8]>,
    /// The radius of a rare centre's window ([`RARE_CENTRE`]): every context within it trains.
    /// A value below the window passed to the sentence functions means that window.
    pub rare_radius: usize,
}

/// A word rarer than `TrainConfig::rare_pair_threshold`: it trains with the words that also carry
/// this flag anywhere within the window, not only within the radius the dynamic window drew.
pub const RARE_PAIR: u8 = 1;
/// A word rarer than the rare-centre cut (`TrainConfig::effective_rare_centre_cut`): as a
/// centre, it trains with (skip-gram) or is predicted from (CBOW) every context within
/// [`Model::rare_radius`] (at least the window).
pub const RARE_CENTRE: u8 = 2;

/// Whether a sentence is too short to train (fewer than two words: no context). A one-word
/// sentence still makes the radius draw the window loop would have made, so that the random
/// stream stays the same.
fn too_short(sentence: &[u32], window: usize, rng: &mut Rng) -> bool {
    if sentence.len() == 1 {
        rng.below(window as u32);
    }
    sentence.len() < 2
}

/// Loss summed over a batch of predictions.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LossSum {
    /// Sum of the per-prediction losses.
    pub loss: f64,
    /// Number of predictions (one per positive target, each with its negatives).
    pub predictions: u64,
}
impl<'a, M: Rows> Model<'a, M> {
    /// The same model reaching its rows through `input` and `output` instead.
    pub fn with_rows<'b, N: Rows>(&self, input: &'b N, output: &'b N) -> Model<'b, N>
    where
        'a: 'b,
    {
        Model {
            input: Input {
                rows: input,
                subwords: self.input.subwords,
            },
            output,
            noise: self.noise,
            sigmoid: self.sigmoid,
            negative: self.negative,
            loss: self.loss,
            tree: self.tree,
            shared_negatives: self.shared_negatives,
            positive_steps: self.positive_steps,
            batch_contexts: self.batch_contexts,
            rare: self.rare,
            rare_radius: self.rare_radius,
        }
    }

    /// `ids` = `centre` and its negatives (fewer if the noise has almost no other word), their
    /// output rows prefetched.
    #[inline]
    fn draw_outputs(&self, centre: u32, ids: &mut Vec<u32>, rng: &mut Rng) {
        ids.clear();
        ids.push(centre);
        self.push_negatives(centre, ids, rng);
        for &id in ids.iter() {
            self.output.prefetch_row(id as usize);
        }
    }

    /// A rare centre's radius (at least `window`), and the widest radius any centre of a
    /// sentence uses: the rare centres' where words are flagged, else `window`.
    fn rare_span(&self, window: usize) -> (usize, usize) {
        let rare_reach = self.rare_radius.max(window);
        (
            rare_reach,
            if self.rare.is_some() {
                rare_reach
            } else {
                window
            },
        )
    }

    /// Trains `kind` over one (subsampled) sentence: [`Model::skipgram_sentence`] or
    /// [`Model::cbow_sentence`].
    #[allow(clippy::too_many_arguments)]
    pub fn train_sentence(
        &self,
        kind: ModelKind,
        sentence: &[u32],
        window: usize,
        lr: f32,
        rng: &mut Rng,
        s: &mut Scratch,
        acc: &mut LossSum,
    ) {
        match kind {
            ModelKind::SkipGram => self.skipgram_sentence(sentence, window, lr, rng, s, acc),
            ModelKind::Cbow => self.cbow_sentence(sentence, window, lr, rng, s, acc),
        }
    }
}
