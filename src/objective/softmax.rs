//! The full softmax over the whole vocabulary: the O(V) baseline the others approximate.

use crate::objective::Model;
use crate::objective::kernels::{axpy, dot};
use crate::train::hogwild::Rows;

impl<M: Rows> Model<'_, M> {
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
}
