//! [`SharedMatrix`]: the one place where training threads share mutable state (Hogwild).
//!
//! # Soundness
//! Hogwild SGD lets every thread read and write the parameter matrices without locks, accepting
//! that concurrent updates of the same row may be lost or mixed. In C (word2vec.c, fastText)
//! and in Rust crates that share a `&mut` through `UnsafeCell` (finalfrontier) this is a data
//! race, which is undefined behaviour: the compiler may assume it does not happen.
//!
//! Here every element is an [`AtomicU32`] holding the bits of an `f32`, accessed only with
//! `Ordering::Relaxed` loads and stores. Concurrent access to atomics is never a data race, so
//! this module — and the whole crate — contains no `unsafe` code. A lost update is still
//! possible (load, add, store is not one atomic read-modify-write); that is the algorithmic race
//! Hogwild accepts, now with defined behaviour. On x86-64 a relaxed load or store of a `u32` is
//! a plain `mov`, so the cost is only that loops over atomics are not auto-vectorised: rows are
//! therefore copied into thread-local buffers ([`SharedMatrix::read_row`]), all arithmetic runs
//! on plain `&mut [f32]` with SIMD kernels, and results are stored back
//! ([`SharedMatrix::write_row`]). `into_vec` runs after all threads have been joined, which
//! gives it a happens-before edge to every store.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// A `rows × dim` matrix of `f32` that many threads may read and write at once.
pub struct SharedMatrix {
    data: Box<[AtomicU32]>,
    dim: usize,
}

impl SharedMatrix {
    /// Wraps a row-major matrix of `data.len() / dim` rows.
    pub fn from_vec(data: Vec<f32>, dim: usize) -> Self {
        assert!(dim > 0 && data.len() % dim == 0, "matrix shape");
        let data = data.into_iter().map(|x| AtomicU32::new(x.to_bits())).collect();
        SharedMatrix { data, dim }
    }

    /// A matrix of zeros.
    pub fn zeros(rows: usize, dim: usize) -> Self {
        Self::from_vec(vec![0.0; rows * dim], dim)
    }

    /// Row length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.data.len() / self.dim
    }

    #[inline]
    fn row(&self, r: usize) -> &[AtomicU32] {
        &self.data[r * self.dim..(r + 1) * self.dim]
    }

    /// Copies row `r` into `out` (`out.len() == dim`).
    #[inline]
    pub fn read_row(&self, r: usize, out: &mut [f32]) {
        for (o, a) in out.iter_mut().zip(self.row(r)) {
            *o = f32::from_bits(a.load(Relaxed));
        }
    }

    /// Overwrites row `r` with `src` (`src.len() == dim`).
    #[inline]
    pub fn write_row(&self, r: usize, src: &[f32]) {
        for (a, s) in self.row(r).iter().zip(src) {
            a.store(s.to_bits(), Relaxed);
        }
    }

    /// Adds `src` to row `r` element-wise (load, add, store: concurrent adds may be lost, as in
    /// every Hogwild trainer).
    #[inline]
    pub fn add_to_row(&self, r: usize, src: &[f32]) {
        for (a, s) in self.row(r).iter().zip(src) {
            a.store((f32::from_bits(a.load(Relaxed)) + s).to_bits(), Relaxed);
        }
    }

    /// The matrix as plain floats, once no other thread holds a reference.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
            .into_vec()
            .into_iter()
            .map(|a| f32::from_bits(a.into_inner()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_threads_can_share() {
        let m = SharedMatrix::zeros(4, 8);
        std::thread::scope(|s| {
            for t in 0..2 {
                let m = &m;
                s.spawn(move || {
                    let mut buf = [0f32; 8];
                    for _ in 0..100 {
                        m.read_row(t, &mut buf);
                        buf.iter_mut().for_each(|x| *x += 1.0);
                        m.write_row(t, &buf);
                        m.add_to_row(2 + t, &[0.5; 8]);
                    }
                });
            }
        });
        let v = m.into_vec();
        assert!(v[..16].iter().all(|&x| x == 100.0));
        assert!(v[16..].iter().all(|&x| x == 50.0));
    }
}
