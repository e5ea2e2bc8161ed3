//! Hierarchical softmax: one binary decision per inner node on the target's Huffman path.

use crate::objective::Model;
use crate::objective::kernels::logistic_step;
use crate::train::hogwild::Rows;

impl<M: Rows> Model<'_, M> {
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
}
