//! CBOW: the mean of the context input vectors predicts the centre (in a subword model, the
//! mean of all their rows, as fastText's).

use crate::config::Loss;
use crate::objective::kernels::axpy;
use crate::objective::scratch::Scratch;
use crate::objective::{LossSum, Model, RARE_CENTRE, too_short};
use crate::rng::Rng;
use crate::train::hogwild::Rows;
use crate::train::ring::RowRing;

impl<M: Rows> Model<'_, M> {
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
        if too_short(sentence, window, rng) {
            return;
        }
        let dim = s.h.len();
        let (rare_reach, span) = self.rare_span(window);
        if !s.ring.fits(dim, dim, span) {
            // A `Scratch` not sized for this window (`Scratch::new` leaves it empty): size it
            // once; every later sentence reuses it.
            s.ring = RowRing::new(dim, dim, span);
        }
        // Each centre's random draws (its radius, then its negatives) are made one centre
        // ahead, in the same order as drawn in place, so that the negatives' output rows load
        // while the centre before trains: the same numbers, the same bits.
        let mut next_b = self.cbow_draws(sentence, 0, window, rare_reach, s, rng);
        for (i, &center) in sentence.iter().enumerate() {
            s.ring.centre_on(i, sentence, &self.input);
            let b = next_b;
            if self.loss == Loss::Ns {
                self.output.prefetch_row(center as usize);
                std::mem::swap(&mut s.block.ids, &mut s.block.next);
            }
            if i + 1 < n {
                next_b = self.cbow_draws(sentence, i + 1, window, rare_reach, s, rng);
            }
            let lo = i.saturating_sub(b);
            let hi = (i + b + 1).min(n);
            let count = hi - lo - 1;
            if count == 0 {
                continue;
            }
            s.h.fill(0.0);
            let inv = if self.input.subwords.is_none() {
                for j in (lo..hi).filter(|&j| j != i) {
                    axpy(1.0, s.ring.row(j), &mut s.h);
                }
                1.0 / count as f32
            } else {
                // fastText's hidden vector: the mean of every row of every context word, that
                // is each word's vector weighted by its number of rows.
                let mut rows = 0.0;
                for j in (lo..hi).filter(|&j| j != i) {
                    let w = self.input.weight(sentence[j] as usize);
                    axpy(w, s.ring.row(j), &mut s.h);
                    rows += w;
                }
                1.0 / rows
            };
            s.h.iter_mut().for_each(|x| *x *= inv);
            s.grad.fill(0.0);
            let l = match self.loss {
                Loss::Ns => {
                    self.output.read_row(center as usize, &mut s.t);
                    let l = self.predict_drawn(&mut s.t, &s.h, &mut s.grad, &mut s.block, lr);
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
        s.ring.finish(&self.input);
    }

    /// Centre `i`'s radius (`window`'s dynamic draw, or `rare_reach` for a rare centre) and,
    /// with negative sampling and a context to predict from, its negatives in `s.block.next`,
    /// their rows prefetched.
    #[inline]
    fn cbow_draws(
        &self,
        sentence: &[u32],
        i: usize,
        window: usize,
        rare_reach: usize,
        s: &mut Scratch,
        rng: &mut Rng,
    ) -> usize {
        let center = sentence[i];
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
        // Every centre has a context here: `too_short` has let through only sentences of two
        // words or more.
        if self.loss == Loss::Ns {
            self.draw_negatives(center, &mut s.block.next, rng);
        }
        b
    }
}
