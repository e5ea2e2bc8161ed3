//! Kernel micro-benchmarks: dot, axpy, the fused logistic step and one shared-negatives window at
//! dims 100 and 300, plus the
//! noise sampler and one skip-gram sentence, reported as elements (or words) per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use w2v::config::Loss;
use w2v::config::PositiveSteps;
use w2v::objective::kernels::{LANES, Sigmoid, axpy, dot, logistic_step, shared_negatives_step};
use w2v::objective::{LossSum, Model, Scratch, Window};
use w2v::rng::Rng;
use w2v::train::hogwild::SharedMatrix;
use w2v::train::sampler::NoiseSampler;

fn vecs(n: usize) -> (Vec<f32>, Vec<f32>) {
    let a = (0..n).map(|i| (i as f32 * 0.37).sin() * 0.1).collect();
    let b = (0..n).map(|i| (i as f32 * 0.11).cos() * 0.1).collect();
    (a, b)
}

/// The naive scalar loop the kernels must beat.
fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

fn kernels(c: &mut Criterion) {
    let sig = Sigmoid::new();
    for dim in [100usize, 300] {
        let (a, mut b) = vecs(dim);
        let mut g = vec![0f32; dim];
        let mut grp = c.benchmark_group(format!("kernels/dim{dim}"));
        grp.throughput(Throughput::Elements(dim as u64));
        grp.bench_function("dot", |bn| bn.iter(|| dot(black_box(&a), black_box(&b))));
        grp.bench_function("dot_naive", |bn| {
            bn.iter(|| naive_dot(black_box(&a), black_box(&b)))
        });
        grp.bench_function("axpy", |bn| {
            bn.iter(|| axpy(black_box(1e-3), black_box(&a), &mut b))
        });
        grp.bench_function("logistic_step", |bn| {
            bn.iter(|| logistic_step(black_box(&a), &mut b, &mut g, 1.0, 1e-3, &sig))
        });
        // One shared-negatives window: 6 contexts against the centre and 5 negatives, rows
        // padded to whole vectors as `model::Window` holds them; throughput in row floats.
        let st = dim.next_multiple_of(LANES);
        let (h, u) = vecs(6 * st);
        let u = &u[..6 * st];
        let (mut gw, mut dh, mut du) = (vec![0f32; 36], vec![0f32; 6 * st], vec![0f32; 6 * st]);
        grp.throughput(Throughput::Elements((36 * dim) as u64));
        grp.bench_function("shared_negatives_step_6x6", |bn| {
            bn.iter(|| {
                shared_negatives_step(
                    black_box(&h),
                    black_box(u),
                    st,
                    1e-3,
                    &sig,
                    PositiveSteps::Batch,
                    &mut gw,
                    &mut dh,
                    &mut du,
                )
            })
        });
        grp.finish();
    }
}

/// word2vec.c's sampler for comparison: a table in which word `w` fills a share of the
/// entries proportional to `count^0.75`; one uniform index per draw.
struct UnigramTable(Vec<u32>);

impl UnigramTable {
    fn new(counts: &[u64], size: usize) -> Self {
        let w: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(0.75)).collect();
        let z: f64 = w.iter().sum();
        let mut table = Vec::with_capacity(size);
        let (mut id, mut cum) = (0usize, w[0] / z);
        for i in 0..size {
            table.push(id as u32);
            if (i + 1) as f64 / size as f64 > cum && id + 1 < w.len() {
                id += 1;
                cum += w[id] / z;
            }
        }
        UnigramTable(table)
    }

    fn sample(&self, rng: &mut Rng) -> u32 {
        self.0[rng.below(self.0.len() as u32) as usize]
    }
}

fn sampler(c: &mut Criterion) {
    let counts: Vec<u64> = (1..=70_000u64).map(|r| 10_000_000 / r + 5).collect();
    let s = NoiseSampler::new(&counts, 0.75);
    let mut rng = Rng::new(1, 0);
    let mut grp = c.benchmark_group("sampler");
    grp.throughput(Throughput::Elements(1000));
    for size in [1_000_000usize, 10_000_000, 100_000_000] {
        let t = UnigramTable::new(&counts, size);
        grp.bench_function(format!("table_{size}_x1000"), |bn| {
            bn.iter(|| {
                let mut x = 0u32;
                for _ in 0..1000 {
                    x ^= t.sample(&mut rng);
                }
                x
            })
        });
    }
    grp.bench_function("alias_70k_x1000", |bn| {
        bn.iter(|| {
            let mut x = 0u32;
            for _ in 0..1000 {
                x ^= s.sample(&mut rng);
            }
            x
        })
    });
    grp.finish();
}

fn step(c: &mut Criterion) {
    let (v, dim) = (70_000usize, 100usize);
    let counts: Vec<u64> = (1..=v as u64).map(|r| 10_000_000 / r + 5).collect();
    let noise = NoiseSampler::new(&counts, 0.75);
    let mut rng = Rng::new(2, 0);
    let init: Vec<f32> = (0..v * dim).map(|_| rng.next_f32() - 0.5).collect();
    let input = SharedMatrix::from_vec(init, dim);
    let output = SharedMatrix::zeros(v, dim);
    let sig = Sigmoid::new();
    let m = Model {
        input: w2v::objective::Input::plain(&input),
        output: &output,
        noise: &noise,
        sigmoid: &sig,
        negative: 5,
        loss: Loss::Ns,
        tree: None,
        shared_negatives: false,
        positive_steps: PositiveSteps::Batch,
        batch_contexts: 0,
        rare: None,
        rare_radius: 0,
    };
    let sentence: Vec<u32> = (0..1000).map(|_| noise.sample(&mut rng)).collect();
    let mut s = Scratch::new(dim, 5, 0);
    let mut grp = c.benchmark_group("train_step");
    grp.throughput(Throughput::Elements(sentence.len() as u64));
    grp.bench_function("skipgram_sentence_1000_words_v70k", |bn| {
        bn.iter(|| {
            let mut acc = LossSum::default();
            m.skipgram_sentence(&sentence, 5, 1e-3, &mut rng, &mut s, &mut acc);
            acc.loss
        })
    });
    let shared = Model {
        shared_negatives: true,
        ..m
    };
    let mut sw = Scratch::new(dim, 5, 0).with_window(Window::new(dim, 5, 5));
    grp.bench_function("skipgram_shared_negatives_1000_words_v70k", |bn| {
        bn.iter(|| {
            let mut acc = LossSum::default();
            shared.skipgram_sentence(&sentence, 5, 1e-3, &mut rng, &mut sw, &mut acc);
            acc.loss
        })
    });
    grp.bench_function("cbow_sentence_1000_words_v70k", |bn| {
        bn.iter(|| {
            let mut acc = LossSum::default();
            m.cbow_sentence(&sentence, 5, 1e-3, &mut rng, &mut s, &mut acc);
            acc.loss
        })
    });
    grp.finish();
}

criterion_group!(benches, kernels, sampler, step);
criterion_main!(benches);
