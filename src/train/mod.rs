//! The trainer: vocabulary pass, Hogwild worker threads, learning-rate schedule, progress.

pub mod overlay;
pub mod ring;
pub mod sampler;
pub mod shared;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Barrier, Condvar, Mutex, MutexGuard, RwLock, mpsc};
use std::time::{Duration, Instant};

use crate::config::{Loss, OutputInit, TrainConfig, defaults};
use crate::error::{Error, Result};
use crate::formats::checkpoint::{
    self, Checkpoint, CheckpointPlan, RunState, WorkerState, WorkerTotals,
};
use crate::objective::huffman::Huffman;
use crate::objective::kernels::Sigmoid;
use crate::objective::{LossSum, Model, RARE_CENTRE, RARE_PAIR, Scratch, Window};
use crate::query::embeddings::Embeddings;
use crate::query::eval::AnalogyOptions;
use crate::rng::Rng;
use crate::text::corpus::{Corpus, Shard};
use crate::text::vocab::{Vocab, VocabStats};
use crate::train::overlay::{Layer, Overlay, merge};
use crate::train::sampler::{NoiseSampler, Subsampler};
use crate::train::shared::{OutOfMemory, Rows, SharedMatrix};

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

struct Shared<'a> {
    corpus: &'a Corpus,
    config: &'a TrainConfig,
    vocab: &'a Vocab,
    model: Model<'a>,
    subsampler: Subsampler,
    processed: AtomicU64,
    total_words: u64,
    lr0: f32,
    /// Fraction of the run at `lr0` before the decay starts.
    lr_hold: f32,
    threads: usize,
    stop: AtomicBool,
    /// Set by the coordinator to have every worker park at its next sentence boundary.
    pause: AtomicBool,
    gate: Gate,
    /// Where each worker starts when resuming.
    resume: Option<Vec<WorkerState>>,
    slots: Vec<Slot>,
}

impl Shared<'_> {
    fn lr_at(&self, processed: u64) -> f32 {
        lr_schedule(
            self.lr0,
            self.lr_hold,
            processed as f64 / self.total_words.max(1) as f64,
        )
    }
}

/// The lr once `done` of the run (0..=1) is trained: `lr0` for the first `hold` of the run,
/// then linear down to `lr0 * MIN_LR_FRACTION` at the end (`hold` 0: word2vec.c's schedule).
fn lr_schedule(lr0: f32, hold: f32, done: f64) -> f32 {
    let scale = ((1.0 - done) / (1.0 - hold as f64)).min(1.0);
    lr0 * (scale as f32).max(defaults::MIN_LR_FRACTION)
}

/// Where workers park while a checkpoint is written (a mutex and a condition variable, used
/// only between sentences, never in the training loop itself).
struct Gate {
    inner: Mutex<GateState>,
    cv: Condvar,
}

struct GateState {
    /// Workers parked in this round.
    parked: usize,
    /// Workers whose thread has returned (finished, stopped or failed).
    left: usize,
    /// Bumped to release the parked workers.
    round: u64,
    /// Released workers stop instead of continuing.
    exit: bool,
    /// Each worker's state when it last parked or finished.
    states: Vec<Option<WorkerState>>,
}

impl Gate {
    fn new(threads: usize) -> Self {
        Gate {
            inner: Mutex::new(GateState {
                parked: 0,
                left: 0,
                round: 0,
                exit: false,
                states: vec![None; threads],
            }),
            cv: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A worker parks with its state until released; returns whether it must stop.
    fn park(&self, t: usize, state: WorkerState, pause: &AtomicBool) -> bool {
        let mut g = self.lock();
        // Re-checked under the lock: a release clears `pause` while holding it.
        if !pause.load(Relaxed) {
            return false;
        }
        g.states[t] = Some(state);
        g.parked += 1;
        self.cv.notify_all();
        let round = g.round;
        while g.round == round {
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        g.exit
    }

    /// A worker that finished every epoch records its final state.
    fn record(&self, t: usize, state: WorkerState) {
        self.lock().states[t] = Some(state);
    }

    /// A worker's thread is returning.
    fn leave(&self) {
        self.lock().left += 1;
        self.cv.notify_all();
    }

    /// The coordinator waits until every worker is parked or gone.
    fn wait_all(&self, threads: usize) -> Vec<Option<WorkerState>> {
        let mut g = self.lock();
        while g.parked + g.left < threads {
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        g.states.clone()
    }

    /// Releases the parked workers, to continue or (with `exit`) to stop.
    fn release(&self, exit: bool, pause: &AtomicBool) {
        let mut g = self.lock();
        pause.store(false, Relaxed);
        g.exit = exit;
        g.parked = 0;
        g.round += 1;
        self.cv.notify_all();
    }
}

/// What [`train_with`] takes beyond the settings.
#[derive(Default)]
pub struct TrainOptions<'a> {
    /// Train with this vocabulary instead of counting the corpus.
    pub vocab: Option<Vocab>,
    /// Write checkpoints (and, on interrupt, one last one).
    pub checkpoint: Option<CheckpointPlan>,
    /// Continue the run saved in this checkpoint: its vocabulary, matrices, positions, random
    /// states and learning rate. `config` must be the checkpoint's ([`Checkpoint::config`]).
    pub resume: Option<Checkpoint>,
    /// When this becomes true, training stops within a second: every worker parks at its next
    /// sentence boundary, a checkpoint is written if one is planned, and
    /// [`Error::Interrupted`] is returned.
    pub interrupt: Option<&'a AtomicBool>,
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
    let opts = TrainOptions {
        vocab,
        ..TrainOptions::default()
    };
    train_with(corpus_path, config, opts, progress)
}

/// The coordinator's view of the run: per-epoch losses as threads report them.
struct Tracker {
    /// Per epoch: the loss summed over the threads, in thread order once all have finished it
    /// (so that the sum does not depend on which thread finished first), and their number.
    per_epoch: Vec<(LossSum, usize)>,
    /// Per epoch and thread: a finished thread's loss, waiting for the epoch's last thread.
    pending: Vec<Vec<Option<LossSum>>>,
    epoch_losses: Vec<f64>,
    thread_epoch: Vec<usize>,
    finished: usize,
    totals: WorkerTotals,
    first_error: Option<Error>,
}

/// Trains word vectors, with the options of [`TrainOptions`] (checkpoints, resuming,
/// interruption, a given vocabulary).
pub fn train_with(
    corpus_path: &Path,
    config: &TrainConfig,
    opts: TrainOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutput> {
    config.validate()?;
    let TrainOptions {
        vocab,
        checkpoint: plan,
        resume,
        interrupt,
    } = opts;
    let corpus = Corpus::open(corpus_path)?;
    // Read the monitoring questions now: a missing file fails before any work.
    let questions = match &config.eval_analogies {
        Some(p) => Some((
            p.clone(),
            std::fs::read(p).map_err(|e| Error::io("cannot read analogy questions from", p, e))?,
        )),
        None => None,
    };
    // Stored in checkpoints, so that a resumed run can tell a changed corpus.
    let fingerprint = match (&plan, &resume) {
        (None, None) => None,
        _ => Some(corpus.fingerprint()?),
    };
    let threads = config.effective_threads();
    let dim = config.dim;
    let t0 = Instant::now();
    let (vocab, vstats, resumed) = match (resume, vocab) {
        (Some(ck), _) => {
            let h = &ck.header;
            if &h.config != config {
                return Err(Error::Resume(
                    "the settings differ from the checkpoint's".into(),
                ));
            }
            if h.corpus_len != corpus.file_len() {
                return Err(Error::Resume(format!(
                    "the corpus {} has changed since the checkpoint ({} bytes then, {} now)",
                    corpus_path.display(),
                    h.corpus_len,
                    corpus.file_len()
                )));
            }
            if let Some(then) = h.corpus_fingerprint {
                let now = corpus.fingerprint()?;
                let what = if now.head_tail_fnv != then.head_tail_fnv {
                    Some("its content differs")
                } else if now.modified_ns != then.modified_ns {
                    Some("it was modified (its modification time differs)")
                } else {
                    None
                };
                if let Some(what) = what {
                    return Err(Error::Resume(format!(
                        "the corpus {} has changed since the checkpoint: {what}",
                        corpus_path.display()
                    )));
                }
            }
            if h.run.workers.len() != threads || h.dim != dim {
                return Err(Error::Resume(
                    "the checkpoint's threads or dimension do not match its settings".into(),
                ));
            }
            let stats = h.run.vocab_stats;
            let Checkpoint {
                header,
                vocab,
                input,
                output,
            } = ck;
            (vocab, stats, Some((header, input, output)))
        }
        (None, Some(v)) if v.is_empty() => {
            return Err(Error::EmptyVocab {
                path: corpus_path.to_path_buf(),
                min_count: config.min_count,
                tokens: 0,
            });
        }
        (None, Some(v)) => (v, None, None),
        (None, None) => {
            let never = AtomicBool::new(false);
            let stop = interrupt.unwrap_or(&never);
            let (v, s) = Vocab::build_until(&corpus, config.min_count, config.max_vocab, stop)?;
            (v, Some(s), None)
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

    let tree = match config.loss {
        Loss::Hs => Some(Huffman::new(vocab.counts())),
        _ => None,
    };
    // Output rows: one per word, or one per inner node of the Huffman tree.
    let out_rows = tree.as_ref().map_or(vocab.len(), |t| t.inner_nodes());
    let (input, output, run) = match resumed {
        Some((header, input, output)) => {
            if header.output_rows != out_rows || header.words != vocab.len() {
                return Err(Error::Resume(
                    "the checkpoint's matrices do not fit its vocabulary".into(),
                ));
            }
            if input.dim() != dim || output.dim() != dim {
                return Err(Error::Resume(
                    "the checkpoint's matrices do not fit its settings".into(),
                ));
            }
            (input, output, Some(header.run))
        }
        None => {
            let oom = |what| move |e: OutOfMemory| Error::OutOfMemory { what, bytes: e.0 };
            let mut init_rng = Rng::new(config.seed, u64::MAX);
            let input = SharedMatrix::try_from_fn(vocab.len(), dim, || {
                (init_rng.next_f32() - 0.5) / dim as f32
            })
            .map_err(oom("the input vectors"))?;
            let output = match config.effective_output_init() {
                OutputInit::Zero => SharedMatrix::try_from_fn(out_rows, dim, || 0.0),
                OutputInit::Uniform => SharedMatrix::try_from_fn(out_rows, dim, || {
                    2.0 * (init_rng.next_f32() - 0.5) / dim as f32
                }),
            }
            .map_err(oom("the output vectors"))?;
            (input, output, None)
        }
    };
    let noise = NoiseSampler::new(vocab.counts(), config.ns_power);
    let sigmoid = Sigmoid::new();
    let total = vocab.total() as f64;
    let pair_below = config.effective_rare_full_window() * total;
    let centre_below = config.effective_rare_centre_window() * total;
    let rare: Option<Vec<u8>> = (pair_below > 0.0 || centre_below > 0.0).then(|| {
        vocab
            .counts()
            .iter()
            .map(|&c| {
                let c = c as f64;
                let pair = if c < pair_below { RARE_PAIR } else { 0 };
                let centre = if c < centre_below { RARE_CENTRE } else { 0 };
                pair | centre
            })
            .collect()
    });
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
            rare: rare.as_deref(),
            // Only rare centres widen the window: without them, no wider ring either.
            rare_radius: if centre_below > 0.0 {
                config.effective_rare_centre_radius()
            } else {
                0
            },
        },
        subsampler: Subsampler::new(vocab.counts(), config.sample),
        processed: AtomicU64::new(run.as_ref().map_or(0, |r| r.processed)),
        total_words: vocab.total() * config.epochs as u64,
        lr0: config.effective_lr(),
        lr_hold: config.effective_lr_hold(),
        threads,
        stop: AtomicBool::new(false),
        pause: AtomicBool::new(false),
        gate: Gate::new(threads),
        resume: run.as_ref().map(|r| r.workers.clone()),
        slots: (0..threads).map(|_| Slot::default()).collect(),
    };
    let elapsed_before = run.as_ref().map_or(0.0, |r| r.elapsed);
    let mut tr = Tracker {
        per_epoch: run.as_ref().map_or_else(
            || vec![(LossSum::default(), 0); config.epochs],
            |r| r.per_epoch.clone(),
        ),
        pending: run
            .as_ref()
            .map(|r| r.pending.clone())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| vec![vec![None; threads]; config.epochs]),
        epoch_losses: run
            .as_ref()
            .map_or_else(Vec::new, |r| r.epoch_losses.clone()),
        thread_epoch: shared.resume.as_ref().map_or_else(
            || vec![0; threads],
            |ws| ws.iter().map(|w| w.epoch).collect(),
        ),
        finished: 0,
        totals: WorkerTotals::default(),
        first_error: None,
    };
    if tr.per_epoch.len() != config.epochs
        || tr.pending.len() != config.epochs
        || tr.pending.iter().any(|p| p.len() != threads)
    {
        return Err(Error::Resume(
            "the checkpoint's epoch count does not match its settings".into(),
        ));
    }
    // Called with each message from a worker: sums epoch losses and reports finished epochs.
    let handle = |tr: &mut Tracker,
                  t: usize,
                  msg: Msg,
                  start: Instant,
                  progress: &mut dyn FnMut(&Progress)| {
        match msg {
            Msg::EpochDone { epoch, loss } => {
                tr.thread_epoch[t] = epoch + 1;
                tr.pending[epoch][t] = Some(loss);
                let e = &mut tr.per_epoch[epoch];
                let waiting = tr.pending[epoch].iter().flatten().count();
                if e.1 + waiting == threads {
                    for l in tr.pending[epoch].iter_mut().filter_map(Option::take) {
                        e.0.loss += l.loss;
                        e.0.predictions += l.predictions;
                        e.1 += 1;
                    }
                }
                while tr.epoch_losses.len() < config.epochs
                    && tr.per_epoch[tr.epoch_losses.len()].1 == threads
                {
                    let reported = tr.epoch_losses.len();
                    let (l, _) = tr.per_epoch[reported];
                    let mean = l.loss / l.predictions.max(1) as f64;
                    if !mean.is_finite() && tr.first_error.is_none() {
                        tr.first_error = Some(Error::Diverged {
                            epoch: reported + 1,
                        });
                        shared.stop.store(true, Relaxed);
                    }
                    tr.epoch_losses.push(mean);
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
                        elapsed: elapsed_before + start.elapsed().as_secs_f64(),
                        analogy,
                    });
                }
            }
            Msg::Finished(r) => {
                tr.finished += 1;
                match r {
                    Ok(w) => {
                        tr.totals.tokens += w.tokens;
                        tr.totals.words += w.words;
                        tr.totals.oov += w.oov;
                        tr.totals.subsampled += w.subsampled;
                        tr.totals.long_tokens += w.long_tokens;
                    }
                    Err(e) => {
                        if tr.first_error.is_none() {
                            tr.first_error = Some(e);
                        }
                    }
                }
            }
        }
    };

    // With one thread plain training is already deterministic.
    let rounds = (config.deterministic && threads > 1)
        .then(|| Rounds::new(threads, shared.processed.load(Relaxed)));
    let rounds = &rounds;
    let start = Instant::now();
    let (tx, rx) = mpsc::channel::<(usize, Msg)>();
    std::thread::scope(|s| {
        for t in 0..threads {
            let tx = tx.clone();
            let shared = &shared;
            s.spawn(move || {
                let r = match &rounds {
                    Some(rounds) => run_worker_rounds(shared, rounds, t, &tx),
                    None => run_worker(shared, t, &tx),
                };
                if r.is_err() {
                    shared.stop.store(true, Relaxed);
                }
                let _ = tx.send((t, Msg::Finished(r)));
                shared.gate.leave();
            });
        }
        drop(tx);
        let (mut last_loss, mut last_preds) = (0.0f64, 0u64);
        let mut last_tick = Instant::now();
        let mut last_checkpoint = Instant::now();
        let mut checkpointed_epochs = tr.epoch_losses.len();
        while tr.finished < threads {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok((t, msg)) => handle(&mut tr, t, msg, start, progress),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            let interrupted = interrupt.is_some_and(|f| f.load(Relaxed));
            let due = plan.as_ref().is_some_and(|p| {
                p.every.is_some_and(|e| last_checkpoint.elapsed() >= e)
                    || (p.at_epoch_end
                        && tr.epoch_losses.len() > checkpointed_epochs
                        && tr.epoch_losses.len() < config.epochs)
            });
            if (interrupted || due) && tr.first_error.is_none() && tr.finished < threads {
                // Park every worker between two sentences, collect what they sent before
                // parking, and save the run.
                shared.pause.store(true, Relaxed);
                let states = shared.gate.wait_all(threads);
                while let Ok((t, msg)) = rx.try_recv() {
                    handle(&mut tr, t, msg, start, progress);
                }
                let mut written = None;
                if let (Some(p), None) = (&plan, &tr.first_error) {
                    let workers: Option<Vec<WorkerState>> = states.into_iter().collect();
                    let header = workers.map(|workers| checkpoint::Header {
                        config: TrainConfig {
                            threads: Some(threads),
                            ..config.clone()
                        },
                        corpus: std::path::absolute(corpus_path)
                            .unwrap_or_else(|_| corpus_path.to_path_buf()),
                        corpus_len: corpus.file_len(),
                        corpus_fingerprint: fingerprint,
                        words: vocab.len(),
                        dim,
                        output_rows: out_rows,
                        run: RunState {
                            processed: shared.processed.load(Relaxed),
                            elapsed: elapsed_before + start.elapsed().as_secs_f64(),
                            epoch_losses: tr.epoch_losses.clone(),
                            per_epoch: tr.per_epoch.clone(),
                            pending: tr.pending.clone(),
                            workers,
                            vocab_stats: vstats,
                        },
                        job: p.job.clone(),
                    });
                    if let Some(header) = header {
                        match checkpoint::write(&p.path, &header, &vocab, &input, &output) {
                            Ok(()) => written = Some(p.path.clone()),
                            Err(e) => tr.first_error = Some(e),
                        }
                    }
                }
                if interrupted && tr.first_error.is_none() {
                    tr.first_error = Some(Error::Interrupted {
                        checkpoint: written,
                    });
                }
                let exit = tr.first_error.is_some();
                if exit {
                    shared.stop.store(true, Relaxed);
                }
                shared.gate.release(exit, &shared.pause);
                last_checkpoint = Instant::now();
                checkpointed_epochs = tr.epoch_losses.len();
            }
            if last_tick.elapsed() >= Duration::from_millis(200) && tr.finished < threads {
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
                let epoch = tr.thread_epoch.iter().min().copied().unwrap_or(0) + 1;
                progress(&Progress::Tick {
                    fraction: (processed as f64 / shared.total_words.max(1) as f64).min(1.0),
                    epoch: epoch.min(config.epochs),
                    words_per_sec: processed.saturating_sub(run.as_ref().map_or(0, |r| r.processed))
                        as f64
                        / secs.max(1e-9),
                    lr: shared.lr_at(processed),
                    recent_loss: recent,
                });
            }
        }
    });
    if let Some(e) = tr.first_error {
        return Err(e);
    }
    let train_seconds = elapsed_before + start.elapsed().as_secs_f64();
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
    let totals = tr.totals;
    let stats = TrainStats {
        vocab: vstats,
        tokens_read: totals.tokens,
        words_trained: totals.words,
        oov: totals.oov,
        subsampled: totals.subsampled,
        long_tokens: totals.long_tokens,
        train_seconds,
        words_per_sec: totals.words as f64 / train_seconds.max(1e-9),
        epoch_losses: tr.epoch_losses,
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
    /// Moves the batch's loss into the epoch's and the run's.
    fn fold(&mut self) {
        for acc in [&mut self.epoch, &mut self.run] {
            acc.loss += self.batch.loss;
            acc.predictions += self.batch.predictions;
        }
        self.batch = LossSum::default();
    }

    /// Folds the batch and shows the run's loss in `slot` (for progress reports).
    fn publish(&mut self, slot: &Slot) {
        self.fold();
        slot.loss_bits.store(self.run.loss.to_bits(), Relaxed);
        slot.predictions.store(self.run.predictions, Relaxed);
    }

    /// Publishes progress to the shared counter and the worker's slot; returns the new lr.
    fn sync(&mut self, sh: &Shared, slot: &Slot) -> f32 {
        let processed = sh.processed.fetch_add(self.unsynced, Relaxed) + self.unsynced;
        self.unsynced = 0;
        self.publish(slot);
        sh.lr_at(processed)
    }
}

/// A worker's own state: where it is, its random numbers, its counters and its buffers.
struct Worker {
    t: usize,
    epoch: usize,
    /// Its shard of the current epoch (`None` after the last epoch).
    shard: Option<Shard>,
    rng: Rng,
    lr: f32,
    tally: Tally,
    totals: WorkerTotals,
    scratch: Scratch,
    sentence: Vec<u32>,
    kept: Vec<u32>,
}

/// What one call of [`Worker::step`] did.
enum Step {
    /// Trained on a sentence of this many in-vocabulary words.
    Trained(u64),
    /// Finished an epoch.
    EpochEnd,
    /// Has finished every epoch.
    Done,
}

impl Worker {
    /// Worker `t`, fresh or as it was parked in the checkpoint being resumed.
    fn new(sh: &Shared, t: usize) -> Result<Self> {
        let cfg = sh.config;
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
        let mut w = Worker {
            t,
            epoch: 0,
            shard: None,
            rng: Rng::new(cfg.seed, t as u64),
            lr: sh.lr_at(sh.processed.load(Relaxed)),
            tally: Tally::default(),
            totals: WorkerTotals::default(),
            scratch,
            sentence: Vec::with_capacity(defaults::MAX_SENTENCE_TOKENS),
            kept: Vec::with_capacity(defaults::MAX_SENTENCE_TOKENS),
        };
        let mut pos = None;
        if let Some(s) = sh.resume.as_ref().map(|ws| ws[t].clone()) {
            w.epoch = s.epoch;
            pos = Some(s.pos);
            w.rng = Rng::from_state(s.rng);
            w.lr = s.lr;
            w.tally = Tally {
                unsynced: s.unsynced,
                batch: s.batch,
                epoch: s.epoch_loss,
                run: s.run_loss,
            };
            w.totals = s.totals;
        }
        if w.epoch < cfg.epochs {
            w.shard = Some(match pos {
                Some(p) => sh.corpus.shard_at(t, sh.threads, &p)?,
                None => sh.corpus.shard(t, sh.threads)?,
            });
        }
        Ok(w)
    }

    /// Its state, for a checkpoint.
    fn state(&self) -> WorkerState {
        WorkerState {
            epoch: self.epoch,
            pos: self.shard.as_ref().map(Shard::position).unwrap_or_default(),
            rng: self.rng.state(),
            lr: self.lr,
            unsynced: self.tally.unsynced,
            batch: self.tally.batch,
            epoch_loss: self.tally.epoch,
            run_loss: self.tally.run,
            totals: self.totals,
        }
    }

    /// Reads the next sentence of its shard, subsamples it and trains `model` on it at the
    /// current lr; at the end of the shard, closes the epoch (counters, loss message).
    fn step<M: Rows>(
        &mut self,
        sh: &Shared,
        model: &Model<M>,
        tx: &mpsc::Sender<(usize, Msg)>,
    ) -> Result<Step> {
        let cfg = sh.config;
        let Some(shard) = &mut self.shard else {
            return Ok(Step::Done);
        };
        if !shard.next_sentence(
            |w| sh.vocab.id(w),
            defaults::MAX_SENTENCE_TOKENS,
            &mut self.sentence,
        )? {
            let st = shard.stats();
            let totals = &mut self.totals;
            totals.tokens += st.tokens;
            totals.oov += st.oov;
            totals.long_tokens += st.long_tokens;
            totals.words += st.tokens - st.oov - st.long_tokens;
            self.tally.fold();
            let loss = std::mem::take(&mut self.tally.epoch);
            let _ = tx.send((
                self.t,
                Msg::EpochDone {
                    epoch: self.epoch,
                    loss,
                },
            ));
            self.epoch += 1;
            self.shard = None;
            if self.epoch < cfg.epochs {
                self.shard = Some(sh.corpus.shard(self.t, sh.threads)?);
            }
            return Ok(Step::EpochEnd);
        }
        let rng = &mut self.rng;
        self.kept.clear();
        self.kept.extend(
            self.sentence
                .iter()
                .copied()
                .filter(|&id| sh.subsampler.keep(id, rng)),
        );
        self.totals.subsampled += (self.sentence.len() - self.kept.len()) as u64;
        model.train_sentence(
            cfg.model,
            &self.kept,
            cfg.window,
            self.lr,
            rng,
            &mut self.scratch,
            &mut self.tally.batch,
        );
        Ok(Step::Trained(self.sentence.len() as u64))
    }
}

/// A Hogwild worker: trains on its shard, epoch after epoch, updating the shared matrices in
/// place, parking between sentences when the coordinator asks.
fn run_worker(sh: &Shared, t: usize, tx: &mpsc::Sender<(usize, Msg)>) -> Result<WorkerTotals> {
    let mut w = Worker::new(sh, t)?;
    let slot = &sh.slots[t];
    loop {
        if sh.pause.load(Relaxed) && sh.gate.park(t, w.state(), &sh.pause) {
            return Ok(w.totals);
        }
        if sh.stop.load(Relaxed) {
            return Ok(w.totals);
        }
        match w.step(sh, &sh.model, tx)? {
            Step::Trained(words) => {
                w.tally.unsynced += words;
                if w.tally.unsynced >= SYNC_WORDS {
                    w.lr = w.tally.sync(sh, slot);
                    if !w.tally.run.loss.is_finite() {
                        return Err(Error::Diverged { epoch: w.epoch + 1 });
                    }
                }
            }
            Step::EpochEnd => w.lr = w.tally.sync(sh, slot),
            Step::Done => break,
        }
    }
    sh.gate.record(t, w.state());
    Ok(w.totals)
}

/// Words each thread reads per round in deterministic mode: a 32nd of its share of an epoch,
/// between 1,000 and [`MAX_ROUND_WORDS`] (a function of the corpus and the settings only, so
/// that a run and its resumption cut the same rounds).
fn round_words(tokens_per_epoch: u64, threads: usize) -> u64 {
    (tokens_per_epoch / threads as u64 / 32).clamp(1_000, MAX_ROUND_WORDS)
}

/// The longest round (measured in `benchsuite/NOTES.md`: longer rounds wait less at the barriers,
/// shorter ones see the other threads' updates sooner).
const MAX_ROUND_WORDS: u64 = 200_000;

/// What every thread does after a round, decided by one of them between the two barriers.
const CONTINUE: u8 = 0;
const PARK: u8 = 1;
const EXIT: u8 = 2;
const FINISH: u8 = 3;

/// The meeting points of deterministic training ([`crate::train::overlay`]).
struct Rounds {
    barrier: Barrier,
    /// Each thread's layers (input, output), published for the merge.
    layers: Vec<RwLock<[Layer; 2]>>,
    /// Each thread has finished every epoch.
    done: Vec<AtomicBool>,
    decision: AtomicU8,
    /// The shared word counter when training (or the resumed run) began: the first round's
    /// base. Taken before any worker starts; a worker reading the counter itself could see
    /// another's first round already added when it starts late (seen under load: a 2-thread
    /// `--deterministic` run that differed from its twin from the first epoch on).
    start: u64,
}

impl Rounds {
    fn new(threads: usize, start: u64) -> Self {
        Rounds {
            start,
            barrier: Barrier::new(threads),
            layers: (0..threads).map(|_| RwLock::default()).collect(),
            done: (0..threads).map(|_| AtomicBool::new(false)).collect(),
            decision: AtomicU8::new(CONTINUE),
        }
    }
}

/// A deterministic worker (see [`crate::train::overlay`]): trains [`ROUND_WORDS`] words into its own
/// layers, then meets the others to merge them in thread order. Its lr follows the words read
/// by all threads before the round plus its own in the round times the thread count, so it too
/// is independent of timing.
fn run_worker_rounds(
    sh: &Shared,
    rounds: &Rounds,
    t: usize,
    tx: &mpsc::Sender<(usize, Msg)>,
) -> Result<WorkerTotals> {
    let mut w = match Worker::new(sh, t) {
        Ok(w) => w,
        Err(e) => {
            // Meet the others for one round, so that they stop too.
            sh.stop.store(true, Relaxed);
            if rounds.barrier.wait().is_leader() {
                rounds.decision.store(EXIT, Relaxed);
            }
            rounds.barrier.wait();
            return Err(e);
        }
    };
    let slot = &sh.slots[t];
    let (input, output) = (sh.model.input, sh.model.output);
    let mut layers = [
        Layer::new(input.rows(), input.dim()),
        Layer::new(output.rows(), output.dim()),
    ];
    let (mut buf, mut acc) = (vec![0.0f32; input.dim()], vec![0.0f32; input.dim()]);
    let threads = sh.threads as u64;
    let mut base = rounds.start;
    let round = round_words(sh.vocab.total(), sh.threads);
    let mut failure = None;
    loop {
        let mut words = 0;
        if failure.is_none() {
            let [li, lo] = std::mem::take(&mut layers);
            let (oi, oo) = (Overlay::new(input, li), Overlay::new(output, lo));
            let model = sh.model.with_rows(&oi, &oo);
            let r = loop {
                if words >= round {
                    break Ok(());
                }
                w.lr = sh.lr_at(base + words * threads);
                match w.step(sh, &model, tx) {
                    Ok(Step::Trained(n)) => words += n,
                    Ok(Step::EpochEnd) => {}
                    Ok(Step::Done) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            layers = [oi.into_layer(), oo.into_layer()];
            w.tally.publish(slot);
            if r.is_ok() && !w.tally.run.loss.is_finite() {
                failure = Some(Error::Diverged { epoch: w.epoch + 1 });
            }
            if let Err(e) = r {
                failure = Some(e);
            }
            if failure.is_some() {
                sh.stop.store(true, Relaxed);
            }
        }
        sh.processed.fetch_add(words, Relaxed);
        rounds.done[t].store(w.epoch >= sh.config.epochs, Relaxed);
        *rounds.layers[t].write().unwrap_or_else(|e| e.into_inner()) = layers;
        // Every layer is published and the counter is final for this round.
        let leader = rounds.barrier.wait().is_leader();
        base = sh.processed.load(Relaxed);
        {
            let all: Vec<_> = (rounds.layers.iter())
                .map(|l| l.read().unwrap_or_else(|e| e.into_inner()))
                .collect();
            for (m, base) in [input, output].into_iter().enumerate() {
                let layers = all.iter().map(|l| &l[m]);
                merge(base, layers, t, sh.threads, &mut buf, &mut acc);
            }
        }
        if leader {
            let d = if sh.stop.load(Relaxed) {
                EXIT
            } else if sh.pause.load(Relaxed) {
                PARK
            } else if rounds.done.iter().all(|d| d.load(Relaxed)) {
                FINISH
            } else {
                CONTINUE
            };
            rounds.decision.store(d, Relaxed);
        }
        // The merge is complete and the decision made.
        rounds.barrier.wait();
        let decision = rounds.decision.load(Relaxed);
        layers = std::mem::take(&mut *rounds.layers[t].write().unwrap_or_else(|e| e.into_inner()));
        layers.iter_mut().for_each(Layer::clear);
        match decision {
            EXIT => return failure.map_or(Ok(w.totals), Err),
            FINISH => break,
            PARK if sh.gate.park(t, w.state(), &sh.pause) => return Ok(w.totals),
            _ => {}
        }
    }
    sh.gate.record(t, w.state());
    Ok(w.totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lr_schedule_holds_then_decays_linearly_to_the_floor() {
        let close = |a: f32, b: f32| (a - b).abs() < 1e-7;
        // hold 0: word2vec.c's linear decay from the first word.
        assert!(close(lr_schedule(0.025, 0.0, 0.0), 0.025));
        assert!(close(lr_schedule(0.025, 0.0, 0.5), 0.0125));
        assert!(close(lr_schedule(0.025, 0.0, 0.75), 0.00625));
        // hold 0.5: the starting lr for the first half, then linear to the floor.
        assert!(close(lr_schedule(0.025, 0.5, 0.0), 0.025));
        assert!(close(lr_schedule(0.025, 0.5, 0.4), 0.025));
        assert!(close(lr_schedule(0.025, 0.5, 0.5), 0.025));
        assert!(close(lr_schedule(0.025, 0.5, 0.75), 0.0125));
        assert!(close(lr_schedule(0.025, 0.5, 0.9), 0.005));
        for hold in [0.0, 0.5, 0.9] {
            let floor = 0.025 * defaults::MIN_LR_FRACTION;
            assert!(close(lr_schedule(0.025, hold, 1.0), floor));
            // Past the end (a resumed run may overshoot by a sentence): still the floor.
            assert!(close(lr_schedule(0.025, hold, 1.01), floor));
        }
    }
}
