//! Numeric kernels on plain `f32` slices: dot, axpy and the fused logistic step.
//!
//! The bodies are written over 16-lane chunks with independent accumulators so that LLVM
//! vectorises them, and each public kernel is compiled three times (AVX-512, AVX2+FMA, and the
//! portable baseline) by `multiversion`, which picks the best one for the running CPU once, at
//! the first call. No build flag ties the binary to the build machine.
//!
//! [`matmul_transposed`] is the one matrix product (queries against the vocabulary), a safe
//! wrapper around `matrixmultiply`'s `sgemm`, which also picks its kernel at run time.
#![allow(unsafe_code)] // multiversion's generated dispatch, and the one `sgemm` call below

use multiversion::multiversion;

/// Floats per vector chunk of the kernels (one AVX-512 register, two AVX2 registers).
pub const LANES: usize = 16;

#[inline(always)]
fn dot_body(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, cb) = (a[..n].chunks_exact(LANES), b[..n].chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    // One 16-lane accumulator, updated as a whole array: one zmm (or two ymm) multiply and
    // add per chunk. The lanes are then summed pairwise, which halves the dependency chain of
    // an in-order sum; but written directly, that tree makes LLVM's SLP vectoriser split the
    // accumulator of the main loop into 2-lane pieces (seen in the generated code: `vmulps xmm`
    // on 8-byte loads). `black_box` keeps the two apart; it only costs a 64-byte spill.
    let mut acc = [0.0f32; LANES];
    for (x, y) in ca.zip(cb) {
        let (x, y): (&[f32; LANES], &[f32; LANES]) = (x.try_into().unwrap(), y.try_into().unwrap());
        acc = std::array::from_fn(|i| acc[i] + x[i] * y[i]);
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    let r = std::hint::black_box(acc);
    let q: [f32; 4] = std::array::from_fn(|i| (r[i] + r[i + 8]) + (r[i + 4] + r[i + 12]));
    (q[0] + q[2]) + (q[1] + q[3]) + tail
}

/// `out = Σ_j w[j·stride]·rows[j]` over the rows of `rows` (`dim` floats each), with `full`
/// (a multiple of [`LANES`]) + `tail` = `dim`.
#[inline(always)]
fn weighted_rows(
    w: &[f32],
    stride: usize,
    rows: &[f32],
    dim: usize,
    full: usize,
    tail: usize,
    out: &mut [f32],
) {
    let weights = w.iter().step_by(stride);
    for c in (0..full).step_by(LANES) {
        let mut acc = [0.0f32; LANES];
        for (row, &wj) in rows.chunks_exact(dim).zip(weights.clone()) {
            let x: &[f32; LANES] = row[c..c + LANES].try_into().expect("chunk");
            acc = std::array::from_fn(|l| acc[l] + wj * x[l]);
        }
        out[c..c + LANES].copy_from_slice(&acc);
    }
    for t in full..full + tail {
        out[t] = rows
            .chunks_exact(dim)
            .zip(weights.clone())
            .map(|(row, &wj)| wj * row[t])
            .sum();
    }
}

/// `y += a * x`
#[inline(always)]
fn axpy_body(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Dot product of the common prefix of `a` and `b`.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_body(a, b)
}

/// `c = a · bᵀ` for row-major `a` (`m × k`), `b` (`n × k`) and `c` (`m × n`): row `i` of `c`
/// holds the dot products of row `i` of `a` with every row of `b`.
///
/// # Panics
/// When a slice's length is not its shape's product.
pub fn matmul_transposed(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize) {
    assert_eq!(a.len(), m * k, "a is not m × k");
    assert_eq!(b.len(), n * k, "b is not n × k");
    assert_eq!(c.len(), m * n, "c is not m × n");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(0.0);
        return;
    }
    let (n_, k_) = (n as isize, k as isize);
    // SAFETY: sgemm reads a[i·k + p] (i < m, p < k), b[j·k + p] (j < n, p < k) and writes
    // c[i·n + j] (i < m, j < n) through the given strides; the asserts above put every one of
    // those offsets inside its slice. `c` is exclusively borrowed, `a` and `b` shared, so no
    // other reference observes the writes. With beta = 0, c's old contents are never read
    // (matrixmultiply documents that NaNs in c are then ignored).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k_,
            1,
            b.as_ptr(),
            1,
            k_,
            0.0,
            c.as_mut_ptr(),
            n_,
            1,
        );
    }
}

/// `Σ codes[i]·q[i]` over the common prefix: an `i8`-quantised row against an `f32` query
/// (the first pass of the exact nearest-neighbour search, 4× fewer bytes than an `f32` row).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512bw", "x86_64+avx2+fma"))]
pub fn dot_i8(codes: &[i8], q: &[f32]) -> f32 {
    let n = codes.len().min(q.len());
    let (c, q) = (&codes[..n], &q[..n]);
    let mut acc = [0.0f32; LANES];
    let (cc, cq) = (c.chunks_exact(LANES), q.chunks_exact(LANES));
    let (rc, rq) = (cc.remainder(), cq.remainder());
    for (x, y) in cc.zip(cq) {
        for i in 0..LANES {
            acc[i] += x[i] as f32 * y[i];
        }
    }
    let mut tail = 0.0;
    for (x, y) in rc.iter().zip(rq) {
        tail += *x as f32 * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// Quantises `row` to `codes` (`i8`, rounded half away from zero) with the scale
/// `max|row| / 127`, and returns `(scale, ‖row‖)`: `|row[i] − scale·codes[i]| ≤ scale/2`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512bw", "x86_64+avx2+fma"))]
pub fn quantize_i8(row: &[f32], codes: &mut [i8]) -> (f32, f32) {
    let norm = dot_body(row, row).sqrt();
    let max = row.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let inv = if max > 0.0 { 127.0 / max } else { 0.0 };
    // `as` saturates, and |x·inv| ≤ 127 anyway; no `round` call, so the loop vectorises.
    for (c, x) in codes.iter_mut().zip(row) {
        let y = x * inv;
        *c = (y + 0.5f32.copysign(y)) as i8;
    }
    (max / 127.0, norm)
}

/// `y += a * x` over the common prefix.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    axpy_body(a, x, y)
}

/// One binary logistic regression step, shared by every loss built on it.
///
/// With score `f = h·o`, label `y ∈ {0, 1}` and `σ` the logistic function, the loss is
/// `ℓ = −y·log σ(f) − (1−y)·log σ(−f)`, whose gradients are `∂ℓ/∂h = (σ(f) − y)·o` and
/// `∂ℓ/∂o = (σ(f) − y)·h`. With `g = lr·(y − σ(f))` the step does, in this order,
/// `grad += g·o` (using `o` *before* its update, as word2vec.c does) and `o += g·h`,
/// and returns `ℓ`. The caller later applies `grad` to the input vector(s).
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub fn logistic_step(
    h: &[f32],
    o: &mut [f32],
    grad: &mut [f32],
    label: f32,
    lr: f32,
    sigmoid: &Sigmoid,
) -> f32 {
    let f = dot_body(h, o);
    let g = lr * (label - sigmoid.sigmoid(f));
    for ((gi, oi), hi) in grad.iter_mut().zip(o.iter_mut()).zip(h) {
        *gi += g * *oi;
        *oi += g * hi;
    }
    if label > 0.5 {
        -sigmoid.log_sigmoid(f)
    } else {
        -sigmoid.log_sigmoid(-f)
    }
}

/// One shared-negatives (HogBatch) step: `m` input rows `h` (`m × dim`) each predict the same
/// `n` output rows `u` (`n × dim`), row 0 with label 1 and the others with label 0.
///
/// With scores `S = h·uᵀ` and `G = lr·(Y − σ(S))` (`m × n`, kept in `g`), it writes the input
/// steps `dh = G·u` and the output steps `du = Gᵀ·h`, both from the rows *before* any update
/// (as one minibatch), and returns the summed loss of the `m` predictions,
/// `Σ_i [−log σ(S_i0) − Σ_{r≥1} log σ(−S_ir)]`. The caller adds `dh` and `du` to the rows.
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
#[allow(clippy::too_many_arguments)]
pub fn shared_negatives_step(
    h: &[f32],
    u: &[f32],
    dim: usize,
    lr: f32,
    sigmoid: &Sigmoid,
    g: &mut [f32],
    dh: &mut [f32],
    du: &mut [f32],
) -> f32 {
    let m = h.len() / dim;
    let n = u.len() / dim;
    let g = &mut g[..m * n];
    let mut loss = 0.0;
    for (hi, gi) in h.chunks_exact(dim).zip(g.chunks_exact_mut(n)) {
        for (r, (ur, gr)) in u.chunks_exact(dim).zip(gi.iter_mut()).enumerate() {
            let f = dot_body(hi, ur);
            let label = if r == 0 { 1.0 } else { 0.0 };
            let (p, log_p) = sigmoid.sigmoid_and_log(f);
            // −log σ(f) for the positive, −log σ(−f) = −(log σ(f) − f) for a negative.
            loss -= log_p - (1.0 - label) * f;
            *gr = lr * (label - p);
        }
    }
    // dh_i = Σ_r G[i,r]·u_r and du_r = Σ_i G[i,r]·h_i, 16 lanes at a time with the sum held in
    // registers (one store per chunk instead of one load and store per term).
    let (full, tail) = (dim / LANES * LANES, dim % LANES);
    for (i, dhi) in dh.chunks_exact_mut(dim).take(m).enumerate() {
        let gi = &g[i * n..(i + 1) * n];
        weighted_rows(gi, 1, u, dim, full, tail, dhi);
    }
    for (r, dur) in du.chunks_exact_mut(dim).take(n).enumerate() {
        weighted_rows(&g[r..], n, h, dim, full, tail, dur);
    }
    loss
}

const TABLE_MAX: f32 = 8.0;
const TABLE_N: usize = 2048;
const TABLE_SCALE: f32 = TABLE_N as f32 / (2.0 * TABLE_MAX);

/// `σ(x)` and `log σ(x)` by linear interpolation in a 2049-entry table over `[-8, 8]`
/// (absolute error below 1e-6 for `σ`); outside it `σ` is 0 or 1, as in word2vec.c, and
/// `log σ(x)` is `x` below −8 and 0 above 8 (error below 3.4e-4).
pub struct Sigmoid {
    sig: Box<[f32; TABLE_N + 1]>,
    logsig: Box<[f32; TABLE_N + 1]>,
}

impl Default for Sigmoid {
    fn default() -> Self {
        Self::new()
    }
}

impl Sigmoid {
    /// Builds the tables.
    pub fn new() -> Self {
        let mut sig = Box::new([0f32; TABLE_N + 1]);
        let mut logsig = Box::new([0f32; TABLE_N + 1]);
        for i in 0..=TABLE_N {
            let x = (i as f64 / TABLE_SCALE as f64) - TABLE_MAX as f64;
            sig[i] = (1.0 / (1.0 + (-x).exp())) as f32;
            logsig[i] = -((-x).exp().ln_1p()) as f32;
        }
        Sigmoid { sig, logsig }
    }

    #[inline(always)]
    fn lerp(table: &[f32; TABLE_N + 1], x: f32) -> f32 {
        let t = (x + TABLE_MAX) * TABLE_SCALE;
        let i = (t as usize).min(TABLE_N - 1);
        let frac = t - i as f32;
        table[i] + frac * (table[i + 1] - table[i])
    }

    /// The logistic function `1 / (1 + e^{−x})`.
    #[inline(always)]
    pub fn sigmoid(&self, x: f32) -> f32 {
        if x >= TABLE_MAX {
            1.0
        } else if x > -TABLE_MAX {
            Self::lerp(&self.sig, x)
        } else {
            0.0 // also for NaN, which the loss check reports
        }
    }

    /// `(σ(x), log σ(x))` from one table position.
    #[inline(always)]
    pub fn sigmoid_and_log(&self, x: f32) -> (f32, f32) {
        if x >= TABLE_MAX {
            (1.0, 0.0)
        } else if x > -TABLE_MAX {
            let t = (x + TABLE_MAX) * TABLE_SCALE;
            let i = (t as usize).min(TABLE_N - 1);
            let frac = t - i as f32;
            let (s, l) = (&self.sig, &self.logsig);
            (
                s[i] + frac * (s[i + 1] - s[i]),
                l[i] + frac * (l[i + 1] - l[i]),
            )
        } else {
            (0.0, x) // NaN gives (0, NaN), which the loss check reports
        }
    }

    /// `log σ(x)`.
    #[inline(always)]
    pub fn log_sigmoid(&self, x: f32) -> f32 {
        if x >= TABLE_MAX {
            0.0
        } else if x > -TABLE_MAX {
            Self::lerp(&self.logsig, x)
        } else {
            x
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
    }

    #[test]
    fn kernels_match_naive_loops_at_many_lengths() {
        for n in [0, 1, 3, 15, 16, 17, 31, 100, 300, 1001] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
                .collect();
            let b: Vec<f32> = (0..n)
                .map(|i| ((i * 104_729) % 89) as f32 / 89.0 - 0.5)
                .collect();
            let d = dot(&a, &b) as f64;
            assert!((d - naive_dot(&a, &b)).abs() < 1e-4, "n={n}");
            let mut y = b.clone();
            axpy(0.5, &a, &mut y);
            for i in 0..n {
                assert_eq!(y[i], b[i] + 0.5 * a[i]);
            }
        }
    }

    #[test]
    fn sigmoid_table_is_accurate() {
        let s = Sigmoid::new();
        let mut x = -12.0f64;
        while x < 12.0 {
            let exact = 1.0 / (1.0 + (-x).exp());
            assert!((s.sigmoid(x as f32) as f64 - exact).abs() < 4e-4, "x={x}");
            if x.abs() < 8.0 {
                assert!((s.sigmoid(x as f32) as f64 - exact).abs() < 2e-6, "x={x}");
            }
            let exact_log = -((-x).exp().ln_1p());
            assert!(
                (s.log_sigmoid(x as f32) as f64 - exact_log).abs() < 4e-4,
                "x={x}"
            );
            x += 0.0137;
        }
    }

    /// The shared-negatives step's `dh` and `du` are `−lr` times the gradient of the summed
    /// loss of its `m` predictions, checked by finite differences.
    #[test]
    fn shared_negatives_step_gradient_matches_finite_differences() {
        let s = Sigmoid::new();
        let (m, n, dim) = (3, 4, 7);
        let h: Vec<f32> = (0..m * dim)
            .map(|i| ((i as f32) * 0.37).sin() * 0.5)
            .collect();
        let u: Vec<f32> = (0..n * dim)
            .map(|i| ((i as f32) * 0.71).cos() * 0.5)
            .collect();
        let exact = |h: &[f64], u: &[f64]| {
            let mut l = 0.0;
            for i in 0..m {
                for r in 0..n {
                    let f: f64 = (0..dim).map(|d| h[i * dim + d] * u[r * dim + d]).sum();
                    let x = if r == 0 { f } else { -f };
                    l += (-x).exp().ln_1p();
                }
            }
            l
        };
        let lr = 0.01;
        let (mut g, mut dh, mut du) = (vec![0.0; m * n], vec![0.0; m * dim], vec![0.0; n * dim]);
        let loss = shared_negatives_step(&h, &u, dim, lr, &s, &mut g, &mut dh, &mut du);
        let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
        let ud: Vec<f64> = u.iter().map(|&x| x as f64).collect();
        assert!((loss as f64 - exact(&hd, &ud)).abs() < 1e-4, "{loss}");
        let eps = 1e-5;
        let fd = |v: &[f64], i: usize, is_h: bool| {
            let (mut p, mut q) = (v.to_vec(), v.to_vec());
            p[i] += eps;
            q[i] -= eps;
            let (lp, lq) = if is_h {
                (exact(&p, &ud), exact(&q, &ud))
            } else {
                (exact(&hd, &p), exact(&hd, &q))
            };
            (lp - lq) / (2.0 * eps)
        };
        for (i, &d) in dh.iter().enumerate() {
            assert!(
                (d as f64 + lr as f64 * fd(&hd, i, true)).abs() < 1e-6,
                "dh[{i}]"
            );
        }
        for (i, &d) in du.iter().enumerate() {
            assert!(
                (d as f64 + lr as f64 * fd(&ud, i, false)).abs() < 1e-6,
                "du[{i}]"
            );
        }
    }

    /// The step's updates are `−lr` times the loss gradient, checked by finite differences of
    /// the exact loss.
    #[test]
    fn logistic_step_gradient_matches_finite_differences() {
        let s = Sigmoid::new();
        let exact_loss = |h: &[f64], o: &[f64], y: f64| {
            let f: f64 = h.iter().zip(o).map(|(a, b)| a * b).sum();
            let sig = 1.0 / (1.0 + (-f).exp());
            -(y * sig.ln() + (1.0 - y) * (1.0 - sig).ln())
        };
        let dim = 19;
        for (label, scale) in [(1.0f32, 0.3f32), (0.0, 0.3), (1.0, -0.2), (0.0, 0.05)] {
            let h: Vec<f32> = (0..dim)
                .map(|i| scale * ((i as f32 * 0.37).sin()))
                .collect();
            let o0: Vec<f32> = (0..dim)
                .map(|i| scale * ((i as f32 * 0.71).cos()))
                .collect();
            let mut o = o0.clone();
            let mut grad = vec![0f32; dim];
            let lr = 0.01;
            let loss = logistic_step(&h, &mut o, &mut grad, label, lr, &s);
            let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
            let od: Vec<f64> = o0.iter().map(|&x| x as f64).collect();
            let y = label as f64;
            assert!((loss as f64 - exact_loss(&hd, &od, y)).abs() < 1e-5);
            let eps = 1e-5;
            for i in 0..dim {
                // d loss / d h_i  <->  grad_i = -lr * dL/dh_i
                let (mut hp, mut hm) = (hd.clone(), hd.clone());
                hp[i] += eps;
                hm[i] -= eps;
                let dh = (exact_loss(&hp, &od, y) - exact_loss(&hm, &od, y)) / (2.0 * eps);
                assert!((grad[i] as f64 + lr as f64 * dh).abs() < 1e-6, "dh[{i}]");
                let (mut op, mut om) = (od.clone(), od.clone());
                op[i] += eps;
                om[i] -= eps;
                let d_o = (exact_loss(&hd, &op, y) - exact_loss(&hd, &om, y)) / (2.0 * eps);
                let step = (o[i] - o0[i]) as f64;
                assert!((step + lr as f64 * d_o).abs() < 1e-6, "do[{i}]");
            }
        }
    }
}
