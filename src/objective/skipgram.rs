//! Skip-gram: each context word's input vector predicts the centre (word2vec.c's pairing),
//! per pair or, with shared negatives, one window at a time.

use crate::config::Loss;
use crate::objective::kernels::shared_negatives_step_in_place;
use crate::objective::scratch::{Scratch, Window, gather_rows, scatter_rows};
use crate::objective::{LossSum, Model, RARE_CENTRE, RARE_PAIR, too_short};
use crate::rng::Rng;
use crate::train::hogwild::Rows;
use crate::train::ring::RowRing;

impl<M: Rows> Model<'_, M> {
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
    ///
    /// One piece on purpose: this is the training hot loop (the default path). The ring, the
    /// one-centre-ahead draws and the prefetches interleave across its iterations, and the
    /// measured speed depends on them staying in one loop body (benchsuite/NOTES.md, "Output
    /// rows drawn and prefetched one centre ahead").
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
        if too_short(sentence, window, rng) {
            return;
        }
        let dim = self.input.dim();
        // The widest window any centre uses: a rare centre's, if there are rare centres.
        let (rare_reach, span) = self.rare_span(window);
        let w = &mut s.window;
        if w.stride < dim
            || w.g.len() < 2 * span * (1 + self.negative)
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
            ring.centre_on(i, sentence, &self.input);
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
            w.ctx.clear();
            w.ctx.extend(
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
                    .map(|j| ring.entry(j)),
            );
            let (m, st) = (w.ctx.len(), w.stride);
            // `--batch-contexts`: more contexts than that train as equal parts, each with its
            // own negatives (drawn here, after the next centre's) and the centre's row stored
            // between them.
            let parts = match self.batch_contexts {
                0 => 1,
                b => m.div_ceil(b),
            };
            for p in 0..parts {
                if p > 0 {
                    self.draw_outputs(center, &mut w.out_ids, rng);
                }
                let k1 = w.out_ids.len();
                gather_rows(self.output, &w.out_ids, &mut w.out_slot, &mut w.u, st);
                // The context rows stepped where they are, in the ring. The padding past `dim`
                // is zero in the ring's rows and in `u`, hence in the steps: the scores and
                // steps are those of the `dim`-float rows.
                acc.loss += shared_negatives_step_in_place(
                    ring.pool_mut(),
                    &w.ctx[p * m / parts..(p + 1) * m / parts],
                    &w.u[..k1 * st],
                    st,
                    lr,
                    self.sigmoid,
                    self.positive_steps,
                    &mut w.g,
                    &mut w.du[..k1 * st],
                ) as f64;
                scatter_rows(self.output, &w.out_ids, &w.out_slot, &mut w.u, &w.du, st);
            }
            acc.predictions += m as u64;
        }
        ring.finish(&self.input);
    }
}
