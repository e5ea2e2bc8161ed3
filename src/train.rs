//! The trainer: vocabulary pass, Hogwild worker threads, learning-rate schedule, progress.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::config::{Loss, ModelKind, OutputInit, TrainConfig, defaults};
use crate::corpus::Corpus;
use crate::embeddings::Embeddings;
use crate::error::{Error, Result};
use crate::eval::AnalogyOptions;
use crate::huffman::Huffman;
use crate::kernels::Sigmoid;
use crate::model::{LossSum, Model, Scratch, Window};
use crate::rng::Rng;
use crate::sampler::{NoiseSampler, Subsampler};
use crate::shared::SharedMatrix;
use crate::vocab::{Vocab, VocabStats};

/// Words a worker processes between updates of the shared progress counter and its lr.
const SYNC_WORDS: u64 = 10_000;

/// A progress event, delivered to the callback on the thread that called [`train`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Progress {
    /// The vocabulary is ready; training starts.
    VocabReady {
        /// Words in the vocabulary.
        words: usize,
        /// Training tokens per epoch (sum of vocabulary counts).
        tokens_per_epoch: u64,
        /// What the counting pass saw.
        stats: VocabStats,
        /// Seconds spent counting.
        seconds: f64,
    },
    /// Periodic update while training (about every 200 ms).
    Tick {
        /// Fraction of all epochs done, in `[0, 1]`.
        fraction: f64,
        /// The epoch the slowest thread is in (1-based).
        epoch: usize,
        /// Training words per second since training started.
        words_per_sec: f64,
        /// The learning rate now.
        lr: f32,
        /// Mean loss per prediction since the previous tick, if any were made.
        recent_loss: Option<f64>,
    },
    /// Every thread has finished an epoch.
    EpochEnd {
        /// 1-based epoch.
        epoch: usize,
        /// Exact mean loss per prediction over the epoch (summed in f64 over all threads).
        loss: f64,
        /// Number of predictions in the epoch.
        predictions: u64,
        /// Seconds since training started.
        elapsed: f64,
        /// Analogy accuracy of the input vectors as they stand when the epoch's last thread
        /// finishes it (only with `eval_analogies`; other threads may have started the next
        /// epoch by then).
        analogy: Option<f64>,
    },
}

/// Counters of a finished run.
#[derive(Clone, Debug, Default)]
pub struct TrainStats {
    /// What the counting pass saw (absent when a vocabulary was supplied).
    pub vocab: Option<VocabStats>,
    /// Tokens read over all epochs.
    pub tokens_read: u64,
    /// In-vocabulary tokens read over all epochs (the lr schedule's clock).
    pub words_trained: u64,
    /// Tokens not in the vocabulary, over all epochs.
    pub oov: u64,
    /// Words removed by subsampling, over all epochs.
    pub subsampled: u64,
    /// Tokens skipped as too long, over all epochs.
    pub long_tokens: u64,
    /// Seconds spent training (after the vocabulary pass).
    pub train_seconds: f64,
    /// `words_trained / train_seconds`.
    pub words_per_sec: f64,
    /// Mean loss per prediction of every epoch.
    pub epoch_losses: Vec<f64>,
}

/// The result of [`train`].
pub struct TrainOutput {
    /// The input vectors, one per vocabulary word, in vocabulary order.
    pub embeddings: Embeddings,
    /// The vocabulary with its counts.
    pub vocab: Vocab,
    /// Counters.
    pub stats: TrainStats,
}

/// Per-thread progress, written only by its worker.
#[derive(Default)]
struct Slot {
    loss_bits: AtomicU64,
    predictions: AtomicU64,
}

enum Msg {
    EpochDone { epoch: usize, loss: LossSum },
    Finished(Result<WorkerTotals>),
}

#[derive(Default, Clone, Copy)]
struct WorkerTotals {
    tokens: u64,
    words: u64,
    oov: u64,
    subsampled: u64,
    long_tokens: u64,
}

struct Shared<'a> {
    corpus: &'a Corpus,
    config: &'a TrainConfig,
    vocab: &'a Vocab,
    model: Model<'a>,
    subsampler: Subsampler,
    processed: AtomicU64,
    total_words: u64,
    lr0: f32,
    threads: usize,
    stop: AtomicBool,
    slots: Vec<Slot>,
}

impl Shared<'_> {
    fn lr_at(&self, processed: u64) -> f32 {
        let left = 1.0 - processed as f64 / self.total_words.max(1) as f64;
        self.lr0 * (left as f32).max(defaults::MIN_LR_FRACTION)
    }
}

/// Trains word vectors on the corpus at `corpus_path`.
///
/// With `vocab = None` the vocabulary is counted from the corpus first. `progress` is called on
/// this thread; the library never prints.
pub fn train(
    corpus_path: &Path,
    config: &TrainConfig,
    vocab: Option<Vocab>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutput> {
    config.validate()?;
    let corpus = Corpus::open(corpus_path)?;
    // Read the monitoring questions now: a missing file fails before any work.
    let questions = match &config.eval_analogies {
        Some(p) => Some((
            p.clone(),
            std::fs::read(p).map_err(|e| Error::io("cannot read analogy questions from", p, e))?,
        )),
        None => None,
    };
    let t0 = Instant::now();
    let (vocab, vstats) = match vocab {
        Some(v) if v.is_empty() => {
            return Err(Error::EmptyVocab {
                path: corpus_path.to_path_buf(),
                min_count: config.min_count,
                tokens: 0,
            });
        }
        Some(v) => (v, None),
        None => {
            let (v, s) = Vocab::build(&corpus, config.min_count, config.max_vocab)?;
            (v, Some(s))
        }
    };
    if config.loss == Loss::Hs && vocab.len() < 2 {
        return Err(Error::config(
            "loss",
            "hierarchical softmax needs at least 2 words in the vocabulary",
        ));
    }
    progress(&Progress::VocabReady {
        words: vocab.len(),
        tokens_per_epoch: vocab.total(),
        stats: vstats.unwrap_or_default(),
        seconds: t0.elapsed().as_secs_f64(),
    });

    let dim = config.dim;
    let threads = config.effective_threads();
    let mut init_rng = Rng::new(config.seed, u64::MAX);
    let input = SharedMatrix::from_fn(vocab.len(), dim, || {
        (init_rng.next_f32() - 0.5) / dim as f32
    });
    let tree = match config.loss {
        Loss::Hs => Some(Huffman::new(vocab.counts())),
        _ => None,
    };
    // Output rows: one per word, or one per inner node of the Huffman tree.
    let out_rows = tree.as_ref().map_or(vocab.len(), |t| t.inner_nodes());
    let output = match config.effective_output_init() {
        OutputInit::Zero => SharedMatrix::zeros(out_rows, dim),
        OutputInit::Uniform => SharedMatrix::from_fn(out_rows, dim, || {
            2.0 * (init_rng.next_f32() - 0.5) / dim as f32
        }),
    };
    let noise = NoiseSampler::new(vocab.counts(), config.ns_power);
    let sigmoid = Sigmoid::new();
    let shared = Shared {
        corpus: &corpus,
        config,
        vocab: &vocab,
        model: Model {
            input: &input,
            output: &output,
            noise: &noise,
            sigmoid: &sigmoid,
            negative: if config.loss == Loss::Ns {
                config.negative
            } else {
                0
            },
            loss: config.loss,
            tree: tree.as_ref(),
            shared_negatives: config.shared_negatives,
        },
        subsampler: Subsampler::new(vocab.counts(), config.sample),
        processed: AtomicU64::new(0),
        total_words: vocab.total() * config.epochs as u64,
        lr0: config.effective_lr(),
        threads,
        stop: AtomicBool::new(false),
        slots: (0..threads).map(|_| Slot::default()).collect(),
    };

    let start = Instant::now();
    let (tx, rx) = mpsc::channel::<(usize, Msg)>();
    let mut totals = WorkerTotals::default();
    let mut epoch_losses = Vec::new();
    let mut first_error: Option<Error> = None;
    std::thread::scope(|s| {
        for t in 0..threads {
            let tx = tx.clone();
            let shared = &shared;
            s.spawn(move || {
                let r = run_worker(shared, t, &tx);
                if r.is_err() {
                    shared.stop.store(true, Relaxed);
                }
                let _ = tx.send((t, Msg::Finished(r)));
            });
        }
        drop(tx);
        let mut per_epoch = vec![(LossSum::default(), 0usize); config.epochs];
        let mut thread_epoch = vec![0usize; threads];
        let mut reported = 0usize;
        let mut finished = 0usize;
        let (mut last_loss, mut last_preds) = (0.0f64, 0u64);
        let mut last_tick = Instant::now();
        while finished < threads {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok((t, Msg::EpochDone { epoch, loss })) => {
                    thread_epoch[t] = epoch + 1;
                    let e = &mut per_epoch[epoch];
                    e.0.loss += loss.loss;
                    e.0.predictions += loss.predictions;
                    e.1 += 1;
                    while reported < config.epochs && per_epoch[reported].1 == threads {
                        let (l, _) = per_epoch[reported];
                        let mean = l.loss / l.predictions.max(1) as f64;
                        if !mean.is_finite() && first_error.is_none() {
                            first_error = Some(Error::Diverged {
                                epoch: reported + 1,
                            });
                            shared.stop.store(true, Relaxed);
                        }
                        epoch_losses.push(mean);
                        let analogy = questions.as_ref().map(|q| {
                            let mut data = vec![0.0f32; vocab.len() * dim];
                            for (r, row) in data.chunks_exact_mut(dim).enumerate() {
                                input.read_row(r, row);
                            }
                            let e = Embeddings::new(vocab.words().to_vec(), dim, data);
                            let opts = AnalogyOptions::default();
                            e.evaluate_analogies_text(&q.0, &q.1, &opts)
                                .map_or(f64::NAN, |r| r.accuracy())
                        });
                        progress(&Progress::EpochEnd {
                            epoch: reported + 1,
                            loss: mean,
                            predictions: l.predictions,
                            elapsed: start.elapsed().as_secs_f64(),
                            analogy,
                        });
                        reported += 1;
                    }
                }
                Ok((_, Msg::Finished(r))) => {
                    finished += 1;
                    match r {
                        Ok(w) => {
                            totals.tokens += w.tokens;
                            totals.words += w.words;
                            totals.oov += w.oov;
                            totals.subsampled += w.subsampled;
                            totals.long_tokens += w.long_tokens;
                        }
                        Err(e) => {
                            if first_error.is_none() {
                                first_error = Some(e);
                            }
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if last_tick.elapsed() >= Duration::from_millis(200) && finished < threads {
                last_tick = Instant::now();
                let processed = shared.processed.load(Relaxed);
                let (mut loss, mut preds) = (0.0, 0u64);
                for slot in &shared.slots {
                    loss += f64::from_bits(slot.loss_bits.load(Relaxed));
                    preds += slot.predictions.load(Relaxed);
                }
                let recent =
                    (preds > last_preds).then(|| (loss - last_loss) / (preds - last_preds) as f64);
                (last_loss, last_preds) = (loss, preds);
                let secs = start.elapsed().as_secs_f64();
                progress(&Progress::Tick {
                    fraction: (processed as f64 / shared.total_words.max(1) as f64).min(1.0),
                    epoch: (thread_epoch.iter().min().copied().unwrap_or(0) + 1).min(config.epochs),
                    words_per_sec: processed as f64 / secs.max(1e-9),
                    lr: shared.lr_at(processed),
                    recent_loss: recent,
                });
            }
        }
    });
    if let Some(e) = first_error {
        return Err(e);
    }
    let train_seconds = start.elapsed().as_secs_f64();
    // Free the output matrix before copying the input out, so the copy does not raise the
    // peak memory above the two training matrices.
    drop(shared);
    drop(output);
    let data = input.into_vec();
    if data.iter().any(|x| !x.is_finite()) {
        return Err(Error::Diverged {
            epoch: config.epochs,
        });
    }
    let stats = TrainStats {
        vocab: vstats,
        tokens_read: totals.tokens,
        words_trained: totals.words,
        oov: totals.oov,
        subsampled: totals.subsampled,
        long_tokens: totals.long_tokens,
        train_seconds,
        words_per_sec: totals.words as f64 / train_seconds.max(1e-9),
        epoch_losses,
    };
    let embeddings = Embeddings::new(vocab.words().to_vec(), dim, data);
    Ok(TrainOutput {
        embeddings,
        vocab,
        stats,
    })
}

/// A worker's loss and word counts not yet published, and its running totals.
#[derive(Default)]
struct Tally {
    /// Words read since the last publication.
    unsynced: u64,
    /// Loss since the last publication.
    batch: LossSum,
    /// Loss of the current epoch.
    epoch: LossSum,
    /// Loss of the whole run.
    run: LossSum,
}

impl Tally {
    /// Publishes progress to the shared counter and the worker's slot; returns the new lr.
    fn sync(&mut self, sh: &Shared, slot: &Slot) -> f32 {
        let processed = sh.processed.fetch_add(self.unsynced, Relaxed) + self.unsynced;
        self.unsynced = 0;
        for acc in [&mut self.epoch, &mut self.run] {
            acc.loss += self.batch.loss;
            acc.predictions += self.batch.predictions;
        }
        self.batch = LossSum::default();
        slot.loss_bits.store(self.run.loss.to_bits(), Relaxed);
        slot.predictions.store(self.run.predictions, Relaxed);
        sh.lr_at(processed)
    }
}

fn run_worker(sh: &Shared, t: usize, tx: &mpsc::Sender<(usize, Msg)>) -> Result<WorkerTotals> {
    let cfg = sh.config;
    let mut rng = Rng::new(cfg.seed, t as u64);
    let softmax_words = if cfg.loss == Loss::Softmax {
        sh.vocab.len()
    } else {
        0
    };
    let mut scratch = Scratch::new(cfg.dim, sh.model.negative, softmax_words);
    if let Some(tree) = sh.model.tree {
        scratch.path = vec![0.0; tree.max_depth() * cfg.dim];
    }
    if sh.model.shared_negatives {
        scratch.window = Window::new(cfg.dim, sh.model.negative, cfg.window);
    }
    let mut sentence = Vec::with_capacity(defaults::MAX_SENTENCE_TOKENS);
    let mut kept = Vec::with_capacity(defaults::MAX_SENTENCE_TOKENS);
    let mut totals = WorkerTotals::default();
    let mut tally = Tally::default();
    let mut lr = sh.lr_at(sh.processed.load(Relaxed));
    let slot = &sh.slots[t];
    let train_sentence = match cfg.model {
        ModelKind::SkipGram => Model::skipgram_sentence,
        ModelKind::Cbow => Model::cbow_sentence,
    };
    for epoch in 0..cfg.epochs {
        let mut shard = sh.corpus.shard(t, sh.threads)?;
        while shard.next_sentence(
            |w| sh.vocab.id(w),
            defaults::MAX_SENTENCE_TOKENS,
            &mut sentence,
        )? {
            if sh.stop.load(Relaxed) {
                return Ok(totals);
            }
            kept.clear();
            kept.extend(
                sentence
                    .iter()
                    .copied()
                    .filter(|&id| sh.subsampler.keep(id, &mut rng)),
            );
            totals.subsampled += (sentence.len() - kept.len()) as u64;
            train_sentence(
                &sh.model,
                &kept,
                cfg.window,
                lr,
                &mut rng,
                &mut scratch,
                &mut tally.batch,
            );
            tally.unsynced += sentence.len() as u64;
            if tally.unsynced >= SYNC_WORDS {
                lr = tally.sync(sh, slot);
                if !tally.run.loss.is_finite() {
                    return Err(Error::Diverged { epoch: epoch + 1 });
                }
            }
        }
        lr = tally.sync(sh, slot);
        let st = shard.stats();
        totals.tokens += st.tokens;
        totals.oov += st.oov;
        totals.long_tokens += st.long_tokens;
        totals.words += st.tokens - st.oov - st.long_tokens;
        let loss = std::mem::take(&mut tally.epoch);
        let _ = tx.send((t, Msg::EpochDone { epoch, loss }));
    }
    Ok(totals)
}
