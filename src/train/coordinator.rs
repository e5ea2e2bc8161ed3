//! The coordinating thread: starts the workers, sums their per-epoch losses in a fixed order,
//! reports progress, writes checkpoints (parking every worker between two sentences first),
//! and turns an interrupt into a checkpoint and [`Error::Interrupted`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::config::{RunConfig, TrainConfig};
use crate::error::{Error, Result};
use crate::formats::checkpoint::{self, CheckpointPlan, RunState, WorkerState, WorkerTotals};
use crate::objective::LossSum;
use crate::query::embeddings::Embeddings;
use crate::query::eval::AnalogyOptions;
use crate::text::corpus::Fingerprint;
use crate::text::vocab::{Vocab, VocabStats};
use crate::train::Progress;
use crate::train::distributed::{Cluster, Replica, Status};
use crate::train::gate::Gate;
use crate::train::hogwild::{Rows, SharedMatrix};
use crate::train::rounds::{Rounds, run_worker_rounds};
use crate::train::worker::{Msg, Shared, run_worker};

/// The coordinator's view of the run: per-epoch losses as threads report them.
pub(super) struct Tracker {
    /// Per epoch: the loss summed over the threads, in thread order once all have finished it
    /// (so that the sum does not depend on which thread finished first), and their number.
    per_epoch: Vec<(LossSum, usize)>,
    /// Per epoch and thread: a finished thread's loss, waiting for the epoch's last thread.
    pending: Vec<Vec<Option<LossSum>>>,
    pub(super) epoch_losses: Vec<f64>,
    thread_epoch: Vec<usize>,
    finished: usize,
    pub(super) totals: WorkerTotals,
    pub(super) first_error: Option<Error>,
}

impl Tracker {
    /// A fresh run's tracker, or the resumed run's as its checkpoint saved it.
    pub(super) fn new(epochs: usize, threads: usize, run: Option<&RunState>) -> Result<Self> {
        let tr = Tracker {
            per_epoch: run.map_or_else(
                || vec![(LossSum::default(), 0); epochs],
                |r| r.per_epoch.clone(),
            ),
            pending: run
                .map(|r| r.pending.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| vec![vec![None; threads]; epochs]),
            epoch_losses: run.map_or_else(Vec::new, |r| r.epoch_losses.clone()),
            thread_epoch: run.map_or_else(
                || vec![0; threads],
                |r| r.workers.iter().map(|w| w.epoch).collect(),
            ),
            finished: 0,
            totals: WorkerTotals::default(),
            first_error: None,
        };
        if tr.per_epoch.len() != epochs
            || tr.pending.len() != epochs
            || tr.pending.iter().any(|p| p.len() != threads)
        {
            return Err(Error::Resume(
                "the checkpoint's epoch count does not match its settings".into(),
            ));
        }
        Ok(tr)
    }

    /// Records thread `t`'s loss for `epoch`; once every thread has finished that epoch, adds
    /// the pending losses in thread order.
    fn epoch_done(&mut self, t: usize, epoch: usize, loss: LossSum, threads: usize) {
        self.thread_epoch[t] = epoch + 1;
        self.pending[epoch][t] = Some(loss);
        let e = &mut self.per_epoch[epoch];
        let waiting = self.pending[epoch].iter().flatten().count();
        if e.1 + waiting == threads {
            for l in self.pending[epoch].iter_mut().filter_map(Option::take) {
                e.0.loss += l.loss;
                e.0.predictions += l.predictions;
                e.1 += 1;
            }
        }
    }

    /// A worker's thread has returned.
    fn worker_finished(&mut self, r: Result<WorkerTotals>) {
        self.finished += 1;
        match r {
            Ok(w) => {
                self.totals.tokens += w.tokens;
                self.totals.words += w.words;
                self.totals.oov += w.oov;
                self.totals.subsampled += w.subsampled;
                self.totals.long_tokens += w.long_tokens;
            }
            Err(e) => {
                if self.first_error.is_none() {
                    self.first_error = Some(e);
                }
            }
        }
    }
}

/// What a checkpoint records about the run beyond the workers' and the tracker's state.
pub(super) struct RunInfo {
    /// The corpus, as an absolute path where it can be made one.
    pub(super) corpus: PathBuf,
    pub(super) corpus_len: u64,
    /// Where the tokenised copy is kept (`--tokens-dir`), for the checkpoint's run options.
    pub(super) tokens_dir: Option<PathBuf>,
    /// `--id-cache-mib`, for the same.
    pub(super) id_cache_mib: Option<u64>,
    pub(super) fingerprint: Option<Fingerprint>,
    pub(super) output_rows: usize,
    pub(super) vocab_stats: Option<VocabStats>,
    /// Seconds trained before this run was resumed (0 for a fresh run).
    pub(super) elapsed_before: f64,
    /// The shared word counter when this run (or its resumption) began.
    pub(super) processed_before: u64,
}

/// The coordinator: everything it reads while the workers run.
pub(super) struct Coordinator<'r, 'a> {
    pub(super) sh: &'r Shared<'a>,
    pub(super) config: &'a TrainConfig,
    pub(super) vocab: &'a Vocab,
    pub(super) input: &'a SharedMatrix,
    pub(super) output: &'a SharedMatrix,
    /// Analogy questions scored at every epoch's end (`eval_analogies`): path and contents.
    pub(super) questions: Option<&'a (PathBuf, Vec<u8>)>,
    pub(super) plan: Option<&'a CheckpointPlan>,
    pub(super) interrupt: Option<&'a AtomicBool>,
    /// `--deterministic`: train in rounds ([`crate::train::rounds`]).
    pub(super) deterministic: bool,
    /// The MPI ranks training this model with this one (just this process without MPI).
    pub(super) cluster: &'a Cluster,
    /// With several ranks: words this rank trains between two syncs.
    pub(super) sync_every: u64,
    pub(super) info: RunInfo,
}

/// Calls [`Gate::leave`] when dropped.
struct Leave<'g>(&'g Gate);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// The coordinator's clocks and the loss last reported by a tick.
struct Clocks {
    start: Instant,
    last_tick: Instant,
    last_checkpoint: Instant,
    checkpointed_epochs: usize,
    last_loss: f64,
    last_predictions: u64,
}

impl Coordinator<'_, '_> {
    /// The input matrix as a checkpoint reads it: row `r` in fastText's order is at
    /// `input_row(r)` (a subword model's buckets train in another order, [`SubwordIndex`]).
    ///
    /// [`SubwordIndex`]: crate::objective::SubwordIndex
    fn input_rows(&self) -> (&SharedMatrix, impl Fn(usize) -> usize + '_) {
        let subwords = self.sh.model.input.subwords;
        (self.input, move |r| subwords.map_or(r, |s| s.stored_row(r)))
    }

    /// Runs the workers to the end (or the first error, or an interrupt) and returns the
    /// tracker with their totals and losses, and the seconds trained (over every resumption).
    pub(super) fn run(
        &self,
        mut tr: Tracker,
        progress: &mut dyn FnMut(&Progress),
    ) -> (Tracker, f64) {
        let sh = self.sh;
        let start = Instant::now();
        let threads = sh.threads;
        // With one thread plain training is already deterministic.
        let rounds = (self.deterministic && threads > 1)
            .then(|| Rounds::new(threads, sh.processed.load(Relaxed)));
        let rounds = &rounds;
        let mut replica = self.replica(&tr);
        let (tx, rx) = mpsc::channel::<(usize, Msg)>();
        std::thread::scope(|s| {
            for t in 0..threads {
                let tx = tx.clone();
                s.spawn(move || {
                    // Leaves the gate however the worker ends, a panic included, so that the
                    // coordinator never waits for it at a checkpoint.
                    let _leave = Leave(&sh.gate);
                    let r = match rounds {
                        Some(rounds) => run_worker_rounds(sh, rounds, t, &tx),
                        None => run_worker(sh, t, &tx),
                    };
                    if r.is_err() {
                        sh.stop.store(true, Relaxed);
                    }
                    let _ = tx.send((t, Msg::Finished(r)));
                });
            }
            drop(tx);
            let mut clocks = Clocks {
                start,
                last_tick: Instant::now(),
                last_checkpoint: Instant::now(),
                checkpointed_epochs: tr.epoch_losses.len(),
                last_loss: 0.0,
                last_predictions: 0,
            };
            match replica.as_mut() {
                None => {
                    while tr.finished < threads {
                        match rx.recv_timeout(Duration::from_millis(50)) {
                            Ok((t, msg)) => self.handle(&mut tr, t, msg, clocks.start, progress),
                            Err(mpsc::RecvTimeoutError::Timeout) => {}
                            Err(mpsc::RecvTimeoutError::Disconnected) => break,
                        }
                        self.maybe_checkpoint(&mut tr, &rx, &mut clocks, progress);
                        self.maybe_tick(&tr, &mut clocks, progress);
                    }
                }
                // Several ranks: the loop goes on after this rank's workers have returned,
                // syncing with the ranks still training, until every rank has finished.
                Some(replica) => loop {
                    if tr.finished < threads {
                        // Often enough to sync close to every `sync_every` words.
                        match rx.recv_timeout(Duration::from_millis(2)) {
                            Ok((t, msg)) => self.handle(&mut tr, t, msg, clocks.start, progress),
                            Err(mpsc::RecvTimeoutError::Timeout) => {}
                            Err(mpsc::RecvTimeoutError::Disconnected) => break,
                        }
                    }
                    if self.maybe_sync(replica, &mut tr, &rx, &mut clocks, progress) {
                        break;
                    }
                    self.maybe_tick(&tr, &mut clocks, progress);
                },
            }
        });
        (tr, self.elapsed(start))
    }

    /// With several MPI ranks, this rank's part in their syncs, from where the run stands.
    fn replica(&self, tr: &Tracker) -> Option<Replica<'_>> {
        (self.cluster.size() > 1).then(|| {
            Replica::new(
                self.cluster,
                self.input,
                self.output,
                self.vocab.len(),
                self.sh.model.tree.is_some(),
                self.sync_every,
                (self.sh.processed.load(Relaxed), tr.epoch_losses.len()),
            )
        })
    }

    /// Seconds trained so far, over every resumption.
    fn elapsed(&self, start: Instant) -> f64 {
        self.info.elapsed_before + start.elapsed().as_secs_f64()
    }

    /// Handles one message from worker `t`: sums epoch losses, reports finished epochs (with
    /// the analogy score when asked), records finished workers.
    fn handle(
        &self,
        tr: &mut Tracker,
        t: usize,
        msg: Msg,
        start: Instant,
        progress: &mut dyn FnMut(&Progress),
    ) {
        let epochs = self.config.epochs;
        match msg {
            Msg::EpochDone { epoch, loss } => {
                tr.epoch_done(t, epoch, loss, self.sh.threads);
                // With several ranks an epoch ends when it has ended on every rank: the syncs
                // report it ([`Coordinator::maybe_sync`]).
                while self.cluster.size() == 1
                    && tr.epoch_losses.len() < epochs
                    && tr.per_epoch[tr.epoch_losses.len()].1 == self.sh.threads
                {
                    let (l, _) = tr.per_epoch[tr.epoch_losses.len()];
                    self.report_epoch(tr, l, start, progress);
                }
            }
            Msg::Finished(r) => tr.worker_finished(r),
        }
    }

    /// Reports the next epoch as finished, with its loss `l` summed over every thread (of
    /// every rank); a loss that is not finite stops the run.
    fn report_epoch(
        &self,
        tr: &mut Tracker,
        l: LossSum,
        start: Instant,
        progress: &mut dyn FnMut(&Progress),
    ) {
        let reported = tr.epoch_losses.len();
        let mean = l.loss / l.predictions.max(1) as f64;
        if !mean.is_finite() && tr.first_error.is_none() {
            tr.first_error = Some(Error::Diverged {
                epoch: reported + 1,
            });
            self.sh.stop.store(true, Relaxed);
        }
        tr.epoch_losses.push(mean);
        progress(&Progress::EpochEnd {
            epoch: reported + 1,
            loss: mean,
            predictions: l.predictions,
            elapsed: self.elapsed(start),
            analogy: self.score_analogies(),
        });
    }

    /// Several ranks: when this rank is due to sync ([`Replica::due`]), exchanges the ranks'
    /// statuses and syncs the model; reports the epochs that have ended on every rank. Returns
    /// true once the run has ended on every rank: finished (after the last, exact sync), failed
    /// (every rank returns an error naming the rank that failed) or interrupted.
    fn maybe_sync(
        &self,
        replica: &mut Replica,
        tr: &mut Tracker,
        rx: &mpsc::Receiver<(usize, Msg)>,
        clocks: &mut Clocks,
        progress: &mut dyn FnMut(&Progress),
    ) -> bool {
        let sh = self.sh;
        let start = clocks.start;
        // Rank 0's clock times the periodic checkpoints.
        let checkpoint_due = self.cluster.is_root()
            && self.plan.is_some_and(|p| {
                p.every
                    .is_some_and(|e| clocks.last_checkpoint.elapsed() >= e)
            });
        let status = Status {
            words: sh.processed.load(Relaxed),
            finished: tr.finished >= sh.threads,
            failed: tr.first_error.is_some(),
            interrupted: self.interrupt.is_some_and(|f| f.load(Relaxed)),
            checkpoint: checkpoint_due,
            epochs: &tr.per_epoch,
            threads: sh.threads,
        };
        if !replica.due(&status) {
            return false;
        }
        let global = replica.exchange_status(&status);
        sh.remote
            .store(global.words.saturating_sub(status.words), Relaxed);
        if global.failed {
            sh.stop.store(true, Relaxed);
            let mine = tr.first_error.take().map_or(Ok(()), Err);
            tr.first_error = self.cluster.agree(mine).err();
            return true;
        }
        let epochs = self.config.epochs;
        let epoch_checkpoint = self.plan.is_some_and(|p| p.at_epoch_end)
            && global.epochs.len() > clocks.checkpointed_epochs
            && global.epochs.len() < epochs;
        if global.finished {
            replica.settle(self.input, self.output);
        } else if global.interrupted || global.checkpoint || epoch_checkpoint {
            // Decided from the global status: every rank takes this branch together.
            if self.checkpoint_ranks(replica, tr, rx, clocks, global.interrupted, progress) {
                return true;
            }
        } else {
            replica.sync_rows(self.input, self.output, &global);
        }
        while tr.epoch_losses.len() < global.epochs.len() {
            self.report_epoch(tr, global.epochs[tr.epoch_losses.len()], start, progress);
        }
        global.finished
    }

    /// Several ranks: a checkpoint (periodic, at an epoch's end, or on an interrupt), made by
    /// every rank together. Each parks its workers; the matrices become their exact mean (the
    /// same bits on every rank); the ranks' run states are gathered and rank 0 writes the
    /// checkpoint (every rank learns whether that worked). Returns true when the run ends
    /// here: interrupted ([`Error::Interrupted`] with the checkpoint, on every rank) or failed.
    fn checkpoint_ranks(
        &self,
        replica: &mut Replica,
        tr: &mut Tracker,
        rx: &mpsc::Receiver<(usize, Msg)>,
        clocks: &mut Clocks,
        interrupted: bool,
        progress: &mut dyn FnMut(&Progress),
    ) -> bool {
        let sh = self.sh;
        sh.pause.store(true, Relaxed);
        let states = sh.gate.wait_all(sh.threads);
        while let Ok((t, msg)) = rx.try_recv() {
            self.handle(tr, t, msg, clocks.start, progress);
        }
        replica.settle(self.input, self.output);
        let workers: Option<Vec<WorkerState>> = states.into_iter().collect();
        // Every rank sends its run (nothing when it cannot: then nobody writes).
        let mine = match (self.plan, workers) {
            (Some(_), Some(w)) => {
                serde_json::to_vec(&self.run_state(tr, w, clocks.start)).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let written = self.cluster.gather_bytes(&mine).and_then(|all| {
            let runs: Option<Vec<RunState>> =
                all.iter().map(|b| serde_json::from_slice(b).ok()).collect();
            let (Some(plan), Some(mut runs)) = (self.plan, runs) else {
                return Ok(None);
            };
            if self.cluster.is_root() {
                let run = runs.remove(0);
                let header = self.header_of(run, runs, plan);
                checkpoint::write(
                    &plan.path,
                    &header,
                    self.vocab,
                    self.input_rows(),
                    self.output,
                )?;
            }
            Ok(Some(plan.path.clone()))
        });
        match self.cluster.agree(written) {
            Ok(path) if interrupted => {
                tr.first_error = Some(Error::Interrupted { checkpoint: path })
            }
            Ok(_) => {}
            Err(e) => tr.first_error = Some(e),
        }
        let exit = tr.first_error.is_some();
        if exit {
            sh.stop.store(true, Relaxed);
        }
        sh.gate.release(exit, &sh.pause);
        clocks.last_checkpoint = Instant::now();
        clocks.checkpointed_epochs = tr.epoch_losses.len().max(clocks.checkpointed_epochs);
        exit
    }

    /// The analogy accuracy of the input vectors as they stand (with `eval_analogies`).
    fn score_analogies(&self) -> Option<f64> {
        let (path, text) = self.questions?;
        if !self.cluster.is_root() {
            // Reported by rank 0.
            return None;
        }
        let dim = self.input.dim();
        let mut data = vec![0.0f32; self.vocab.len() * dim];
        // By word: a subword model's vectors are the means of their rows.
        let words = self.sh.model.input;
        for (r, row) in data.chunks_exact_mut(dim).enumerate() {
            words.read_row(r, row);
        }
        let e = Embeddings::new(self.vocab.words().to_vec(), dim, data);
        Some(
            e.evaluate_analogies_text(path, text, &AnalogyOptions::default())
                .map_or(f64::NAN, |r| r.accuracy()),
        )
    }

    /// When a checkpoint is due or an interrupt was asked for: parks every worker between two
    /// sentences, collects what they sent before parking, saves the run, and releases them to
    /// continue (or, after an interrupt or an error, to stop).
    fn maybe_checkpoint(
        &self,
        tr: &mut Tracker,
        rx: &mpsc::Receiver<(usize, Msg)>,
        clocks: &mut Clocks,
        progress: &mut dyn FnMut(&Progress),
    ) {
        let sh = self.sh;
        let epochs = self.config.epochs;
        let interrupted = self.interrupt.is_some_and(|f| f.load(Relaxed));
        let due = self.plan.is_some_and(|p| {
            p.every
                .is_some_and(|e| clocks.last_checkpoint.elapsed() >= e)
                || (p.at_epoch_end
                    && tr.epoch_losses.len() > clocks.checkpointed_epochs
                    && tr.epoch_losses.len() < epochs)
        });
        if !(interrupted || due) || tr.first_error.is_some() || tr.finished >= sh.threads {
            return;
        }
        sh.pause.store(true, Relaxed);
        let states = sh.gate.wait_all(sh.threads);
        while let Ok((t, msg)) = rx.try_recv() {
            self.handle(tr, t, msg, clocks.start, progress);
        }
        // Every worker parked or gone after its last epoch: the run is complete (the workers
        // only have to return), so there is nothing to stop and no checkpoint to write.
        let complete = states
            .iter()
            .all(|s| s.as_ref().is_some_and(|w| w.epoch >= epochs));
        if tr.finished >= sh.threads || complete {
            sh.gate.release(false, &sh.pause);
            return;
        }
        let mut written = None;
        if let (Some(p), None) = (self.plan, &tr.first_error) {
            let workers: Option<Vec<WorkerState>> = states.into_iter().collect();
            if let Some(workers) = workers {
                let header = self.header(tr, workers, p, clocks.start);
                match checkpoint::write(
                    &p.path,
                    &header,
                    self.vocab,
                    self.input_rows(),
                    self.output,
                ) {
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
            sh.stop.store(true, Relaxed);
        }
        sh.gate.release(exit, &sh.pause);
        clocks.last_checkpoint = Instant::now();
        clocks.checkpointed_epochs = tr.epoch_losses.len();
    }

    /// The checkpoint header of the run as it stands, every worker parked in `workers`.
    fn header(
        &self,
        tr: &Tracker,
        workers: Vec<WorkerState>,
        plan: &CheckpointPlan,
        start: Instant,
    ) -> checkpoint::Header {
        let run = self.run_state(tr, workers, start);
        self.header_of(run, Vec::new(), plan)
    }

    /// This rank's run as it stands, every worker parked in `workers`.
    fn run_state(&self, tr: &Tracker, workers: Vec<WorkerState>, start: Instant) -> RunState {
        RunState {
            processed: self.sh.processed.load(Relaxed),
            elapsed: self.elapsed(start),
            epoch_losses: tr.epoch_losses.clone(),
            per_epoch: tr.per_epoch.clone(),
            pending: tr.pending.clone(),
            workers,
            vocab_stats: self.info.vocab_stats,
            remote: self.sh.remote.load(Relaxed),
        }
    }

    /// The checkpoint header of rank 0's `run` and the other ranks'.
    fn header_of(
        &self,
        run: RunState,
        other_ranks: Vec<RunState>,
        plan: &CheckpointPlan,
    ) -> checkpoint::Header {
        checkpoint::Header {
            config: self.config.clone(),
            options: RunConfig {
                threads: Some(self.sh.threads),
                deterministic: self.deterministic,
                eval_analogies: self.questions.map(|(p, _)| p.clone()),
                tokens_dir: self.info.tokens_dir.clone(),
                sync_every: (self.cluster.size() > 1).then_some(self.sync_every),
                id_cache_mib: self.info.id_cache_mib,
            },
            corpus: self.info.corpus.clone(),
            corpus_len: self.info.corpus_len,
            corpus_fingerprint: self.info.fingerprint,
            words: self.vocab.len(),
            input_rows: self.input.rows(),
            dim: self.input.dim(),
            output_rows: self.info.output_rows,
            run,
            other_ranks,
            job: plan.job.clone(),
            defaults: checkpoint::DEFAULTS,
        }
    }

    /// A progress report when the last one is 200 ms old and workers are running.
    fn maybe_tick(&self, tr: &Tracker, clocks: &mut Clocks, progress: &mut dyn FnMut(&Progress)) {
        if clocks.last_tick.elapsed() >= Duration::from_millis(200) && tr.finished < self.sh.threads
        {
            self.tick(tr, clocks, progress);
        }
    }

    /// A periodic progress report: fraction done, speed, lr and the loss since the last one
    /// (the loss of this rank's threads; the words of every rank).
    fn tick(&self, tr: &Tracker, clocks: &mut Clocks, progress: &mut dyn FnMut(&Progress)) {
        let sh = self.sh;
        clocks.last_tick = Instant::now();
        let local = sh.processed.load(Relaxed);
        let processed = local + sh.remote.load(Relaxed);
        let (mut loss, mut preds) = (0.0, 0u64);
        for slot in &sh.slots {
            loss += f64::from_bits(slot.loss_bits.load(Relaxed));
            preds += slot.predictions.load(Relaxed);
        }
        let recent = (preds > clocks.last_predictions)
            .then(|| (loss - clocks.last_loss) / (preds - clocks.last_predictions) as f64);
        (clocks.last_loss, clocks.last_predictions) = (loss, preds);
        let secs = clocks.start.elapsed().as_secs_f64();
        let epoch = tr.thread_epoch.iter().min().copied().unwrap_or(0) + 1;
        progress(&Progress::Tick {
            fraction: (processed as f64 / sh.total_words.max(1) as f64).min(1.0),
            epoch: epoch.min(self.config.epochs),
            words_per_sec: processed.saturating_sub(self.info.processed_before) as f64
                / secs.max(1e-9),
            // The rate as set (several ranks step at `√ranks` times it).
            lr: sh.lr_at(local) / crate::train::distributed::step_scale(sh.ranks),
            recent_loss: recent,
        });
    }
}
