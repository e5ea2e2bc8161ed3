//! Exact cosine nearest-neighbour search over large matrices.
//!
//! One query against a million 300-float rows reads 1.2 GB, so a plain scan is bound by memory
//! bandwidth (about 100 ms on two cores here). Large matrices therefore keep a second, `i8` copy
//! (a quarter of the bytes): each row `v` is stored as codes `c` with one scale `s = max|v|/127`,
//! so `|v_j − s·c_j| ≤ s/2` and the quantised score of a query `q` is within
//! `e = s/2 · ‖q‖₁` of the true dot product. The first pass scans the codes and keeps every row
//! whose upper bound reaches the `m`-th best lower bound; the second pass scores only those rows
//! exactly in `f32`. No row of the true top `m` can be dropped (its exact score is at least that
//! threshold), so the answer is the exact scan's, at a fraction of the memory traffic.

use crate::objective::kernels;
use crate::query::embeddings::{TopK, available_threads};

/// Matrices with at least this many floats use the quantised first pass.
pub(crate) const QUANTIZED_MIN_FLOATS: usize = 1 << 24;

/// Extra slack on both bounds, in cosine units, for the rounding of `f32` sums.
const ROUNDING_SLACK: f32 = 1e-4;

/// Rows quantised to `i8` with one scale per row.
#[derive(Clone, Debug)]
pub(crate) struct Quantized {
    codes: Vec<i8>,
    scale: Vec<f32>,
    dim: usize,
}

impl Quantized {
    /// Quantises the `data.len() / dim` rows of `data` and computes their Euclidean norms, in
    /// one pass on all cores.
    pub(crate) fn with_norms(data: &[f32], dim: usize) -> (Self, Vec<f32>) {
        let dim = dim.max(1);
        let rows = data.len() / dim;
        let mut codes = vec![0i8; rows * dim];
        let mut scale = vec![0.0f32; rows];
        let mut norms = vec![0.0f32; rows];
        let per = rows.div_ceil(available_threads()).max(1);
        std::thread::scope(|s| {
            for (((src, dst), sc), nm) in data
                .chunks(per * dim)
                .zip(codes.chunks_mut(per * dim))
                .zip(scale.chunks_mut(per))
                .zip(norms.chunks_mut(per))
            {
                s.spawn(move || {
                    for (((r, c), s), n) in src
                        .chunks_exact(dim)
                        .zip(dst.chunks_exact_mut(dim))
                        .zip(sc.iter_mut())
                        .zip(nm.iter_mut())
                    {
                        (*s, *n) = kernels::quantize_i8(r, c);
                    }
                });
            }
        });
        (Quantized { codes, scale, dim }, norms)
    }

    fn row(&self, i: usize) -> &[i8] {
        &self.codes[i * self.dim..(i + 1) * self.dim]
    }
}

/// The `m` best rows `< n` by cosine with `q`, exactly, using the quantised first pass.
/// `rows(i)` is the `f32` row, `norms` the row norms.
pub(crate) fn top_by_cosine<'a>(
    quant: &Quantized,
    rows: impl Fn(usize) -> &'a [f32] + Sync,
    norms: &[f32],
    q: &[f32],
    n: usize,
    m: usize,
) -> TopK {
    let qn = kernels::dot(q, q).sqrt();
    let q1: f32 = q.iter().map(|x| x.abs()).sum();
    // Pass 1, per thread: lower bounds' top m, and candidates whose upper bound reached the
    // running threshold (the threshold only rises, so the final filter below is stricter).
    let scan = |lo: usize, hi: usize| {
        let mut lower = TopK::new(m);
        let mut cands: Vec<(usize, f32)> = Vec::new();
        for (j, &nj) in norms.iter().enumerate().take(hi).skip(lo) {
            let d = nj * qn;
            let (lo_s, up_s) = if d > 0.0 {
                let a = quant.scale[j] * kernels::dot_i8(quant.row(j), q);
                let e = quant.scale[j] * 0.5 * q1;
                ((a - e) / d - ROUNDING_SLACK, (a + e) / d + ROUNDING_SLACK)
            } else {
                (0.0, 0.0)
            };
            lower.offer(lo_s, j);
            if lower.worst().is_none_or(|t| up_s >= t) {
                cands.push((j, up_s));
            }
        }
        (lower, cands)
    };
    let threads = available_threads();
    let chunk = n.div_ceil(threads).max(1);
    let parts: Vec<(TopK, Vec<(usize, f32)>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let scan = &scan;
                s.spawn(move || scan((t * chunk).min(n), ((t + 1) * chunk).min(n)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("search thread panicked"))
            .collect()
    });
    let mut lower = TopK::new(m);
    for (l, _) in &parts {
        for (j, s) in l.iter() {
            lower.offer(s, j);
        }
    }
    let tau = lower.worst().unwrap_or(f32::NEG_INFINITY);
    // Pass 2: exact scores of the surviving candidates.
    let mut top = TopK::new(m);
    for (_, cands) in &parts {
        for &(j, up) in cands {
            if up >= tau {
                let d = norms[j] * qn;
                let s = if d > 0.0 {
                    kernels::dot(q, rows(j)) / d
                } else {
                    0.0
                };
                top.offer(s, j);
            }
        }
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn quantised_search_returns_exactly_the_exact_top() {
        let (n, dim, m) = (20_000, 48, 12);
        let mut rng = Rng::new(3, 0);
        // Clustered rows (so that many scores are close), some zero and duplicated rows.
        let centres: Vec<f32> = (0..20 * dim).map(|_| rng.next_f32() - 0.5).collect();
        let mut data = Vec::with_capacity(n * dim);
        for i in 0..n {
            let c = &centres[(i % 20) * dim..(i % 20 + 1) * dim];
            if i % 997 == 0 {
                data.extend(std::iter::repeat_n(0.0, dim));
            } else if i % 101 == 1 && i > 1 {
                let prev = data[(i - 1) * dim..i * dim].to_vec();
                data.extend(prev);
            } else {
                data.extend(c.iter().map(|x| x + (rng.next_f32() - 0.5) * 0.2));
            }
        }
        let norms: Vec<f32> = data
            .chunks_exact(dim)
            .map(|r| kernels::dot(r, r).sqrt())
            .collect();
        let (quant, qnorms) = Quantized::with_norms(&data, dim);
        assert_eq!(qnorms, norms);
        let row = |j: usize| &data[j * dim..(j + 1) * dim];
        for t in 0..40 {
            let q: Vec<f32> = if t % 2 == 0 {
                row(t * 37 + 5).to_vec()
            } else {
                (0..dim).map(|_| rng.next_f32() - 0.5).collect()
            };
            let limit = if t % 3 == 0 { n / 2 } else { n };
            let got = top_by_cosine(&quant, row, &norms, &q, limit, m).into_sorted();
            let mut exact = TopK::new(m);
            let qn = kernels::dot(&q, &q).sqrt();
            for (j, &nj) in norms.iter().enumerate().take(limit) {
                let d = nj * qn;
                exact.offer(
                    if d > 0.0 {
                        kernels::dot(&q, row(j)) / d
                    } else {
                        0.0
                    },
                    j,
                );
            }
            assert_eq!(got, exact.into_sorted(), "query {t}");
        }
    }
}
