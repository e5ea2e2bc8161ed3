//! A Hogwild worker: reads its shard of the corpus sentence by sentence, subsamples it and
//! trains the objective on it, updating the shared matrices in place; publishes its progress
//! and loss every few thousand words, and parks between sentences when the coordinator asks.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;

use crate::config::{Loss, TrainConfig};
use crate::error::{Error, Result};
use crate::formats::checkpoint::{RunState, WorkerState, WorkerTotals};
use crate::objective::{LossSum, Model, Scratch, Window};
use crate::rng::Rng;
use crate::text::corpus::Corpus;
use crate::text::vocab::Vocab;
use crate::train::gate::Gate;
use crate::train::hogwild::Rows;
use crate::train::replay::EpochReader;
use crate::train::sampler::Subsampler;
use crate::train::schedule::lr_schedule;

/// Words a worker processes between updates of the shared progress counter and its lr.
pub(super) const SYNC_WORDS: u64 = 10_000;

/// Per-thread progress, written only by its worker.
#[derive(Default)]
pub(super) struct Slot {
    pub(super) loss_bits: AtomicU64,
    pub(super) predictions: AtomicU64,
}

pub(super) enum Msg {
    EpochDone { epoch: usize, loss: LossSum },
    Finished(Result<WorkerTotals>),
}

pub(super) struct Shared<'a> {
    pub(super) corpus: &'a Corpus,
    pub(super) config: &'a TrainConfig,
    pub(super) vocab: &'a Vocab,
    pub(super) model: Model<'a>,
    pub(super) subsampler: Subsampler,
    /// Words this rank's workers have trained (published every [`SYNC_WORDS`]).
    pub(super) processed: AtomicU64,
    /// Words the other MPI ranks had trained at the last sync (0 with one rank): with
    /// `processed`, the learning rate's clock.
    pub(super) remote: AtomicU64,
    pub(super) total_words: u64,
    pub(super) lr0: f32,
    /// Fraction of the run at `lr0` before the decay starts.
    pub(super) lr_hold: f32,
    pub(super) threads: usize,
    /// This process's MPI rank and the number of ranks (0 and 1 without MPI): thread `t`
    /// trains shard `rank·threads + t` of `ranks·threads`.
    pub(super) rank: usize,
    pub(super) ranks: usize,
    pub(super) stop: AtomicBool,
    /// Set by the coordinator to have every worker park at its next sentence boundary.
    pub(super) pause: AtomicBool,
    pub(super) gate: Gate,
    /// Where each worker starts when resuming.
    pub(super) resume: Option<Vec<WorkerState>>,
    pub(super) slots: Vec<Slot>,
    /// Bytes of vocabulary ids each worker may keep from its first epoch to replay in the
    /// later ones (see [`crate::train::replay`]); 0: read the text every epoch.
    pub(super) replay_bytes: u64,
}

impl<'a> Shared<'a> {
    /// The run's shared state: fresh, or where the resumed run (`run`) stopped.
    pub(super) fn new(
        corpus: &'a Corpus,
        config: &'a TrainConfig,
        vocab: &'a Vocab,
        model: Model<'a>,
        run: Option<&RunState>,
        threads: usize,
        (rank, ranks): (usize, usize),
    ) -> Self {
        Shared {
            corpus,
            config,
            vocab,
            model,
            subsampler: Subsampler::new(vocab.counts(), config.sample),
            processed: AtomicU64::new(run.map_or(0, |r| r.processed)),
            remote: AtomicU64::new(run.map_or(0, |r| r.remote)),
            total_words: vocab.total() * config.epochs as u64,
            // With several MPI ranks each rank steps at `√ranks` times the rate, and the syncs
            // divide the sum of the ranks' changes by as much (train/distributed.rs).
            lr0: config.effective_lr() * super::distributed::step_scale(ranks),
            lr_hold: config.effective_lr_hold(),
            threads,
            rank,
            ranks,
            stop: AtomicBool::new(false),
            pause: AtomicBool::new(false),
            gate: Gate::new(threads),
            resume: run.map(|r| r.workers.clone()),
            slots: (0..threads).map(|_| Slot::default()).collect(),
            replay_bytes: 0,
        }
    }
}

impl Shared<'_> {
    /// The learning rate once this rank has trained `processed` words (and the other ranks
    /// what they had at the last sync).
    pub(super) fn lr_at(&self, processed: u64) -> f32 {
        let words = processed + self.remote.load(Relaxed);
        lr_schedule(
            self.lr0,
            self.lr_hold,
            words as f64 / self.total_words.max(1) as f64,
        )
    }

    /// Thread `t`'s shard of the corpus: its index and the number of shards, over every rank.
    pub(super) fn shard_of(&self, t: usize) -> (usize, usize) {
        (self.rank * self.threads + t, self.ranks * self.threads)
    }
}

/// A worker's loss and word counts not yet published, and its running totals.
#[derive(Default)]
pub(super) struct Tally {
    /// Words read since the last publication.
    pub(super) unsynced: u64,
    /// Loss since the last publication.
    pub(super) batch: LossSum,
    /// Loss of the current epoch.
    pub(super) epoch: LossSum,
    /// Loss of the whole run.
    pub(super) run: LossSum,
}

impl Tally {
    /// Moves the batch's loss into the epoch's and the run's.
    pub(super) fn fold(&mut self) {
        for acc in [&mut self.epoch, &mut self.run] {
            acc.loss += self.batch.loss;
            acc.predictions += self.batch.predictions;
        }
        self.batch = LossSum::default();
    }

    /// Folds the batch and shows the run's loss in `slot` (for progress reports).
    pub(super) fn publish(&mut self, slot: &Slot) {
        self.fold();
        slot.loss_bits.store(self.run.loss.to_bits(), Relaxed);
        slot.predictions.store(self.run.predictions, Relaxed);
    }

    /// Publishes progress to the shared counter and the worker's slot; returns the new lr.
    pub(super) fn sync(&mut self, sh: &Shared, slot: &Slot) -> f32 {
        let processed = sh.processed.fetch_add(self.unsynced, Relaxed) + self.unsynced;
        self.unsynced = 0;
        self.publish(slot);
        sh.lr_at(processed)
    }
}

/// A worker's own state: where it is, its random numbers, its counters and its buffers.
pub(super) struct Worker {
    pub(super) t: usize,
    pub(super) epoch: usize,
    /// Its shard, read in the current epoch (`None` after the last epoch).
    pub(super) shard: Option<EpochReader>,
    pub(super) rng: Rng,
    pub(super) lr: f32,
    pub(super) tally: Tally,
    pub(super) totals: WorkerTotals,
    pub(super) scratch: Scratch,
    pub(super) sentence: Vec<u32>,
    pub(super) kept: Vec<u32>,
}

/// What one call of [`Worker::step`] did.
pub(super) enum Step {
    /// Trained on a sentence of this many in-vocabulary words.
    Trained(u64),
    /// Finished an epoch.
    EpochEnd,
    /// Has finished every epoch.
    Done,
}

impl Worker {
    /// Worker `t`, fresh or as it was parked in the checkpoint being resumed.
    pub(super) fn new(sh: &Shared, t: usize) -> Result<Self> {
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
            rng: Rng::new(cfg.seed, sh.shard_of(t).0 as u64),
            lr: sh.lr_at(sh.processed.load(Relaxed)),
            tally: Tally::default(),
            totals: WorkerTotals::default(),
            scratch,
            sentence: Vec::with_capacity(cfg.effective_sentence_tokens()),
            kept: Vec::with_capacity(cfg.effective_sentence_tokens()),
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
            w.shard = Some(EpochReader::new(
                sh.corpus,
                sh.shard_of(t),
                pos.as_ref(),
                sh.vocab,
                cfg.effective_sentence_tokens(),
                (sh.replay_bytes, w.epoch + 1 < cfg.epochs),
            )?);
        }
        Ok(w)
    }

    /// Its state, for a checkpoint (during a replayed epoch, its position in the text is
    /// found by reading a little of it: see [`EpochReader::position`]).
    pub(super) fn state(&self, sh: &Shared) -> Result<WorkerState> {
        let pos = match &self.shard {
            Some(r) => r.position(sh.corpus, sh.vocab)?,
            None => Default::default(),
        };
        Ok(WorkerState {
            epoch: self.epoch,
            pos,
            rng: self.rng.state(),
            lr: self.lr,
            unsynced: self.tally.unsynced,
            batch: self.tally.batch,
            epoch_loss: self.tally.epoch,
            run_loss: self.tally.run,
            totals: self.totals,
        })
    }

    /// Reads the next sentence of its shard, subsamples it and trains `model` on it at the
    /// current lr; at the end of the shard, closes the epoch (counters, loss message).
    pub(super) fn step<M: Rows>(
        &mut self,
        sh: &Shared,
        model: &Model<M>,
        tx: &mpsc::Sender<(usize, Msg)>,
    ) -> Result<Step> {
        let cfg = sh.config;
        let Some(shard) = &mut self.shard else {
            return Ok(Step::Done);
        };
        if !shard.next_sentence(sh.vocab, &mut self.sentence)? {
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
            if self.epoch < cfg.epochs {
                shard.next_epoch(sh.corpus, self.epoch + 1 < cfg.epochs)?;
            } else {
                self.shard = None;
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
pub(super) fn run_worker(
    sh: &Shared,
    t: usize,
    tx: &mpsc::Sender<(usize, Msg)>,
) -> Result<WorkerTotals> {
    let mut w = Worker::new(sh, t)?;
    let slot = &sh.slots[t];
    loop {
        if sh.pause.load(Relaxed) && sh.gate.park(t, w.state(sh)?, &sh.pause) {
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
    sh.gate.record(t, w.state(sh)?);
    Ok(w.totals)
}
