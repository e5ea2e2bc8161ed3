//! Gradient checks and update-order tests of the objectives.

use super::*;
use crate::objective::kernels::{axpy, dot, shared_negatives_step};

fn exact_ns_loss(h: &[f64], pos: &[f64], negs: &[Vec<f64>]) -> f64 {
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let ls = |x: f64| -(-x).exp().ln_1p();
    -ls(dot(h, pos)) - negs.iter().map(|n| ls(-dot(h, n))).sum::<f64>()
}

/// The whole negative-sampling prediction (positive plus k distinct negatives) moves the
/// input gradient and every output row by `−lr · ∂ℓ/∂(·)`, checked by finite differences.
#[test]
fn negative_sampling_gradient_matches_finite_differences() {
    let dim = 12;
    let vocab = 40;
    let init: Vec<f32> = (0..vocab * dim)
        .map(|i| ((i as f32) * 0.173).sin() * 0.4)
        .collect();
    let output = SharedMatrix::from_vec(init.clone(), dim);
    let input = SharedMatrix::zeros(1, dim);
    let counts: Vec<u64> = (0..vocab as u64).map(|i| 100 + i).collect();
    let noise = NoiseSampler::new(&counts, 0.75);
    let sigmoid = Sigmoid::new();
    let m = Model {
        input: Input::plain(&input),
        output: &output,
        noise: &noise,
        sigmoid: &sigmoid,
        negative: 4,
        loss: Loss::Ns,
        tree: None,
        shared_negatives: false,
        positive_steps: PositiveSteps::Batch,
        batch_contexts: 0,
        rare: None,
        rare_radius: 0,
    };
    // Find a seed whose negatives are distinct and differ from the target, then replay.
    let target = 3u32;
    let seed = (0..1000)
        .find(|&seed| {
            let mut r = Rng::new(seed, 0);
            let d: Vec<u32> = (0..4)
                .map(|_| noise.sample_except(target, &mut r).unwrap())
                .collect();
            let mut u = d.clone();
            u.sort();
            u.dedup();
            u.len() == 4
        })
        .unwrap();
    let mut r = Rng::new(seed, 0);
    let negs: Vec<u32> = (0..4)
        .map(|_| noise.sample_except(target, &mut r).unwrap())
        .collect();

    let h: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.51).cos() * 0.3).collect();
    let mut grad = vec![0f32; dim];
    let lr = 0.005f32;
    let mut block = Block::new(dim, 4);
    let ti = target as usize;
    let mut t = init[ti * dim..(ti + 1) * dim].to_vec();
    let mut rng = Rng::new(seed, 0);
    let loss = m.predict(target, &mut t, &h, &mut grad, &mut block, lr, &mut rng);
    output.write_row(ti, &t);

    let row = |id: u32| -> Vec<f64> {
        init[id as usize * dim..(id as usize + 1) * dim]
            .iter()
            .map(|&x| x as f64)
            .collect()
    };
    let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
    let pos = row(target);
    let neg_rows: Vec<Vec<f64>> = negs.iter().map(|&n| row(n)).collect();
    assert!((loss as f64 - exact_ns_loss(&hd, &pos, &neg_rows)).abs() < 1e-5);
    let eps = 1e-6;
    let after = output.into_vec();
    for i in 0..dim {
        let mut hp = hd.clone();
        hp[i] += eps;
        let mut hm = hd.clone();
        hm[i] -= eps;
        let d = (exact_ns_loss(&hp, &pos, &neg_rows) - exact_ns_loss(&hm, &pos, &neg_rows))
            / (2.0 * eps);
        assert!((grad[i] as f64 + lr as f64 * d).abs() < 1e-6, "h[{i}]");
        // Output row of the positive target.
        let mut pp = pos.clone();
        pp[i] += eps;
        let mut pm = pos.clone();
        pm[i] -= eps;
        let d =
            (exact_ns_loss(&hd, &pp, &neg_rows) - exact_ns_loss(&hd, &pm, &neg_rows)) / (2.0 * eps);
        let moved = (after[target as usize * dim + i] - init[target as usize * dim + i]) as f64;
        assert!((moved + lr as f64 * d).abs() < 1e-6, "u_o[{i}]");
        // Output row of each negative.
        for (k, &n) in negs.iter().enumerate() {
            let mut np = neg_rows.clone();
            np[k][i] += eps;
            let mut nm = neg_rows.clone();
            nm[k][i] -= eps;
            let d = (exact_ns_loss(&hd, &pos, &np) - exact_ns_loss(&hd, &pos, &nm)) / (2.0 * eps);
            let moved = (after[n as usize * dim + i] - init[n as usize * dim + i]) as f64;
            assert!((moved + lr as f64 * d).abs() < 1e-6, "u_n{k}[{i}]");
        }
    }
}

/// CBOW: h is the context mean, and each context row receives `−lr·∂ℓ/∂h`, where the
/// gradient is checked by finite differences of the loss as a function of h.
#[test]
fn cbow_gradient_reaches_every_context_row() {
    let dim = 8;
    let vocab = 6;
    let init: Vec<f32> = (0..vocab * dim)
        .map(|i| ((i as f32) * 0.37).sin() * 0.2)
        .collect();
    let input = SharedMatrix::from_vec(init.clone(), dim);
    let out_init: Vec<f32> = (0..vocab * dim)
        .map(|i| ((i as f32) * 0.11).cos() * 0.2)
        .collect();
    let output = SharedMatrix::from_vec(out_init.clone(), dim);
    let noise = NoiseSampler::new(&[1, 1, 1, 1, 1, 1], 0.75);
    let sigmoid = Sigmoid::new();
    let m = Model {
        input: Input::plain(&input),
        output: &output,
        noise: &noise,
        sigmoid: &sigmoid,
        negative: 1,
        loss: Loss::Ns,
        tree: None,
        shared_negatives: false,
        positive_steps: PositiveSteps::Batch,
        batch_contexts: 0,
        rare: None,
        rare_radius: 0,
    };
    let sentence = [1u32, 2, 0];
    // window 1, centre 2 at index 1: contexts 1 and 0. Centre 1 (index 0) and 0 (index 2)
    // also train; check only the first centre by running on a 2-word slice.
    let mut s = Scratch::new(dim, m.negative, 0);
    let mut acc = LossSum::default();
    let lr = 0.01;
    m.cbow_sentence(&sentence[..2], 1, lr, &mut Rng::new(1, 0), &mut s, &mut acc);
    assert_eq!(acc.predictions, 2);
    assert!(acc.loss.is_finite() && acc.loss > 0.0);
    // Both input rows used as context moved; the untouched ones did not.
    let after = input.into_vec();
    let moved = |w: usize| (0..dim).any(|i| after[w * dim + i] != init[w * dim + i]);
    assert!(moved(1) && moved(2));
    assert!(!moved(0) && !moved(3));
}

#[test]
fn skipgram_moves_only_involved_rows() {
    let dim = 4;
    let input = SharedMatrix::from_vec(vec![0.1; 5 * dim], dim);
    let output = SharedMatrix::zeros(5, dim);
    let noise = NoiseSampler::new(&[0, 0, 0, 0, 1], 1.0); // noise is always word 4
    let sigmoid = Sigmoid::new();
    let m = Model {
        input: Input::plain(&input),
        output: &output,
        noise: &noise,
        sigmoid: &sigmoid,
        negative: 2,
        loss: Loss::Ns,
        tree: None,
        shared_negatives: false,
        positive_steps: PositiveSteps::Batch,
        batch_contexts: 0,
        rare: None,
        rare_radius: 0,
    };
    let mut s = Scratch::new(dim, m.negative, 0);
    let mut acc = LossSum::default();
    m.skipgram_sentence(&[0, 1], 1, 0.1, &mut Rng::new(1, 0), &mut s, &mut acc);
    assert_eq!(acc.predictions, 2);
    // First prediction: all output rows zero -> loss = 3 ln 2.
    let out = output.into_vec();
    assert!(out[0..dim].iter().all(|&x| x > 0.0)); // word 0 was a positive target
    assert!(out[4 * dim..].iter().all(|&x| x < 0.0)); // word 4 was the noise
    assert!(out[2 * dim..4 * dim].iter().all(|&x| x == 0.0));
}

/// Trains `sentence` with shared negatives (radius 1, two negatives, the noise always word
/// 3, lr 0.1) in at most `batch_contexts` contexts per minibatch, and checks the rows and the
/// loss against `windows` replayed on plain vectors: per centre, its parts in order, each one
/// [`shared_negatives_step`] whose context rows are those of the window's start and whose
/// output rows are those the part before left; every part's steps added.
fn check_shared_windows(sentence: &[u32], batch_contexts: usize, windows: &[(usize, &[&[usize]])]) {
    let dim = 5;
    let init: Vec<f32> = (0..4 * dim)
        .map(|i| ((i as f32) * 0.3).sin() * 0.4)
        .collect();
    let out_init: Vec<f32> = (0..4 * dim)
        .map(|i| ((i as f32) * 0.7).cos() * 0.3)
        .collect();
    let input = SharedMatrix::from_vec(init.clone(), dim);
    let output = SharedMatrix::from_vec(out_init.clone(), dim);
    let noise = NoiseSampler::new(&[0, 0, 0, 1], 1.0); // noise is always word 3
    let sigmoid = Sigmoid::new();
    let m = Model {
        negative: 2,
        shared_negatives: true,
        positive_steps: PositiveSteps::Batch,
        batch_contexts,
        ..model(&input, &output, &noise, &sigmoid, Loss::Ns, None)
    };
    // `Scratch::new` leaves the window buffers empty; the first window sizes them.
    let mut s = Scratch::new(dim, 2, 0);
    let mut acc = LossSum::default();
    m.skipgram_sentence(sentence, 1, 0.1, &mut Rng::new(1, 0), &mut s, &mut acc);
    let pairs: usize = windows.iter().flat_map(|w| w.1).map(|p| p.len()).sum();
    assert_eq!(acc.predictions, pairs as u64);
    let (mut inp, mut out) = (init, out_init);
    let mut loss = 0.0f64;
    for &(center, parts) in windows {
        let start = inp.clone();
        for ctx in parts {
            let rows = [center, 3, 3];
            let h: Vec<f32> = ctx
                .iter()
                .flat_map(|&c| start[c * dim..(c + 1) * dim].to_vec())
                .collect();
            let u: Vec<f32> = rows
                .iter()
                .flat_map(|&r| out[r * dim..(r + 1) * dim].to_vec())
                .collect();
            let (mut g, mut dh, mut du) = (
                vec![0.0; 3 * ctx.len()],
                vec![0.0; h.len()],
                vec![0.0; 3 * dim],
            );
            loss += shared_negatives_step(
                &h,
                &u,
                dim,
                0.1,
                &sigmoid,
                PositiveSteps::Batch,
                &mut g,
                &mut dh,
                &mut du,
            ) as f64;
            for (j, &c) in ctx.iter().enumerate() {
                axpy(
                    1.0,
                    &dh[j * dim..(j + 1) * dim],
                    &mut inp[c * dim..(c + 1) * dim],
                );
            }
            for (j, &r) in rows.iter().enumerate() {
                axpy(
                    1.0,
                    &du[j * dim..(j + 1) * dim],
                    &mut out[r * dim..(r + 1) * dim],
                );
            }
        }
    }
    assert!((acc.loss - loss).abs() < 1e-5, "{} vs {loss}", acc.loss);
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
    assert!(close(&input.into_vec(), &inp));
    assert!(close(&output.into_vec(), &out));
}

/// Shared negatives: each window is one [`shared_negatives_step`] on the rows as they were
/// before it, and a word that occurs twice in a window (here the centre's two contexts are
/// both word 1, the negatives both word 3) receives both steps.
#[test]
fn shared_negatives_window_applies_every_step_once() {
    check_shared_windows(
        &[1, 0, 1],
        0,
        &[(1, &[&[0]]), (0, &[&[1, 1]]), (1, &[&[0]])],
    );
}

/// `batch_contexts`: a window with more contexts than that trains as parts, each with its own
/// negatives against the output rows as the part before left them; the context rows keep the
/// window's start for their scores and receive every part's step. Here the middle centre's
/// two contexts train as two parts of one; a limit above the window changes nothing.
#[test]
fn batch_contexts_split_a_window_into_parts() {
    let sentence = [1, 0, 2];
    check_shared_windows(
        &sentence,
        1,
        &[(1, &[&[0]]), (0, &[&[1], &[2]]), (2, &[&[0]])],
    );
    check_shared_windows(&sentence, 2, &[(1, &[&[0]]), (0, &[&[1, 2]]), (2, &[&[0]])]);
}

/// Skip-gram with shared negatives draws each centre's radius and negatives one centre
/// ahead (to prefetch the output rows), but in word2vec's order: radius, then negatives,
/// centre by centre. Replaying that order predicts how many pairs trained.
#[test]
fn draws_one_centre_ahead_keep_their_order() {
    let (dim, window, negative, n) = (4, 4, 3, 60);
    let input = SharedMatrix::zeros(5, dim);
    let output = SharedMatrix::zeros(5, dim);
    let noise = NoiseSampler::new(&[5, 4, 3, 2, 1], 0.75);
    let sigmoid = Sigmoid::new();
    let m = Model {
        negative,
        shared_negatives: true,
        positive_steps: PositiveSteps::Batch,
        batch_contexts: 0,
        ..model(&input, &output, &noise, &sigmoid, Loss::Ns, None)
    };
    let sentence: Vec<u32> = (0..n).map(|i| (i * 3 % 5) as u32).collect();
    let mut s = Scratch::new(dim, negative, 0);
    let mut acc = LossSum::default();
    m.skipgram_sentence(
        &sentence,
        window,
        0.0,
        &mut Rng::new(9, 0),
        &mut s,
        &mut acc,
    );
    let mut rng = Rng::new(9, 0);
    let mut expected = 0u64;
    for (i, &centre) in sentence.iter().enumerate() {
        let b = 1 + rng.below(window as u32) as usize;
        for _ in 0..negative {
            noise.sample_except(centre, &mut rng);
        }
        expected += (i.min(b) + (n - 1 - i).min(b)) as u64;
    }
    assert_eq!(acc.predictions, expected);
}

/// Rare pairs train across the full window; everything else keeps the drawn radius, with
/// the same random draws as without rare words.
#[test]
fn rare_pairs_train_across_the_full_window() {
    let (dim, window, n) = (4, 3, 40);
    let input = SharedMatrix::zeros(4, dim);
    let output = SharedMatrix::zeros(4, dim);
    let noise = NoiseSampler::new(&[1, 1, 1, 1], 0.75);
    let sigmoid = Sigmoid::new();
    let sentence: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
    let predictions_within = |rare: Option<&[u8]>, rare_radius: usize| {
        let m = Model {
            shared_negatives: true,
            positive_steps: PositiveSteps::Batch,
            batch_contexts: 0,
            rare,
            rare_radius,
            ..model(&input, &output, &noise, &sigmoid, Loss::Ns, None)
        };
        let mut s = Scratch::new(dim, m.negative, 0);
        let mut acc = LossSum::default();
        m.skipgram_sentence(
            &sentence,
            window,
            0.0,
            &mut Rng::new(7, 0),
            &mut s,
            &mut acc,
        );
        acc.predictions
    };
    let predictions = |rare| predictions_within(rare, 0);
    let within = |r: usize| -> u64 {
        (0..n)
            .map(|i: usize| (i.min(r) + (n - 1 - i).min(r)) as u64)
            .sum()
    };
    let full = within(window);
    let drawn = predictions(None);
    assert!(drawn < full, "{drawn} of {full}");
    // No word rare: the same windows as without the option.
    assert_eq!(predictions(Some(&[0; 4])), drawn);
    // Every word rare, by either rule: every pair within the window.
    assert_eq!(predictions(Some(&[RARE_PAIR; 4])), full);
    assert_eq!(predictions(Some(&[RARE_CENTRE; 4])), full);
    // Words 0 and 1 rare, 2 frequent: more than drawn, fewer than all.
    let some = predictions(Some(&[RARE_PAIR, RARE_PAIR, 0, 0]));
    assert!(drawn < some && some < full, "{drawn} < {some} < {full}");
    // Word 0 a rare centre: it reaches its frequent neighbours beyond the drawn radius too,
    // where the pair rule with word 0 alone rare reaches only the 0s (distance 3 in 0 1 2 0 …).
    let centre = predictions(Some(&[RARE_CENTRE, 0, 0, 0]));
    let pair0 = predictions(Some(&[RARE_PAIR, 0, 0, 0]));
    assert!(drawn < pair0 && pair0 < centre && centre < full);
    // A rare centre's radius beyond the window: every pair within it, for rare centres
    // only; the pair rule keeps the window.
    let wide = 2 * window + 1;
    assert_eq!(
        predictions_within(Some(&[RARE_CENTRE; 4]), wide),
        within(wide)
    );
    assert_eq!(predictions_within(Some(&[RARE_PAIR; 4]), wide), full);
    let centre_wide = predictions_within(Some(&[RARE_CENTRE, 0, 0, 0]), wide);
    assert!(centre < centre_wide && centre_wide < within(wide));
    // A radius below the window means the window.
    assert_eq!(predictions_within(Some(&[RARE_CENTRE; 4]), 1), full);
    // Both flags: the union of the two rules.
    let both = predictions(Some(&[RARE_CENTRE | RARE_PAIR, RARE_PAIR, 0, 0]));
    assert!(
        both > centre && both > some && both < full,
        "{both} {centre} {some}"
    );
}

/// CBOW: a rare centre (`RARE_CENTRE`) is predicted from the full window whatever radius
/// was drawn. With hierarchical softmax the drawn radius is the only randomness, so with
/// every word flagged two seeds train identically, and without flags they do not.
#[test]
fn cbow_rare_centres_use_the_full_window() {
    let counts = [9u64, 7, 5, 3, 2, 1];
    let tree = Huffman::new(&counts);
    let noise = NoiseSampler::new(&counts, 0.75);
    let sigmoid = Sigmoid::new();
    let dim = 4;
    let sentence: Vec<u32> = (0..30).map(|i| (i * 7 % 6) as u32).collect();
    let train = |rare: Option<&[u8]>, seed: u64| {
        let init: Vec<f32> = (0..6 * dim)
            .map(|i| ((i as f32) * 0.37).sin() * 0.2)
            .collect();
        let input = SharedMatrix::from_vec(init, dim);
        let out: Vec<f32> = (0..tree.inner_nodes() * dim)
            .map(|i| ((i as f32) * 0.23).cos() * 0.3)
            .collect();
        let output = SharedMatrix::from_vec(out, dim);
        let m = Model {
            rare,
            ..model(&input, &output, &noise, &sigmoid, Loss::Hs, Some(&tree))
        };
        let mut s = Scratch::new(dim, 0, 0);
        s.path.resize(dim * tree.max_depth(), 0.0);
        let mut acc = LossSum::default();
        m.cbow_sentence(&sentence, 4, 0.05, &mut Rng::new(seed, 0), &mut s, &mut acc);
        assert_eq!(acc.predictions, sentence.len() as u64);
        input.into_vec()
    };
    assert_ne!(train(None, 1), train(None, 2));
    assert_ne!(train(Some(&[0; 6]), 1), train(Some(&[0; 6]), 2));
    let all = [RARE_CENTRE; 6];
    assert_eq!(train(Some(&all), 1), train(Some(&all), 2));
    // The pair rule is skip-gram's only: it leaves CBOW's drawn radius alone.
    let pair = [RARE_PAIR; 6];
    assert_ne!(train(Some(&pair), 1), train(Some(&pair), 2));
}

/// CBOW keeps the rows around the centre in [`RowRing`] and adds their steps when they
/// leave the window; on one thread that is the sequential update: each centre reads every
/// context row with all earlier steps applied, and a word at several positions of one
/// window gets each of its steps. Checked against the direct loop (read every context row,
/// add the gradient to every context row), with hierarchical softmax so the drawn radii
/// are the only randomness, on a sentence whose windows repeat words.
#[test]
fn cbow_window_rows_match_the_sequential_update() {
    let counts = [9u64, 7, 5, 3, 2, 1];
    let tree = Huffman::new(&counts);
    let noise = NoiseSampler::new(&counts, 0.75);
    let sigmoid = Sigmoid::new();
    let (dim, window, lr) = (4, 3, 0.1);
    let sentence: Vec<u32> = (0..40).map(|i| (i * 7 % 6) as u32 % 4).collect();
    let init: Vec<f32> = (0..6 * dim)
        .map(|i| ((i as f32) * 0.37).sin() * 0.2)
        .collect();
    let out: Vec<f32> = (0..tree.inner_nodes() * dim)
        .map(|i| ((i as f32) * 0.23).cos() * 0.3)
        .collect();
    let mats = || {
        (
            SharedMatrix::from_vec(init.clone(), dim),
            SharedMatrix::from_vec(out.clone(), dim),
        )
    };
    let (input, output) = mats();
    let m = model(&input, &output, &noise, &sigmoid, Loss::Hs, Some(&tree));
    let mut s = Scratch::new(dim, 0, 0);
    s.path.resize(dim * tree.max_depth(), 0.0);
    let mut acc = LossSum::default();
    m.cbow_sentence(&sentence, window, lr, &mut Rng::new(3, 0), &mut s, &mut acc);

    let (input2, output2) = mats();
    let m2 = model(&input2, &output2, &noise, &sigmoid, Loss::Hs, Some(&tree));
    let mut rng = Rng::new(3, 0);
    let (mut h, mut grad, mut row) = (vec![0.0; dim], vec![0.0; dim], vec![0.0; dim]);
    let n = sentence.len();
    let mut loss = 0.0;
    for (i, &c) in sentence.iter().enumerate() {
        let b = 1 + rng.below(window as u32) as usize;
        let ctx: Vec<usize> = (i.saturating_sub(b)..(i + b + 1).min(n))
            .filter(|&j| j != i)
            .collect();
        h.fill(0.0);
        for &j in &ctx {
            input2.read_row(sentence[j] as usize, &mut row);
            axpy(1.0 / ctx.len() as f32, &row, &mut h);
        }
        grad.fill(0.0);
        loss += m2.predict_hs(c, &h, &mut grad, &mut s.path, lr) as f64;
        for &j in &ctx {
            input2.add_to_row(sentence[j] as usize, &grad);
        }
    }
    assert!(
        (acc.loss - loss).abs() < 1e-4 * loss,
        "{} vs {loss}",
        acc.loss
    );
    let close = |a: Vec<f32>, b: Vec<f32>| {
        assert!(
            a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5),
            "{a:?}\n{b:?}"
        );
    };
    // Rows 4 and 5 never occur: they must not move at all.
    let (a, b) = (input.into_vec(), input2.into_vec());
    assert_eq!(a[4 * dim..], init[4 * dim..]);
    assert_ne!(a[..dim], init[..dim]);
    close(a, b);
    close(output.into_vec(), output2.into_vec());
}

/// The loss in f64 as a function of the hidden vector and the output rows.
type ExactLoss<'a> = dyn Fn(&[f64], &[Vec<f64>]) -> f64 + 'a;
/// One prediction under test: `(h, grad, output) -> loss`.
type Prediction<'a> = dyn Fn(&[f32], &mut [f32], &SharedMatrix) -> f32 + 'a;

/// `exact(h, rows)` in f64 against a prediction `run(h, grad, output)` that moves `grad` and
/// the output rows by `−lr·∂ℓ/∂(·)`: every coordinate checked by central differences.
fn check_gradient(dim: usize, rows: usize, lr: f32, exact: &ExactLoss, run: &Prediction) {
    let init: Vec<f32> = (0..rows * dim)
        .map(|i| ((i as f32) * 0.173).sin() * 0.5)
        .collect();
    let output = SharedMatrix::from_vec(init.clone(), dim);
    let h: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.51).cos() * 0.4).collect();
    let mut grad = vec![0f32; dim];
    let loss = run(&h, &mut grad, &output);
    let after = output.into_vec();
    let hd: Vec<f64> = h.iter().map(|&x| x as f64).collect();
    let rd: Vec<Vec<f64>> = init
        .chunks(dim)
        .map(|r| r.iter().map(|&x| x as f64).collect())
        .collect();
    assert!(
        (loss as f64 - exact(&hd, &rd)).abs() < 1e-4,
        "loss {loss} vs {}",
        exact(&hd, &rd)
    );
    let eps = 1e-6;
    for i in 0..dim {
        let (mut hp, mut hm) = (hd.clone(), hd.clone());
        hp[i] += eps;
        hm[i] -= eps;
        let d = (exact(&hp, &rd) - exact(&hm, &rd)) / (2.0 * eps);
        assert!((grad[i] as f64 + lr as f64 * d).abs() < 2e-6, "h[{i}]");
        for r in 0..rows {
            let (mut rp, mut rm) = (rd.clone(), rd.clone());
            rp[r][i] += eps;
            rm[r][i] -= eps;
            let d = (exact(&hd, &rp) - exact(&hd, &rm)) / (2.0 * eps);
            let moved = (after[r * dim + i] - init[r * dim + i]) as f64;
            assert!((moved + lr as f64 * d).abs() < 2e-6, "row {r}[{i}]");
        }
    }
}

fn model<'a>(
    input: &'a SharedMatrix,
    output: &'a SharedMatrix,
    noise: &'a NoiseSampler,
    sigmoid: &'a Sigmoid,
    loss: Loss,
    tree: Option<&'a Huffman>,
) -> Model<'a> {
    Model {
        input: Input::plain(input),
        output,
        noise,
        sigmoid,
        negative: 0,
        loss,
        tree,
        shared_negatives: false,
        positive_steps: PositiveSteps::Batch,
        batch_contexts: 0,
        rare: None,
        rare_radius: 0,
    }
}

fn ls(x: f64) -> f64 {
    -(-x).exp().ln_1p()
}

fn dotd(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn hierarchical_softmax_gradient_matches_finite_differences() {
    let counts = [9u64, 7, 5, 3, 2, 1];
    let tree = Huffman::new(&counts);
    let (dim, lr) = (7, 0.01f32);
    let sigmoid = Sigmoid::new();
    let noise = NoiseSampler::new(&counts, 0.75);
    let input = SharedMatrix::zeros(1, dim);
    for target in [0u32, 3, 5] {
        let (path, code) = (tree.path(target as usize), tree.code(target as usize));
        let exact = |h: &[f64], rows: &[Vec<f64>]| -> f64 {
            path.iter()
                .zip(code)
                .map(|(&n, &c)| {
                    let f = dotd(h, &rows[n as usize]);
                    -ls(if c == 0 { f } else { -f })
                })
                .sum()
        };
        check_gradient(dim, tree.inner_nodes(), lr, &exact, &|h, grad, out| {
            let m = model(&input, out, &noise, &sigmoid, Loss::Hs, Some(&tree));
            let mut rows = vec![0.0; dim * tree.max_depth()];
            m.predict_hs(target, h, grad, &mut rows, lr)
        });
    }
}

#[test]
fn full_softmax_gradient_matches_finite_differences() {
    let (dim, v, lr) = (6, 9, 0.02f32);
    let counts = vec![1u64; v];
    let sigmoid = Sigmoid::new();
    let noise = NoiseSampler::new(&counts, 0.75);
    let input = SharedMatrix::zeros(1, dim);
    for target in [0u32, 4, 8] {
        let exact = |h: &[f64], rows: &[Vec<f64>]| -> f64 {
            let s: Vec<f64> = rows.iter().map(|r| dotd(h, r)).collect();
            let max = s.iter().cloned().fold(f64::MIN, f64::max);
            let lse = max + s.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
            lse - s[target as usize]
        };
        check_gradient(dim, v, lr, &exact, &|h, grad, out| {
            let m = model(&input, out, &noise, &sigmoid, Loss::Softmax, None);
            let (mut row, mut scores) = (vec![0.0; dim], vec![0.0; v]);
            m.predict_softmax(target, h, grad, &mut row, &mut scores, lr)
        });
    }
}

#[test]
fn hierarchical_softmax_probabilities_sum_to_one() {
    let counts: Vec<u64> = (1..=50u64).rev().map(|i| i * 3 + i % 7).collect();
    let mut counts = counts;
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let tree = Huffman::new(&counts);
    let dim = 10;
    let mut rng = Rng::new(5, 0);
    let rows: Vec<Vec<f64>> = (0..tree.inner_nodes())
        .map(|_| (0..dim).map(|_| rng.next_f32() as f64 - 0.5).collect())
        .collect();
    for _ in 0..5 {
        let h: Vec<f64> = (0..dim)
            .map(|_| 2.0 * rng.next_f32() as f64 - 1.0)
            .collect();
        let total: f64 = (0..counts.len())
            .map(|w| {
                tree.path(w)
                    .iter()
                    .zip(tree.code(w))
                    .map(|(&n, &c)| {
                        let f = dotd(&h, &rows[n as usize]);
                        ls(if c == 0 { f } else { -f }).exp()
                    })
                    .product::<f64>()
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }
}

/// Skip-gram with the exact softmax on a corpus whose co-occurrences are known learns
/// `p(centre | context)` itself: after "a b", "a b", "a c" (window 1), p(b | a) = 2/3.
#[test]
fn full_softmax_learns_the_co_occurrence_distribution() {
    let (dim, v) = (8, 3);
    let counts = vec![3u64, 2, 1];
    let sigmoid = Sigmoid::new();
    let noise = NoiseSampler::new(&counts, 0.75);
    let init: Vec<f32> = (0..v * dim)
        .map(|i| ((i as f32) * 0.7).sin() * 0.1)
        .collect();
    let input = SharedMatrix::from_vec(init, dim);
    let output = SharedMatrix::zeros(v, dim);
    let m = model(&input, &output, &noise, &sigmoid, Loss::Softmax, None);
    let mut s = Scratch::new(dim, 0, v);
    let mut rng = Rng::new(1, 0);
    let mut acc = LossSum::default();
    let sentences: [&[u32]; 3] = [&[0, 1], &[0, 1], &[0, 2]];
    for epoch in 0..4000 {
        let lr = 0.05 * (1.0 - epoch as f32 / 4000.0) + 1e-4;
        for sent in sentences {
            m.skipgram_sentence(sent, 1, lr, &mut rng, &mut s, &mut acc);
        }
    }
    let (inp, out) = (input.into_vec(), output.into_vec());
    let probs = |ctx: usize| -> Vec<f64> {
        let h = &inp[ctx * dim..(ctx + 1) * dim];
        let sc: Vec<f64> = (0..v)
            .map(|j| dot(h, &out[j * dim..(j + 1) * dim]) as f64)
            .collect();
        let z: f64 = sc.iter().map(|x| x.exp()).sum();
        sc.iter().map(|x| x.exp() / z).collect()
    };
    // Context a predicts b twice and c once; b and c only ever predict a.
    let pa = probs(0);
    assert!((pa[1] - 2.0 / 3.0).abs() < 0.03, "{pa:?}");
    assert!((pa[2] - 1.0 / 3.0).abs() < 0.03, "{pa:?}");
    assert!(pa[0] < 0.03, "{pa:?}");
    assert!(probs(1)[0] > 0.97 && probs(2)[0] > 0.97);
}
