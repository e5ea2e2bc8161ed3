//! Two-dimensional projections of a set of vectors, for plotting: PCA (the plane of greatest
//! variance) and exact t-SNE (van der Maaten & Hinton 2008) for neighbourhoods.
//!
//! Both start from the vectors scaled to unit length, so distances reflect cosine similarity,
//! the measure every query uses. Both are deterministic.

use crate::error::{Error, Result};
use crate::rng::Rng;

/// A projection method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Projection {
    /// Principal component analysis: the two directions of greatest variance.
    #[default]
    Pca,
    /// t-SNE: keeps each point's near neighbours near; distances between clusters mean little.
    Tsne,
}

/// Rows of `points` (`n × dim`, row-major) scaled to unit length, as f64 (zero rows stay zero).
fn unit_rows(points: &[f32], dim: usize) -> Vec<Vec<f64>> {
    points
        .chunks_exact(dim.max(1))
        .map(|r| {
            let n = r.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
            r.iter()
                .map(|&x| if n > 0.0 { x as f64 / n } else { 0.0 })
                .collect()
        })
        .collect()
}

/// The most points [`project`] gives to t-SNE: exact t-SNE holds `n²` affinities (three
/// `n × n` matrices of `f64`, about 2.4 GB at this size).
pub const MAX_TSNE_POINTS: usize = 10_000;

/// Projects the rows of `points` (`n × dim`) to 2-D by `method`; t-SNE of more than
/// [`MAX_TSNE_POINTS`] rows is refused (its memory grows with their square).
pub fn project(points: &[f32], dim: usize, method: Projection) -> Result<Vec<[f64; 2]>> {
    let n = points.len() / dim.max(1);
    if method == Projection::Tsne && n > MAX_TSNE_POINTS {
        return Err(Error::config(
            "top",
            format!(
                "t-SNE of {n} words needs too much memory (its affinities grow with the square \
                 of the words): show at most {MAX_TSNE_POINTS}, or use --method pca"
            ),
        ));
    }
    let rows = unit_rows(points, dim);
    Ok(match method {
        Projection::Pca => pca(&rows),
        Projection::Tsne => tsne(&rows, 30.0, 1000),
    })
}

/// The coordinates of each row on the first two principal components, by power iteration on
/// the covariance matrix (each component's sign fixed so its largest entry is positive).
pub fn pca(rows: &[Vec<f64>]) -> Vec<[f64; 2]> {
    let n = rows.len();
    let dim = rows.first().map_or(0, |r| r.len());
    if n == 0 || dim == 0 {
        return vec![[0.0; 2]; n];
    }
    let mut mean = vec![0.0; dim];
    for r in rows {
        for (m, x) in mean.iter_mut().zip(r) {
            *m += x / n as f64;
        }
    }
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(x, m)| x - m).collect())
        .collect();
    let mut cov = vec![0.0; dim * dim];
    for r in &centred {
        for i in 0..dim {
            let ri = r[i];
            if ri != 0.0 {
                for (c, rj) in cov[i * dim..(i + 1) * dim].iter_mut().zip(r) {
                    *c += ri * rj;
                }
            }
        }
    }
    let mut components: Vec<Vec<f64>> = Vec::new();
    for k in 0..2 {
        // Deterministic start, not orthogonal to any plausible component.
        let mut v: Vec<f64> = (0..dim)
            .map(|i| 1.0 + ((i * 7 + k * 13) % 11) as f64 * 0.1)
            .collect();
        for _ in 0..500 {
            let mut w = vec![0.0; dim];
            for (i, wi) in w.iter_mut().enumerate() {
                *wi = cov[i * dim..(i + 1) * dim]
                    .iter()
                    .zip(&v)
                    .map(|(c, x)| c * x)
                    .sum();
            }
            for c in &components {
                let d: f64 = w.iter().zip(c).map(|(a, b)| a * b).sum();
                for (wi, ci) in w.iter_mut().zip(c) {
                    *wi -= d * ci;
                }
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm < 1e-300 {
                break;
            }
            let delta: f64 = w.iter().zip(&v).map(|(a, b)| (a / norm - b).abs()).sum();
            v = w.into_iter().map(|x| x / norm).collect();
            if delta < 1e-12 {
                break;
            }
        }
        let big = v
            .iter()
            .copied()
            .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        if big < 0.0 {
            v.iter_mut().for_each(|x| *x = -*x);
        }
        components.push(v);
    }
    centred
        .iter()
        .map(|r| {
            let p = |c: &Vec<f64>| r.iter().zip(c).map(|(a, b)| a * b).sum::<f64>();
            [p(&components[0]), p(&components[1])]
        })
        .collect()
}

/// Exact t-SNE of the rows: Gaussian affinities calibrated to `perplexity` (clamped to what
/// `n` allows), Student-t affinities in 2-D, gradient descent with momentum, gains and early
/// exaggeration, started from the PCA layout. O(n²) per iteration: meant for the few hundred
/// words of a plot.
pub fn tsne(rows: &[Vec<f64>], perplexity: f64, iterations: usize) -> Vec<[f64; 2]> {
    let n = rows.len();
    if n < 3 {
        return pca(rows);
    }
    let perplexity = perplexity.min((n - 1) as f64 / 3.0).max(1.0);
    let d2 = squared_distances(rows);
    let pj = joint_affinities(&d2, n, perplexity);
    let mut y = initial_layout(rows);
    descend(&mut y, &pj, iterations);
    y
}

/// Squared Euclidean distances between every two rows (`n × n`, row-major).
fn squared_distances(rows: &[Vec<f64>]) -> Vec<f64> {
    let n = rows.len();
    let mut d2 = vec![0.0; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let d: f64 = rows[i]
                .iter()
                .zip(&rows[j])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            d2[i * n + j] = d;
            d2[j * n + i] = d;
        }
    }
    d2
}

/// The symmetric affinities `P = (p(j|i) + p(i|j)) / 2n`, each row's Gaussian precision found
/// by bisection so that its entropy matches `ln(perplexity)`.
fn joint_affinities(d2: &[f64], n: usize, perplexity: f64) -> Vec<f64> {
    // Conditional affinities p(j|i), each row's precision found by bisection on its entropy.
    let target = perplexity.ln();
    let mut p = vec![0.0; n * n];
    for i in 0..n {
        let (mut lo, mut hi, mut beta) = (0.0f64, f64::INFINITY, 1.0f64);
        let row = &d2[i * n..(i + 1) * n];
        for _ in 0..100 {
            let mut sum = 0.0;
            let mut dsum = 0.0;
            for (j, &d) in row.iter().enumerate() {
                if j != i {
                    let e = (-beta * d).exp();
                    sum += e;
                    dsum += d * e;
                }
            }
            let sum = sum.max(1e-300);
            let entropy = sum.ln() + beta * dsum / sum;
            if (entropy - target).abs() < 1e-6 {
                break;
            }
            if entropy > target {
                lo = beta;
                beta = if hi.is_finite() {
                    (beta + hi) / 2.0
                } else {
                    beta * 2.0
                };
            } else {
                hi = beta;
                beta = (beta + lo) / 2.0;
            }
        }
        let mut sum = 0.0;
        for (j, &d) in row.iter().enumerate() {
            if j != i {
                let e = (-beta * d).exp();
                p[i * n + j] = e;
                sum += e;
            }
        }
        for j in 0..n {
            p[i * n + j] /= sum.max(1e-300);
        }
    }
    // Symmetrise: P = (p(j|i) + p(i|j)) / 2n.
    let mut pj = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            pj[i * n + j] = ((p[i * n + j] + p[j * n + i]) / (2.0 * n as f64)).max(1e-12);
        }
    }
    pj
}

/// The starting layout: PCA, scaled to a small spread, with a tiny seeded jitter to break ties.
fn initial_layout(rows: &[Vec<f64>]) -> Vec<[f64; 2]> {
    let n = rows.len();
    let start = pca(rows);
    let spread = (start.iter().map(|y| y[0] * y[0]).sum::<f64>() / n as f64)
        .sqrt()
        .max(1e-12);
    let mut rng = Rng::new(1, 0);
    start
        .iter()
        .map(|s| {
            [
                s[0] / spread * 1e-4 + (rng.next_f32() as f64 - 0.5) * 1e-6,
                s[1] / spread * 1e-4 + (rng.next_f32() as f64 - 0.5) * 1e-6,
            ]
        })
        .collect()
}

/// Gradient descent on the KL divergence with momentum, per-coordinate gains, and early
/// exaggeration for the first 250 iterations (van der Maaten's schedule).
fn descend(y: &mut [[f64; 2]], pj: &[f64], iterations: usize) {
    let n = y.len();
    let mut vel = vec![[0.0; 2]; n];
    let mut gains = vec![[1.0; 2]; n];
    let lr = (n as f64 / 12.0).max(50.0);
    let mut q = vec![0.0; n * n];
    for it in 0..iterations {
        let exaggeration = if it < 250 { 12.0 } else { 1.0 };
        let momentum = if it < 250 { 0.5 } else { 0.8 };
        let mut qsum = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                let dx = y[i][0] - y[j][0];
                let dy = y[i][1] - y[j][1];
                let t = 1.0 / (1.0 + dx * dx + dy * dy);
                q[i * n + j] = t;
                q[j * n + i] = t;
                qsum += 2.0 * t;
            }
        }
        for i in 0..n {
            let mut g = [0.0; 2];
            for j in 0..n {
                if i != j {
                    let t = q[i * n + j];
                    let m = (exaggeration * pj[i * n + j] - t / qsum) * t;
                    g[0] += 4.0 * m * (y[i][0] - y[j][0]);
                    g[1] += 4.0 * m * (y[i][1] - y[j][1]);
                }
            }
            for k in 0..2 {
                gains[i][k] = if (g[k] > 0.0) != (vel[i][k] > 0.0) {
                    gains[i][k] + 0.2
                } else {
                    (gains[i][k] * 0.8f64).max(0.01)
                };
                vel[i][k] = momentum * vel[i][k] - lr * gains[i][k] * g[k];
            }
        }
        for (yi, vi) in y.iter_mut().zip(&vel) {
            yi[0] += vi[0];
            yi[1] += vi[1];
        }
        let (mx, my) = y.iter().fold((0.0, 0.0), |(a, b), p| {
            (a + p[0] / n as f64, b + p[1] / n as f64)
        });
        for yi in y.iter_mut() {
            yi[0] -= mx;
            yi[1] -= my;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsne_of_too_many_points_is_an_error_not_an_allocation() {
        let dim = 2;
        let pts = vec![0.5f32; (MAX_TSNE_POINTS + 1) * dim];
        let err = project(&pts, dim, Projection::Tsne).unwrap_err();
        assert!(err.to_string().contains("t-SNE of 10001 words"), "{err}");
        assert_eq!(
            project(&pts, dim, Projection::Pca).unwrap().len(),
            MAX_TSNE_POINTS + 1
        );
    }

    /// `groups` clusters of `per` points in `dim` dimensions around random centres.
    fn planted(groups: usize, per: usize, dim: usize) -> Vec<f32> {
        let mut rng = Rng::new(7, 0);
        let mut out = Vec::new();
        for _ in 0..groups {
            let centre: Vec<f32> = (0..dim).map(|_| rng.next_f32() * 2.0 - 1.0).collect();
            for _ in 0..per {
                out.extend(centre.iter().map(|c| c + (rng.next_f32() - 0.5) * 0.3));
            }
        }
        out
    }

    /// Whether every point is nearer its own cluster's centroid than any other's.
    fn separated(y: &[[f64; 2]], groups: usize, per: usize) -> bool {
        let cent: Vec<[f64; 2]> = (0..groups)
            .map(|g| {
                let s = &y[g * per..(g + 1) * per];
                let (a, b) = s.iter().fold((0.0, 0.0), |(a, b), p| (a + p[0], b + p[1]));
                [a / per as f64, b / per as f64]
            })
            .collect();
        y.iter().enumerate().all(|(i, p)| {
            let d = |c: &[f64; 2]| (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
            let own = d(&cent[i / per]);
            cent.iter()
                .enumerate()
                .all(|(g, c)| g == i / per || d(c) > own)
        })
    }

    #[test]
    fn both_projections_separate_planted_clusters() {
        let (groups, per, dim) = (4, 15, 50);
        let pts = planted(groups, per, dim);
        for m in [Projection::Pca, Projection::Tsne] {
            let y = project(&pts, dim, m).unwrap();
            assert_eq!(y.len(), groups * per);
            assert!(y.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
            assert!(separated(&y, groups, per), "{m:?}");
            assert_eq!(y, project(&pts, dim, m).unwrap(), "{m:?} is deterministic");
        }
    }

    #[test]
    fn pca_finds_the_direction_of_greatest_variance() {
        // Points on a line along (1, 1, 0) with small noise along z.
        let rows: Vec<Vec<f64>> = (0..20)
            .map(|i| {
                let t = i as f64 - 9.5;
                vec![t, t, 0.01 * (i % 3) as f64]
            })
            .collect();
        let y = pca(&rows);
        let spread0 = y.iter().map(|p| p[0].abs()).fold(0.0, f64::max);
        let spread1 = y.iter().map(|p| p[1].abs()).fold(0.0, f64::max);
        assert!((spread0 - 9.5 * 2f64.sqrt()).abs() < 1e-6, "{spread0}");
        assert!(spread1 < 0.02, "{spread1}");
        assert!(pca(&[]).is_empty());
        assert_eq!(pca(&[vec![1.0, 2.0]]), vec![[0.0, 0.0]]);
    }
}
