//! Negative sampling: one binary decision for the target and one per noise word.

use crate::objective::Model;
use crate::objective::kernels::logistic_step;
use crate::objective::scratch::Block;
use crate::rng::Rng;
use crate::train::hogwild::Rows;

impl<M: Rows> Model<'_, M> {
    /// Draws `target`'s negatives into `ids` and starts loading their output rows: CBOW draws
    /// them one centre ahead, so that the misses overlap with the centre before.
    #[inline]
    pub fn draw_negatives(&self, target: u32, ids: &mut Vec<u32>, rng: &mut Rng) {
        ids.clear();
        self.push_negatives(target, ids, rng);
        for &id in ids.iter() {
            self.output.prefetch_row(id as usize);
        }
    }

    /// Appends `target`'s negatives to `ids` (fewer if the noise has almost no other word).
    #[inline]
    pub(crate) fn push_negatives(&self, target: u32, ids: &mut Vec<u32>, rng: &mut Rng) {
        for _ in 0..self.negative {
            match self.noise.sample_except(target, rng) {
                Some(n) => ids.push(n),
                None => break,
            }
        }
    }

    /// One negative-sampling prediction of `target` from `h` (see the module docs): draws the
    /// negatives, then [`Model::predict_drawn`].
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
        self.draw_negatives(target, &mut b.ids, rng);
        self.predict_drawn(t, h, grad, b, lr)
    }

    /// One negative-sampling prediction from `h` against the negatives already in `b.ids`:
    /// updates the target's output row `t` (a local copy that the caller owns and stores back)
    /// and the negatives' output rows, adds the input gradient to `grad`, returns the loss.
    ///
    /// All the negatives' rows are copied into `b` before any arithmetic, so their cache
    /// misses overlap and the copies have left the store buffer before the vector loads read
    /// them. A row drawn twice is copied once and updated in place twice, so the result is
    /// exactly the sequential update.
    #[inline]
    pub fn predict_drawn(
        &self,
        t: &mut [f32],
        h: &[f32],
        grad: &mut [f32],
        b: &mut Block,
        lr: f32,
    ) -> f32 {
        let out = self.output;
        let dim = h.len();
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
}
