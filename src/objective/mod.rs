//! The word2vec objectives built on the shared [`logistic_step`] primitive.
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
//! Each term is one [`logistic_step`]; the input gradient of the whole prediction is
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
//! - **hierarchical softmax** ([`Model::predict_hs`]): one [`logistic_step`] — the same
//!   primitive — per inner node on the target's Huffman path, label `1 − code`;
//!   `ℓ = −log p(target) = −Σ_n log σ(±u_n·h)`;
//! - **full softmax** ([`Model::predict_softmax`]): `ℓ = logsumexp_j(u_j·h) − u_target·h`, every
//!   output row updated, O(V).

pub mod huffman;
pub mod kernels;

use crate::config::{Loss, ModelKind};
use crate::objective::huffman::Huffman;
use crate::objective::kernels::{LANES, Sigmoid, axpy, dot, logistic_step, shared_negatives_step};
use crate::rng::Rng;
use crate::train::hogwild::{Rows, SharedMatrix};
use crate::train::ring::RowRing;
use crate::train::sampler::NoiseSampler;

/// Thread-local buffers, allocated once per worker so the hot loop never allocates.
pub struct Scratch {
    /// The hidden vector (skip-gram: the context word's input row; CBOW: the context mean).
    pub h: Vec<f32>,
    /// Accumulated input gradient (already multiplied by `lr`).
    pub grad: Vec<f32>,
    /// A scratch row (the full softmax's output rows).
    pub o: Vec<f32>,
    /// A copy of the target's output row.
    pub t: Vec<f32>,
    /// Output rows of the current prediction.
    pub block: Block,
    /// Scores of every word (full softmax only; empty otherwise).
    pub scores: Vec<f32>,
    /// Output rows of one Huffman path (hierarchical softmax only; empty otherwise).
    pub path: Vec<f32>,
    /// Buffers of one shared-negatives window (skip-gram with `shared_negatives` only; empty
    /// otherwise).
    pub window: Window,
    /// The input rows around the centre (CBOW, and skip-gram with shared negatives; sized by
    /// the first sentence).
    pub ring: RowRing,
}

/// The rows of one skip-gram window trained with shared negatives: the context words' input
/// rows (copied from the [`RowRing`]) and the centre's and negatives' output rows, with their
/// steps.
///
/// Each row occupies `stride` floats, `dim` rounded up to the kernels' vector width, the
/// padding zero: the step then runs on whole vectors, with no scalar tail loop (for dim 100,
/// 7 vector chunks instead of 6 and a 4-float tail per dot product and per weighted row sum).
#[derive(Default)]
pub struct Window {
    /// Floats per row in the buffers below.
    pub stride: usize,
    /// Context positions in the sentence.
    pub pos: Vec<u32>,
    /// Copies of the context input rows (`stride` floats per entry of `pos`).
    pub h: Vec<f32>,
    /// Their steps.
    pub dh: Vec<f32>,
    /// Output row ids: the centre, then the negatives.
    pub out_ids: Vec<u32>,
    /// The next centre's output row ids, drawn (and their rows prefetched) one centre ahead.
    pub next_ids: Vec<u32>,
    /// For each output row, the index of the first occurrence of its id.
    pub out_slot: Vec<u32>,
    /// Copies of the output rows.
    pub u: Vec<f32>,
    /// Their steps.
    pub du: Vec<f32>,
    /// The `contexts × (1 + negatives)` step sizes.
    pub g: Vec<f32>,
}

impl Window {
    /// Room for windows of radius up to `window` with `negative` negatives.
    pub fn new(dim: usize, negative: usize, window: usize) -> Self {
        let (m, n) = (2 * window, 1 + negative);
        let stride = dim.next_multiple_of(LANES);
        Window {
            stride,
            pos: Vec::with_capacity(m),
            h: vec![0.0; m * stride],
            dh: vec![0.0; m * stride],
            out_ids: Vec::with_capacity(n),
            next_ids: Vec::with_capacity(n),
            out_slot: Vec::with_capacity(n),
            u: vec![0.0; n * stride],
            du: vec![0.0; n * stride],
            g: vec![0.0; m * n],
        }
    }
}

/// Copies the rows `ids` of `mat` into `rows`, row `j` at `rows[j·stride..]` (`stride ≥ dim`;
/// the floats past `dim` are left as they are), reading a repeated id once and copying it from
/// its first occurrence; `slot[j]` is that first occurrence.
#[inline]
fn gather_rows<M: Rows>(
    mat: &M,
    ids: &[u32],
    slot: &mut Vec<u32>,
    rows: &mut [f32],
    stride: usize,
) {
    let dim = mat.dim();
    slot.clear();
    for (j, &id) in ids.iter().enumerate() {
        let first = ids[..j].iter().position(|&x| x == id).unwrap_or(j);
        slot.push(first as u32);
        let at = j * stride;
        if first == j {
            mat.read_row(id as usize, &mut rows[at..at + dim]);
        } else {
            rows.copy_within(first * stride..first * stride + dim, at);
        }
    }
}

/// Adds each step in `delta` to the first occurrence of its row in `rows` and stores the rows
/// back, once per distinct id (the inverse of [`gather_rows`], same layout).
#[inline]
fn scatter_rows<M: Rows>(
    mat: &M,
    ids: &[u32],
    slot: &[u32],
    rows: &mut [f32],
    delta: &[f32],
    stride: usize,
) {
    let dim = mat.dim();
    for (j, &first) in slot.iter().enumerate() {
        let (f, at) = (first as usize * stride, j * stride);
        axpy(1.0, &delta[at..at + dim], &mut rows[f..f + dim]);
    }
    for (j, (&id, &first)) in ids.iter().zip(slot).enumerate() {
        if first as usize == j {
            mat.write_row(id as usize, &rows[j * stride..j * stride + dim]);
        }
    }
}

/// The output rows of the negatives of one prediction.
pub struct Block {
    /// Row ids of the negatives.
    pub ids: Vec<u32>,
    /// For each entry of `ids`, the index of its first occurrence.
    pub slot: Vec<u32>,
    /// Copies of the rows, `dim` floats per entry of `ids`.
    pub rows: Vec<f32>,
}

impl Block {
    /// Room for `negative` rows of length `dim`.
    pub fn new(dim: usize, negative: usize) -> Self {
        Block {
            ids: Vec::with_capacity(negative),
            slot: Vec::with_capacity(negative),
            rows: vec![0.0; negative * dim],
        }
    }
}

impl Scratch {
    /// Buffers for vectors of length `dim`, `negative` negatives per prediction and, for the
    /// full softmax, `softmax_words` scores (0 otherwise).
    pub fn new(dim: usize, negative: usize, softmax_words: usize) -> Self {
        Scratch {
            h: vec![0.0; dim],
            grad: vec![0.0; dim],
            o: vec![0.0; dim],
            t: vec![0.0; dim],
            block: Block::new(dim, negative),
            scores: vec![0.0; softmax_words],
            path: Vec::new(),
            window: Window::default(),
            ring: RowRing::default(),
        }
    }
}

/// Everything an update reads but does not own. `M` is how rows are reached: the shared
/// Hogwild matrices, or a thread's overlays of them (`--deterministic`).
pub struct Model<'a, M: Rows = SharedMatrix> {
    /// Input vectors (the embeddings).
    pub input: &'a M,
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
/// A word rarer than `TrainConfig::rare_centre_threshold`: as a centre, it trains with (skip-gram)
/// or is predicted from (CBOW) every context within [`Model::rare_radius`] (at least the window).
pub const RARE_CENTRE: u8 = 2;

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
            input,
            output,
            noise: self.noise,
            sigmoid: self.sigmoid,
            negative: self.negative,
            loss: self.loss,
            tree: self.tree,
            shared_negatives: self.shared_negatives,
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
        for _ in 0..self.negative {
            match self.noise.sample_except(centre, rng) {
                Some(x) => ids.push(x),
                None => break,
            }
        }
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

    /// One negative-sampling prediction of `target` from `h` (see the module docs): updates
    /// the target's output row `t` (a local copy that the caller owns and stores back) and the
    /// negatives' output rows, adds the input gradient to `grad`, returns the loss.
    ///
    /// The negatives are drawn first and all their rows are copied into `b` before any
    /// arithmetic, so their cache misses overlap and the copies have left the store buffer
    /// before the vector loads read them. A row drawn twice is copied once and updated in place
    /// twice, so the result is exactly the sequential update.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn predict(
        &self,
        target: u32,
        t: &mut [f32],
        h: &[f32],
        grad: &mut [f32],
        b: &mut Block,
        lr: f32,
        rng: &mut Rng,
    ) -> f32 {
        let out = self.output;
        let dim = h.len();
        b.ids.clear();
        for _ in 0..self.negative {
            match self.noise.sample_except(target, rng) {
                Some(n) => b.ids.push(n),
                None => break,
            }
        }
        for &id in &b.ids {
            out.prefetch_row(id as usize);
        }
        b.slot.clear();
        for (j, &id) in b.ids.iter().enumerate() {
            let first = b.ids[..j].iter().position(|&x| x == id).unwrap_or(j);
            b.slot.push(first as u32);
            if first == j {
                out.read_row(id as usize, &mut b.rows[j * dim..(j + 1) * dim]);
            }
        }
        let mut loss = logistic_step(h, t, grad, 1.0, lr, self.sigmoid);
        for &slot in &b.slot {
            let s = slot as usize;
            let row = &mut b.rows[s * dim..(s + 1) * dim];
            loss += logistic_step(h, row, grad, 0.0, lr, self.sigmoid);
        }
        for (j, &id) in b.ids.iter().enumerate() {
            if b.slot[j] as usize == j {
                out.write_row(id as usize, &b.rows[j * dim..(j + 1) * dim]);
            }
        }
        loss
    }

    /// Copies the output rows of the inner nodes on `target`'s Huffman path into `rows`
    /// (`dim` floats per node, root first), prefetching them all first so the misses overlap.
    #[inline]
    pub fn load_path(&self, target: u32, rows: &mut [f32]) {
        let tree = self.tree.expect("hierarchical softmax needs its tree");
        let path = tree.path(target as usize);
        let dim = self.output.dim();
        for &n in path {
            self.output.prefetch_row(n as usize);
        }
        for (&n, r) in path.iter().zip(rows.chunks_exact_mut(dim)) {
            self.output.read_row(n as usize, r);
        }
    }

    /// Stores rows loaded by [`Model::load_path`] back.
    #[inline]
    pub fn store_path(&self, target: u32, rows: &[f32]) {
        let tree = self.tree.expect("hierarchical softmax needs its tree");
        let dim = self.output.dim();
        for (&n, r) in tree
            .path(target as usize)
            .iter()
            .zip(rows.chunks_exact(dim))
        {
            self.output.write_row(n as usize, r);
        }
    }

    /// The hierarchical-softmax prediction of `target` from `h` on path rows loaded by
    /// [`Model::load_path`]: one [`logistic_step`] per inner node, label `1 − code`
    /// (word2vec.c's convention). Returns `−log p(target)`.
    #[inline]
    pub fn hs_steps(
        &self,
        target: u32,
        rows: &mut [f32],
        h: &[f32],
        grad: &mut [f32],
        lr: f32,
    ) -> f32 {
        let tree = self.tree.expect("hierarchical softmax needs its tree");
        let code = tree.code(target as usize);
        debug_assert!(
            rows.len() >= code.len() * h.len(),
            "room for the whole path"
        );
        let mut loss = 0.0;
        for (&c, r) in code.iter().zip(rows.chunks_exact_mut(h.len())) {
            loss += logistic_step(h, r, grad, 1.0 - c as f32, lr, self.sigmoid);
        }
        loss
    }

    /// One whole hierarchical-softmax prediction: load the path rows into `rows` (room for the
    /// longest path), step, store them back.
    #[inline]
    pub fn predict_hs(
        &self,
        target: u32,
        h: &[f32],
        grad: &mut [f32],
        rows: &mut [f32],
        lr: f32,
    ) -> f32 {
        self.load_path(target, rows);
        let loss = self.hs_steps(target, rows, h, grad, lr);
        self.store_path(target, rows);
        loss
    }

    /// One full-softmax prediction of `target` from `h`: `p = softmax(U·h)` over every output
    /// row, `grad += lr·Σ_j (y_j − p_j)·u_j` (each row read before its update) and
    /// `u_j += lr·(y_j − p_j)·h`. Returns `−log p(target) = logsumexp(U·h) − u_target·h`.
    #[inline]
    pub fn predict_softmax(
        &self,
        target: u32,
        h: &[f32],
        grad: &mut [f32],
        row: &mut [f32],
        scores: &mut [f32],
        lr: f32,
    ) -> f32 {
        let v = self.output.rows().min(scores.len());
        let mut max = f32::NEG_INFINITY;
        for (j, sj) in scores[..v].iter_mut().enumerate() {
            self.output.read_row(j, row);
            *sj = dot(h, row);
            max = max.max(*sj);
        }
        let z: f64 = scores[..v].iter().map(|&x| ((x - max) as f64).exp()).sum();
        let log_z = max as f64 + z.ln();
        for (j, &sj) in scores[..v].iter().enumerate() {
            let p = ((sj as f64) - log_z).exp() as f32;
            let y = if j == target as usize { 1.0 } else { 0.0 };
            let g = lr * (y - p);
            self.output.read_row(j, row);
            axpy(g, row, grad);
            axpy(g, h, row);
            self.output.write_row(j, row);
        }
        (log_z - scores[target as usize] as f64) as f32
    }

    /// Skip-gram over one (subsampled) sentence, with window radii drawn from `1..=window`.
    pub fn skipgram_sentence(
        &self,
        sentence: &[u32],
        window: usize,
        lr: f32,
        rng: &mut Rng,
        s: &mut Scratch,
        acc: &mut LossSum,
    ) {
        if self.shared_negatives && self.loss == Loss::Ns {
            return self.skipgram_sentence_shared(sentence, window, lr, rng, s, acc);
        }
        let n = sentence.len();
        for (i, &center) in sentence.iter().enumerate() {
            let b = 1 + rng.below(window as u32) as usize;
            let lo = i.saturating_sub(b);
            let hi = (i + b + 1).min(n);
            if hi - lo <= 1 {
                continue;
            }
            // With negative sampling the centre's output row is the target of every pair in the
            // window: keep it local and store it once (negatives never equal the target, so
            // this is exact).
            // With hierarchical softmax the same holds for the rows of the centre's path.
            let ns = self.loss == Loss::Ns;
            let hs = self.loss == Loss::Hs;
            if ns {
                self.output.read_row(center as usize, &mut s.t);
            }
            if hs {
                self.load_path(center, &mut s.path);
            }
            for (j, &ctx) in sentence[lo..hi].iter().enumerate() {
                if lo + j == i {
                    continue;
                }
                self.input.read_row(ctx as usize, &mut s.h);
                s.grad.fill(0.0);
                let l = match self.loss {
                    Loss::Ns => {
                        self.predict(center, &mut s.t, &s.h, &mut s.grad, &mut s.block, lr, rng)
                    }
                    Loss::Hs => self.hs_steps(center, &mut s.path, &s.h, &mut s.grad, lr),
                    Loss::Softmax => {
                        self.predict_softmax(center, &s.h, &mut s.grad, &mut s.o, &mut s.scores, lr)
                    }
                };
                acc.loss += l as f64;
                acc.predictions += 1;
                // Added, not stored (benchsuite/NOTES.md, "Lost updates").
                self.input.add_to_row(ctx as usize, &s.grad);
            }
            if ns {
                self.output.write_row(center as usize, &s.t);
            }
            if hs {
                self.store_path(center, &s.path);
            }
        }
    }

    /// Skip-gram with negative sampling and shared negatives (the HogBatch scheme of Ji et al.,
    /// "Parallelizing Word2Vec in Shared and Distributed Memory", 2016): the context words of a
    /// window predict the centre against one draw of `k` negatives, as one minibatch
    /// ([`shared_negatives_step`]: every score from the rows as they were before the window).
    /// Each output row is copied in and out once per window instead of once per pair.
    fn skipgram_sentence_shared(
        &self,
        sentence: &[u32],
        window: usize,
        lr: f32,
        rng: &mut Rng,
        s: &mut Scratch,
        acc: &mut LossSum,
    ) {
        let n = sentence.len();
        if n < 2 {
            // No context to train: only the loop's radius draw, to keep the random stream.
            if n == 1 {
                rng.below(window as u32);
            }
            return;
        }
        let dim = self.input.dim();
        // The widest window any centre uses: a rare centre's, if there are rare centres.
        let (rare_reach, span) = self.rare_span(window);
        let w = &mut s.window;
        if w.stride < dim
            || w.h.len() < 2 * span * w.stride
            || w.u.len() < (1 + self.negative) * w.stride
        {
            // A `Scratch` not sized for this window (`Scratch::new` leaves it empty): size it
            // once; the loop below never allocates.
            *w = Window::new(dim, self.negative, span);
        }
        let ring = &mut s.ring;
        if !ring.fits(dim, w.stride, span) {
            *ring = RowRing::new(dim, w.stride, span);
        }
        // Each centre's radius and output rows (itself and its negatives) are drawn one centre
        // ahead, so that the rows' cache misses overlap with the window before. The draws come
        // in the same order as drawn in place (radius, then negatives, centre by centre).
        let mut next_b = 1 + rng.below(window as u32) as usize;
        self.draw_outputs(sentence[0], &mut w.next_ids, rng);
        for (i, &center) in sentence.iter().enumerate() {
            ring.centre_on(i, sentence, self.input);
            let b = next_b;
            std::mem::swap(&mut w.out_ids, &mut w.next_ids);
            if let Some(&next) = sentence.get(i + 1) {
                next_b = 1 + rng.below(window as u32) as usize;
                self.draw_outputs(next, &mut w.next_ids, rng);
            }
            // A rare centre also pairs with words beyond the drawn radius `b`: every one within
            // `rare_reach` (`RARE_CENTRE`) or the rare ones within `window` (`RARE_PAIR`).
            let flags = self.rare.map_or(0, |r| r[center as usize]);
            let reach = if flags & RARE_CENTRE != 0 {
                rare_reach
            } else if flags != 0 {
                window
            } else {
                b
            };
            let lo = i.saturating_sub(reach);
            let hi = (i + reach + 1).min(n);
            if hi - lo <= 1 {
                continue;
            }
            w.pos.clear();
            w.pos.extend(
                (lo..hi)
                    .filter(|&j| {
                        let d = j.abs_diff(i);
                        d != 0
                            && (d <= b
                                || flags & RARE_CENTRE != 0
                                || (flags & RARE_PAIR != 0
                                    && d <= window
                                    && self
                                        .rare
                                        .is_some_and(|r| r[sentence[j] as usize] & RARE_PAIR != 0)))
                    })
                    .map(|j| j as u32),
            );
            let (m, k1, st) = (w.pos.len(), w.out_ids.len(), w.stride);
            gather_rows(self.output, &w.out_ids, &mut w.out_slot, &mut w.u, st);
            for (h, &p) in w.h.chunks_exact_mut(st).zip(&w.pos) {
                h.copy_from_slice(ring.row(p as usize));
            }
            // The padding past `dim` is zero in `h` and `u`, hence in `dh` and `du`: the scores
            // and steps are those of the `dim`-float rows.
            acc.loss += shared_negatives_step(
                &w.h[..m * st],
                &w.u[..k1 * st],
                st,
                lr,
                self.sigmoid,
                &mut w.g,
                &mut w.dh[..m * st],
                &mut w.du[..k1 * st],
            ) as f64;
            acc.predictions += m as u64;
            scatter_rows(self.output, &w.out_ids, &w.out_slot, &mut w.u, &w.du, st);
            for (dh, &p) in w.dh.chunks_exact(st).zip(&w.pos) {
                axpy(1.0, dh, ring.row_mut(p as usize));
            }
        }
        ring.finish(self.input);
    }

    /// CBOW over one (subsampled) sentence. The context rows come from [`RowRing`]: each
    /// position's input row is read once and its steps are added back once.
    pub fn cbow_sentence(
        &self,
        sentence: &[u32],
        window: usize,
        lr: f32,
        rng: &mut Rng,
        s: &mut Scratch,
        acc: &mut LossSum,
    ) {
        let n = sentence.len();
        if n < 2 {
            // No context to train: only the loop's radius draw, to keep the random stream.
            if n == 1 {
                rng.below(window as u32);
            }
            return;
        }
        let dim = s.h.len();
        let (rare_reach, span) = self.rare_span(window);
        if !s.ring.fits(dim, dim, span) {
            // A `Scratch` not sized for this window (`Scratch::new` leaves it empty): size it
            // once; every later sentence reuses it.
            s.ring = RowRing::new(dim, dim, span);
        }
        for (i, &center) in sentence.iter().enumerate() {
            s.ring.centre_on(i, sentence, self.input);
            if self.loss == Loss::Ns {
                self.output.prefetch_row(center as usize);
            }
            let b = 1 + rng.below(window as u32) as usize;
            // A rare centre (`RARE_CENTRE`) is predicted from every context within `rare_reach`.
            let b = if self
                .rare
                .is_some_and(|r| r[center as usize] & RARE_CENTRE != 0)
            {
                rare_reach
            } else {
                b
            };
            let lo = i.saturating_sub(b);
            let hi = (i + b + 1).min(n);
            let count = hi - lo - 1;
            if count == 0 {
                continue;
            }
            s.h.fill(0.0);
            for j in (lo..hi).filter(|&j| j != i) {
                axpy(1.0, s.ring.row(j), &mut s.h);
            }
            let inv = 1.0 / count as f32;
            s.h.iter_mut().for_each(|x| *x *= inv);
            s.grad.fill(0.0);
            let l = match self.loss {
                Loss::Ns => {
                    self.output.read_row(center as usize, &mut s.t);
                    let l =
                        self.predict(center, &mut s.t, &s.h, &mut s.grad, &mut s.block, lr, rng);
                    self.output.write_row(center as usize, &s.t);
                    l
                }
                Loss::Hs => self.predict_hs(center, &s.h, &mut s.grad, &mut s.path, lr),
                Loss::Softmax => {
                    self.predict_softmax(center, &s.h, &mut s.grad, &mut s.o, &mut s.scores, lr)
                }
            };
            acc.loss += l as f64;
            acc.predictions += 1;
            for j in (lo..hi).filter(|&j| j != i) {
                axpy(1.0, &s.grad, s.ring.row_mut(j));
            }
        }
        s.ring.finish(self.input);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_ns_loss(h: &[f64], pos: &[f64], negs: &[Vec<f64>]) -> f64 {
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let ls = |x: f64| -(-x).exp().ln_1p();
        -ls(dot(h, pos)) - negs.iter().map(|n| ls(-dot(h, n))).sum::<f64>()
    }

    /// The whole negative-sampling prediction (positive plus k distinct negatives) moves the
    /// input gradient and every output row by `−lr · ∂ℓ/∂(·)`, checked by finite differences.
    #[test]
    fn negative_sampling_gradient_matches_finite_differences() {
        let dim = 12;
        let vocab = 40;
        let init: Vec<f32> = (0..vocab * dim)
            .map(|i| ((i as f32) * 0.173).sin() * 0.4)
            .collect();
        let output = SharedMatrix::from_vec(init.clone(), dim);
        let input = SharedMatrix::zeros(1, dim);
        let counts: Vec<u64> = (0..vocab as u64).map(|i| 100 + i).collect();
        let noise = NoiseSampler::new(&counts, 0.75);
        let sigmoid = Sigmoid::new();
        let m = Model {
            input: &input,
            output: &output,
            noise: &noise,
            sigmoid: &sigmoid,
            negative: 4,
            loss: Loss::Ns,
            tree: None,
            shared_negatives: false,
            rare: None,
            rare_radius: 0,
        };
        // Find a seed whose negatives are distinct and differ from the target, then replay.
        let target = 3u32;
        let seed = (0..1000)
            .find(|&seed| {
                let mut r = Rng::new(seed, 0);
                let d: Vec<u32> = (0..4)
                    .map(|_| noise.sample_except(target, &mut r).unwrap())
                    .collect();
                let mut u = d.clone();
                u.sort();
                u.dedup();
                u.len() == 4
            })
            .unwrap();
        let mut r = Rng::new(seed, 0);
        let negs: Vec<u32> = (0..4)
            .map(|_| noise.sample_except(target, &mut r).unwrap())
            .collect();

        let h: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.51).cos() * 0.3).collect();
        let mut grad = vec![0f32; dim];
        let lr = 0.005f32;
        let mut block = Block::new(dim, 4);
        let ti = target as usize;
        let mut t = init[ti * dim..(ti + 1) * dim].to_vec();
        let mut rng = Rng::new(seed, 0);
        let loss = m.predict(target, &mut t, &h, &mut grad, &mut block, lr, &mut rng);
        output.write_row(ti, &t);

        let row = |id: u32| -> Vec<f64> {
            init[id as usize * dim..(id as usize + 1) * dim]
                .iter()
                .map(|&x| x as f64)
                .collect()
        };
        let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
        let pos = row(target);
        let neg_rows: Vec<Vec<f64>> = negs.iter().map(|&n| row(n)).collect();
        assert!((loss as f64 - exact_ns_loss(&hd, &pos, &neg_rows)).abs() < 1e-5);
        let eps = 1e-6;
        let after = output.into_vec();
        for i in 0..dim {
            let mut hp = hd.clone();
            hp[i] += eps;
            let mut hm = hd.clone();
            hm[i] -= eps;
            let d = (exact_ns_loss(&hp, &pos, &neg_rows) - exact_ns_loss(&hm, &pos, &neg_rows))
                / (2.0 * eps);
            assert!((grad[i] as f64 + lr as f64 * d).abs() < 1e-6, "h[{i}]");
            // Output row of the positive target.
            let mut pp = pos.clone();
            pp[i] += eps;
            let mut pm = pos.clone();
            pm[i] -= eps;
            let d = (exact_ns_loss(&hd, &pp, &neg_rows) - exact_ns_loss(&hd, &pm, &neg_rows))
                / (2.0 * eps);
            let moved = (after[target as usize * dim + i] - init[target as usize * dim + i]) as f64;
            assert!((moved + lr as f64 * d).abs() < 1e-6, "u_o[{i}]");
            // Output row of each negative.
            for (k, &n) in negs.iter().enumerate() {
                let mut np = neg_rows.clone();
                np[k][i] += eps;
                let mut nm = neg_rows.clone();
                nm[k][i] -= eps;
                let d =
                    (exact_ns_loss(&hd, &pos, &np) - exact_ns_loss(&hd, &pos, &nm)) / (2.0 * eps);
                let moved = (after[n as usize * dim + i] - init[n as usize * dim + i]) as f64;
                assert!((moved + lr as f64 * d).abs() < 1e-6, "u_n{k}[{i}]");
            }
        }
    }

    /// CBOW: h is the context mean, and each context row receives `−lr·∂ℓ/∂h`, where the
    /// gradient is checked by finite differences of the loss as a function of h.
    #[test]
    fn cbow_gradient_reaches_every_context_row() {
        let dim = 8;
        let vocab = 6;
        let init: Vec<f32> = (0..vocab * dim)
            .map(|i| ((i as f32) * 0.37).sin() * 0.2)
            .collect();
        let input = SharedMatrix::from_vec(init.clone(), dim);
        let out_init: Vec<f32> = (0..vocab * dim)
            .map(|i| ((i as f32) * 0.11).cos() * 0.2)
            .collect();
        let output = SharedMatrix::from_vec(out_init.clone(), dim);
        let noise = NoiseSampler::new(&[1, 1, 1, 1, 1, 1], 0.75);
        let sigmoid = Sigmoid::new();
        let m = Model {
            input: &input,
            output: &output,
            noise: &noise,
            sigmoid: &sigmoid,
            negative: 1,
            loss: Loss::Ns,
            tree: None,
            shared_negatives: false,
            rare: None,
            rare_radius: 0,
        };
        let sentence = [1u32, 2, 0];
        // window 1, centre 2 at index 1: contexts 1 and 0. Centre 1 (index 0) and 0 (index 2)
        // also train; check only the first centre by running on a 2-word slice.
        let mut s = Scratch::new(dim, m.negative, 0);
        let mut acc = LossSum::default();
        let lr = 0.01;
        m.cbow_sentence(&sentence[..2], 1, lr, &mut Rng::new(1, 0), &mut s, &mut acc);
        assert_eq!(acc.predictions, 2);
        assert!(acc.loss.is_finite() && acc.loss > 0.0);
        // Both input rows used as context moved; the untouched ones did not.
        let after = input.into_vec();
        let moved = |w: usize| (0..dim).any(|i| after[w * dim + i] != init[w * dim + i]);
        assert!(moved(1) && moved(2));
        assert!(!moved(0) && !moved(3));
    }

    #[test]
    fn skipgram_moves_only_involved_rows() {
        let dim = 4;
        let input = SharedMatrix::from_vec(vec![0.1; 5 * dim], dim);
        let output = SharedMatrix::zeros(5, dim);
        let noise = NoiseSampler::new(&[0, 0, 0, 0, 1], 1.0); // noise is always word 4
        let sigmoid = Sigmoid::new();
        let m = Model {
            input: &input,
            output: &output,
            noise: &noise,
            sigmoid: &sigmoid,
            negative: 2,
            loss: Loss::Ns,
            tree: None,
            shared_negatives: false,
            rare: None,
            rare_radius: 0,
        };
        let mut s = Scratch::new(dim, m.negative, 0);
        let mut acc = LossSum::default();
        m.skipgram_sentence(&[0, 1], 1, 0.1, &mut Rng::new(1, 0), &mut s, &mut acc);
        assert_eq!(acc.predictions, 2);
        // First prediction: all output rows zero -> loss = 3 ln 2.
        let out = output.into_vec();
        assert!(out[0..dim].iter().all(|&x| x > 0.0)); // word 0 was a positive target
        assert!(out[4 * dim..].iter().all(|&x| x < 0.0)); // word 4 was the noise
        assert!(out[2 * dim..4 * dim].iter().all(|&x| x == 0.0));
    }

    /// Shared negatives: each window is one [`shared_negatives_step`] on the rows as they were
    /// before it, and a word that occurs twice in a window (here the centre's two contexts are
    /// both word 1, the negatives both word 3) receives both steps.
    #[test]
    fn shared_negatives_window_applies_every_step_once() {
        let dim = 5;
        let init: Vec<f32> = (0..4 * dim)
            .map(|i| ((i as f32) * 0.3).sin() * 0.4)
            .collect();
        let out_init: Vec<f32> = (0..4 * dim)
            .map(|i| ((i as f32) * 0.7).cos() * 0.3)
            .collect();
        let input = SharedMatrix::from_vec(init.clone(), dim);
        let output = SharedMatrix::from_vec(out_init.clone(), dim);
        let noise = NoiseSampler::new(&[0, 0, 0, 1], 1.0); // noise is always word 3
        let sigmoid = Sigmoid::new();
        let m = Model {
            negative: 2,
            shared_negatives: true,
            ..model(&input, &output, &noise, &sigmoid, Loss::Ns, None)
        };
        // `Scratch::new` leaves the window buffers empty; the first window sizes them.
        let mut s = Scratch::new(dim, 2, 0);
        let mut acc = LossSum::default();
        let sentence = [1u32, 0, 1];
        m.skipgram_sentence(&sentence, 1, 0.1, &mut Rng::new(1, 0), &mut s, &mut acc);
        assert_eq!(acc.predictions, 4);
        // Reference: the same windows (radius 1 always) on plain vectors.
        let (mut inp, mut out) = (init, out_init);
        let mut loss = 0.0f64;
        for (center, ctx) in [(1usize, vec![0usize]), (0, vec![1, 1]), (1, vec![0])] {
            let rows = [center, 3, 3];
            let h: Vec<f32> = ctx
                .iter()
                .flat_map(|&c| inp[c * dim..(c + 1) * dim].to_vec())
                .collect();
            let u: Vec<f32> = rows
                .iter()
                .flat_map(|&r| out[r * dim..(r + 1) * dim].to_vec())
                .collect();
            let (mut g, mut dh, mut du) = (vec![0.0; 6], vec![0.0; h.len()], vec![0.0; 3 * dim]);
            loss +=
                shared_negatives_step(&h, &u, dim, 0.1, &sigmoid, &mut g, &mut dh, &mut du) as f64;
            for (j, &c) in ctx.iter().enumerate() {
                axpy(
                    1.0,
                    &dh[j * dim..(j + 1) * dim],
                    &mut inp[c * dim..(c + 1) * dim],
                );
            }
            for (j, &r) in rows.iter().enumerate() {
                axpy(
                    1.0,
                    &du[j * dim..(j + 1) * dim],
                    &mut out[r * dim..(r + 1) * dim],
                );
            }
        }
        assert!((acc.loss - loss).abs() < 1e-5, "{} vs {loss}", acc.loss);
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(close(&input.into_vec(), &inp));
        assert!(close(&output.into_vec(), &out));
    }

    /// Skip-gram with shared negatives draws each centre's radius and negatives one centre
    /// ahead (to prefetch the output rows), but in word2vec's order: radius, then negatives,
    /// centre by centre. Replaying that order predicts how many pairs trained.
    #[test]
    fn draws_one_centre_ahead_keep_their_order() {
        let (dim, window, negative, n) = (4, 4, 3, 60);
        let input = SharedMatrix::zeros(5, dim);
        let output = SharedMatrix::zeros(5, dim);
        let noise = NoiseSampler::new(&[5, 4, 3, 2, 1], 0.75);
        let sigmoid = Sigmoid::new();
        let m = Model {
            negative,
            shared_negatives: true,
            ..model(&input, &output, &noise, &sigmoid, Loss::Ns, None)
        };
        let sentence: Vec<u32> = (0..n).map(|i| (i * 3 % 5) as u32).collect();
        let mut s = Scratch::new(dim, negative, 0);
        let mut acc = LossSum::default();
        m.skipgram_sentence(
            &sentence,
            window,
            0.0,
            &mut Rng::new(9, 0),
            &mut s,
            &mut acc,
        );
        let mut rng = Rng::new(9, 0);
        let mut expected = 0u64;
        for (i, &centre) in sentence.iter().enumerate() {
            let b = 1 + rng.below(window as u32) as usize;
            for _ in 0..negative {
                noise.sample_except(centre, &mut rng);
            }
            expected += (i.min(b) + (n - 1 - i).min(b)) as u64;
        }
        assert_eq!(acc.predictions, expected);
    }

    /// Rare pairs train across the full window; everything else keeps the drawn radius, with
    /// the same random draws as without rare words.
    #[test]
    fn rare_pairs_train_across_the_full_window() {
        let (dim, window, n) = (4, 3, 40);
        let input = SharedMatrix::zeros(4, dim);
        let output = SharedMatrix::zeros(4, dim);
        let noise = NoiseSampler::new(&[1, 1, 1, 1], 0.75);
        let sigmoid = Sigmoid::new();
        let sentence: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let predictions_within = |rare: Option<&[u8]>, rare_radius: usize| {
            let m = Model {
                shared_negatives: true,
                rare,
                rare_radius,
                ..model(&input, &output, &noise, &sigmoid, Loss::Ns, None)
            };
            let mut s = Scratch::new(dim, m.negative, 0);
            let mut acc = LossSum::default();
            m.skipgram_sentence(
                &sentence,
                window,
                0.0,
                &mut Rng::new(7, 0),
                &mut s,
                &mut acc,
            );
            acc.predictions
        };
        let predictions = |rare| predictions_within(rare, 0);
        let within = |r: usize| -> u64 {
            (0..n)
                .map(|i: usize| (i.min(r) + (n - 1 - i).min(r)) as u64)
                .sum()
        };
        let full = within(window);
        let drawn = predictions(None);
        assert!(drawn < full, "{drawn} of {full}");
        // No word rare: the same windows as without the option.
        assert_eq!(predictions(Some(&[0; 4])), drawn);
        // Every word rare, by either rule: every pair within the window.
        assert_eq!(predictions(Some(&[RARE_PAIR; 4])), full);
        assert_eq!(predictions(Some(&[RARE_CENTRE; 4])), full);
        // Words 0 and 1 rare, 2 frequent: more than drawn, fewer than all.
        let some = predictions(Some(&[RARE_PAIR, RARE_PAIR, 0, 0]));
        assert!(drawn < some && some < full, "{drawn} < {some} < {full}");
        // Word 0 a rare centre: it reaches its frequent neighbours beyond the drawn radius too,
        // where the pair rule with word 0 alone rare reaches only the 0s (distance 3 in 0 1 2 0 …).
        let centre = predictions(Some(&[RARE_CENTRE, 0, 0, 0]));
        let pair0 = predictions(Some(&[RARE_PAIR, 0, 0, 0]));
        assert!(drawn < pair0 && pair0 < centre && centre < full);
        // A rare centre's radius beyond the window: every pair within it, for rare centres
        // only; the pair rule keeps the window.
        let wide = 2 * window + 1;
        assert_eq!(
            predictions_within(Some(&[RARE_CENTRE; 4]), wide),
            within(wide)
        );
        assert_eq!(predictions_within(Some(&[RARE_PAIR; 4]), wide), full);
        let centre_wide = predictions_within(Some(&[RARE_CENTRE, 0, 0, 0]), wide);
        assert!(centre < centre_wide && centre_wide < within(wide));
        // A radius below the window means the window.
        assert_eq!(predictions_within(Some(&[RARE_CENTRE; 4]), 1), full);
        // Both flags: the union of the two rules.
        let both = predictions(Some(&[RARE_CENTRE | RARE_PAIR, RARE_PAIR, 0, 0]));
        assert!(
            both > centre && both > some && both < full,
            "{both} {centre} {some}"
        );
    }

    /// CBOW: a rare centre (`RARE_CENTRE`) is predicted from the full window whatever radius
    /// was drawn. With hierarchical softmax the drawn radius is the only randomness, so with
    /// every word flagged two seeds train identically, and without flags they do not.
    #[test]
    fn cbow_rare_centres_use_the_full_window() {
        let counts = [9u64, 7, 5, 3, 2, 1];
        let tree = Huffman::new(&counts);
        let noise = NoiseSampler::new(&counts, 0.75);
        let sigmoid = Sigmoid::new();
        let dim = 4;
        let sentence: Vec<u32> = (0..30).map(|i| (i * 7 % 6) as u32).collect();
        let train = |rare: Option<&[u8]>, seed: u64| {
            let init: Vec<f32> = (0..6 * dim)
                .map(|i| ((i as f32) * 0.37).sin() * 0.2)
                .collect();
            let input = SharedMatrix::from_vec(init, dim);
            let out: Vec<f32> = (0..tree.inner_nodes() * dim)
                .map(|i| ((i as f32) * 0.23).cos() * 0.3)
                .collect();
            let output = SharedMatrix::from_vec(out, dim);
            let m = Model {
                rare,
                ..model(&input, &output, &noise, &sigmoid, Loss::Hs, Some(&tree))
            };
            let mut s = Scratch::new(dim, 0, 0);
            s.path.resize(dim * tree.max_depth(), 0.0);
            let mut acc = LossSum::default();
            m.cbow_sentence(&sentence, 4, 0.05, &mut Rng::new(seed, 0), &mut s, &mut acc);
            assert_eq!(acc.predictions, sentence.len() as u64);
            input.into_vec()
        };
        assert_ne!(train(None, 1), train(None, 2));
        assert_ne!(train(Some(&[0; 6]), 1), train(Some(&[0; 6]), 2));
        let all = [RARE_CENTRE; 6];
        assert_eq!(train(Some(&all), 1), train(Some(&all), 2));
        // The pair rule is skip-gram's only: it leaves CBOW's drawn radius alone.
        let pair = [RARE_PAIR; 6];
        assert_ne!(train(Some(&pair), 1), train(Some(&pair), 2));
    }

    /// CBOW keeps the rows around the centre in [`RowRing`] and adds their steps when they
    /// leave the window; on one thread that is the sequential update: each centre reads every
    /// context row with all earlier steps applied, and a word at several positions of one
    /// window gets each of its steps. Checked against the direct loop (read every context row,
    /// add the gradient to every context row), with hierarchical softmax so the drawn radii
    /// are the only randomness, on a sentence whose windows repeat words.
    #[test]
    fn cbow_window_rows_match_the_sequential_update() {
        let counts = [9u64, 7, 5, 3, 2, 1];
        let tree = Huffman::new(&counts);
        let noise = NoiseSampler::new(&counts, 0.75);
        let sigmoid = Sigmoid::new();
        let (dim, window, lr) = (4, 3, 0.1);
        let sentence: Vec<u32> = (0..40).map(|i| (i * 7 % 6) as u32 % 4).collect();
        let init: Vec<f32> = (0..6 * dim)
            .map(|i| ((i as f32) * 0.37).sin() * 0.2)
            .collect();
        let out: Vec<f32> = (0..tree.inner_nodes() * dim)
            .map(|i| ((i as f32) * 0.23).cos() * 0.3)
            .collect();
        let mats = || {
            (
                SharedMatrix::from_vec(init.clone(), dim),
                SharedMatrix::from_vec(out.clone(), dim),
            )
        };
        let (input, output) = mats();
        let m = model(&input, &output, &noise, &sigmoid, Loss::Hs, Some(&tree));
        let mut s = Scratch::new(dim, 0, 0);
        s.path.resize(dim * tree.max_depth(), 0.0);
        let mut acc = LossSum::default();
        m.cbow_sentence(&sentence, window, lr, &mut Rng::new(3, 0), &mut s, &mut acc);

        let (input2, output2) = mats();
        let m2 = model(&input2, &output2, &noise, &sigmoid, Loss::Hs, Some(&tree));
        let mut rng = Rng::new(3, 0);
        let (mut h, mut grad, mut row) = (vec![0.0; dim], vec![0.0; dim], vec![0.0; dim]);
        let n = sentence.len();
        let mut loss = 0.0;
        for (i, &c) in sentence.iter().enumerate() {
            let b = 1 + rng.below(window as u32) as usize;
            let ctx: Vec<usize> = (i.saturating_sub(b)..(i + b + 1).min(n))
                .filter(|&j| j != i)
                .collect();
            h.fill(0.0);
            for &j in &ctx {
                input2.read_row(sentence[j] as usize, &mut row);
                axpy(1.0 / ctx.len() as f32, &row, &mut h);
            }
            grad.fill(0.0);
            loss += m2.predict_hs(c, &h, &mut grad, &mut s.path, lr) as f64;
            for &j in &ctx {
                input2.add_to_row(sentence[j] as usize, &grad);
            }
        }
        assert!(
            (acc.loss - loss).abs() < 1e-4 * loss,
            "{} vs {loss}",
            acc.loss
        );
        let close = |a: Vec<f32>, b: Vec<f32>| {
            assert!(
                a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5),
                "{a:?}\n{b:?}"
            );
        };
        // Rows 4 and 5 never occur: they must not move at all.
        let (a, b) = (input.into_vec(), input2.into_vec());
        assert_eq!(a[4 * dim..], init[4 * dim..]);
        assert_ne!(a[..dim], init[..dim]);
        close(a, b);
        close(output.into_vec(), output2.into_vec());
    }

    /// The loss in f64 as a function of the hidden vector and the output rows.
    type ExactLoss<'a> = dyn Fn(&[f64], &[Vec<f64>]) -> f64 + 'a;
    /// One prediction under test: `(h, grad, output) -> loss`.
    type Prediction<'a> = dyn Fn(&[f32], &mut [f32], &SharedMatrix) -> f32 + 'a;

    /// `exact(h, rows)` in f64 against a prediction `run(h, grad, output)` that moves `grad` and
    /// the output rows by `−lr·∂ℓ/∂(·)`: every coordinate checked by central differences.
    fn check_gradient(dim: usize, rows: usize, lr: f32, exact: &ExactLoss, run: &Prediction) {
        let init: Vec<f32> = (0..rows * dim)
            .map(|i| ((i as f32) * 0.173).sin() * 0.5)
            .collect();
        let output = SharedMatrix::from_vec(init.clone(), dim);
        let h: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.51).cos() * 0.4).collect();
        let mut grad = vec![0f32; dim];
        let loss = run(&h, &mut grad, &output);
        let after = output.into_vec();
        let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
        let rd: Vec<Vec<f64>> = init
            .chunks(dim)
            .map(|r| r.iter().map(|&x| x as f64).collect())
            .collect();
        assert!(
            (loss as f64 - exact(&hd, &rd)).abs() < 1e-4,
            "loss {loss} vs {}",
            exact(&hd, &rd)
        );
        let eps = 1e-6;
        for i in 0..dim {
            let (mut hp, mut hm) = (hd.clone(), hd.clone());
            hp[i] += eps;
            hm[i] -= eps;
            let d = (exact(&hp, &rd) - exact(&hm, &rd)) / (2.0 * eps);
            assert!((grad[i] as f64 + lr as f64 * d).abs() < 2e-6, "h[{i}]");
            for r in 0..rows {
                let (mut rp, mut rm) = (rd.clone(), rd.clone());
                rp[r][i] += eps;
                rm[r][i] -= eps;
                let d = (exact(&hd, &rp) - exact(&hd, &rm)) / (2.0 * eps);
                let moved = (after[r * dim + i] - init[r * dim + i]) as f64;
                assert!((moved + lr as f64 * d).abs() < 2e-6, "row {r}[{i}]");
            }
        }
    }

    fn model<'a>(
        input: &'a SharedMatrix,
        output: &'a SharedMatrix,
        noise: &'a NoiseSampler,
        sigmoid: &'a Sigmoid,
        loss: Loss,
        tree: Option<&'a Huffman>,
    ) -> Model<'a> {
        Model {
            input,
            output,
            noise,
            sigmoid,
            negative: 0,
            loss,
            tree,
            shared_negatives: false,
            rare: None,
            rare_radius: 0,
        }
    }

    fn ls(x: f64) -> f64 {
        -(-x).exp().ln_1p()
    }

    fn dotd(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn hierarchical_softmax_gradient_matches_finite_differences() {
        let counts = [9u64, 7, 5, 3, 2, 1];
        let tree = Huffman::new(&counts);
        let (dim, lr) = (7, 0.01f32);
        let sigmoid = Sigmoid::new();
        let noise = NoiseSampler::new(&counts, 0.75);
        let input = SharedMatrix::zeros(1, dim);
        for target in [0u32, 3, 5] {
            let (path, code) = (tree.path(target as usize), tree.code(target as usize));
            let exact = |h: &[f64], rows: &[Vec<f64>]| -> f64 {
                path.iter()
                    .zip(code)
                    .map(|(&n, &c)| {
                        let f = dotd(h, &rows[n as usize]);
                        -ls(if c == 0 { f } else { -f })
                    })
                    .sum()
            };
            check_gradient(dim, tree.inner_nodes(), lr, &exact, &|h, grad, out| {
                let m = model(&input, out, &noise, &sigmoid, Loss::Hs, Some(&tree));
                let mut rows = vec![0.0; dim * tree.max_depth()];
                m.predict_hs(target, h, grad, &mut rows, lr)
            });
        }
    }

    #[test]
    fn full_softmax_gradient_matches_finite_differences() {
        let (dim, v, lr) = (6, 9, 0.02f32);
        let counts = vec![1u64; v];
        let sigmoid = Sigmoid::new();
        let noise = NoiseSampler::new(&counts, 0.75);
        let input = SharedMatrix::zeros(1, dim);
        for target in [0u32, 4, 8] {
            let exact = |h: &[f64], rows: &[Vec<f64>]| -> f64 {
                let s: Vec<f64> = rows.iter().map(|r| dotd(h, r)).collect();
                let max = s.iter().cloned().fold(f64::MIN, f64::max);
                let lse = max + s.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
                lse - s[target as usize]
            };
            check_gradient(dim, v, lr, &exact, &|h, grad, out| {
                let m = model(&input, out, &noise, &sigmoid, Loss::Softmax, None);
                let (mut row, mut scores) = (vec![0.0; dim], vec![0.0; v]);
                m.predict_softmax(target, h, grad, &mut row, &mut scores, lr)
            });
        }
    }

    #[test]
    fn hierarchical_softmax_probabilities_sum_to_one() {
        let counts: Vec<u64> = (1..=50u64).rev().map(|i| i * 3 + i % 7).collect();
        let mut counts = counts;
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let tree = Huffman::new(&counts);
        let dim = 10;
        let mut rng = Rng::new(5, 0);
        let rows: Vec<Vec<f64>> = (0..tree.inner_nodes())
            .map(|_| (0..dim).map(|_| rng.next_f32() as f64 - 0.5).collect())
            .collect();
        for _ in 0..5 {
            let h: Vec<f64> = (0..dim)
                .map(|_| 2.0 * rng.next_f32() as f64 - 1.0)
                .collect();
            let total: f64 = (0..counts.len())
                .map(|w| {
                    tree.path(w)
                        .iter()
                        .zip(tree.code(w))
                        .map(|(&n, &c)| {
                            let f = dotd(&h, &rows[n as usize]);
                            ls(if c == 0 { f } else { -f }).exp()
                        })
                        .product::<f64>()
                })
                .sum();
            assert!((total - 1.0).abs() < 1e-12, "{total}");
        }
    }

    /// Skip-gram with the exact softmax on a corpus whose co-occurrences are known learns
    /// `p(centre | context)` itself: after "a b", "a b", "a c" (window 1), p(b | a) = 2/3.
    #[test]
    fn full_softmax_learns_the_co_occurrence_distribution() {
        let (dim, v) = (8, 3);
        let counts = vec![3u64, 2, 1];
        let sigmoid = Sigmoid::new();
        let noise = NoiseSampler::new(&counts, 0.75);
        let init: Vec<f32> = (0..v * dim)
            .map(|i| ((i as f32) * 0.7).sin() * 0.1)
            .collect();
        let input = SharedMatrix::from_vec(init, dim);
        let output = SharedMatrix::zeros(v, dim);
        let m = model(&input, &output, &noise, &sigmoid, Loss::Softmax, None);
        let mut s = Scratch::new(dim, 0, v);
        let mut rng = Rng::new(1, 0);
        let mut acc = LossSum::default();
        let sentences: [&[u32]; 3] = [&[0, 1], &[0, 1], &[0, 2]];
        for epoch in 0..4000 {
            let lr = 0.05 * (1.0 - epoch as f32 / 4000.0) + 1e-4;
            for sent in sentences {
                m.skipgram_sentence(sent, 1, lr, &mut rng, &mut s, &mut acc);
            }
        }
        let (inp, out) = (input.into_vec(), output.into_vec());
        let probs = |ctx: usize| -> Vec<f64> {
            let h = &inp[ctx * dim..(ctx + 1) * dim];
            let sc: Vec<f64> = (0..v)
                .map(|j| dot(h, &out[j * dim..(j + 1) * dim]) as f64)
                .collect();
            let z: f64 = sc.iter().map(|x| x.exp()).sum();
            sc.iter().map(|x| x.exp() / z).collect()
        };
        // Context a predicts b twice and c once; b and c only ever predict a.
        let pa = probs(0);
        assert!((pa[1] - 2.0 / 3.0).abs() < 0.03, "{pa:?}");
        assert!((pa[2] - 1.0 / 3.0).abs() < 0.03, "{pa:?}");
        assert!(pa[0] < 0.03, "{pa:?}");
        assert!(probs(1)[0] > 0.97 && probs(2)[0] > 0.97);
    }
}
