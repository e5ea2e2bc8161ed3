//! Deterministic training (`--deterministic`): threads train in rounds on private layers over
//! the shared matrices ([`crate::train::overlay`]) and merge them in thread order between two
//! barriers, so that the result does not depend on timing.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};
use std::sync::{Barrier, RwLock, mpsc};

use crate::error::{Error, Result};
use crate::formats::checkpoint::WorkerTotals;
use crate::train::overlay::{Layer, Overlay, merge};
use crate::train::worker::{Msg, Shared, Step, Worker};

/// Words each thread reads per round in deterministic mode: a 32nd of its share of an epoch,
/// between 1,000 and [`MAX_ROUND_WORDS`] (a function of the corpus and the settings only, so
/// that a run and its resumption cut the same rounds).
pub(super) fn round_words(tokens_per_epoch: u64, threads: usize) -> u64 {
    (tokens_per_epoch / threads as u64 / 32).clamp(1_000, MAX_ROUND_WORDS)
}

/// The longest round (measured in `benchsuite/NOTES.md`: longer rounds wait less at the barriers,
/// shorter ones see the other threads' updates sooner).
pub(super) const MAX_ROUND_WORDS: u64 = 200_000;

/// What every thread does after a round, decided by one of them between the two barriers.
pub(super) const CONTINUE: u8 = 0;
pub(super) const PARK: u8 = 1;
pub(super) const EXIT: u8 = 2;
pub(super) const FINISH: u8 = 3;

/// The meeting points of deterministic training ([`crate::train::overlay`]).
pub(super) struct Rounds {
    pub(super) barrier: Barrier,
    /// Each thread's layers (input, output), published for the merge.
    pub(super) layers: Vec<RwLock<[Layer; 2]>>,
    /// Each thread has finished every epoch.
    pub(super) done: Vec<AtomicBool>,
    pub(super) decision: AtomicU8,
    /// The shared word counter when training (or the resumed run) began: the first round's
    /// base. Taken before any worker starts; a worker reading the counter itself could see
    /// another's first round already added when it starts late (seen under load: a 2-thread
    /// `--deterministic` run that differed from its twin from the first epoch on).
    pub(super) start: u64,
}

impl Rounds {
    pub(super) fn new(threads: usize, start: u64) -> Self {
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
pub(super) fn run_worker_rounds(
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
    let (input, output) = (sh.model.input.rows, sh.model.output);
    let mut layers = [
        Layer::new(input.rows(), input.dim()),
        Layer::new(output.rows(), output.dim()),
    ];
    let (mut buf, mut acc) = (vec![0.0f32; input.dim()], vec![0.0f32; input.dim()]);
    let mut base = rounds.start;
    let round = round_words(sh.vocab.total(), sh.threads);
    let mut failure = None;
    loop {
        let mut words = 0;
        if failure.is_none() {
            let (n, err) = train_round(sh, &mut w, &mut layers, base, round, tx);
            words = n;
            w.tally.publish(slot);
            if err.is_none() && !w.tally.run.loss.is_finite() {
                failure = Some(Error::Diverged { epoch: w.epoch + 1 });
            }
            if err.is_some() {
                failure = err;
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
            rounds.decision.store(decide(sh, rounds), Relaxed);
        }
        // The merge is complete and the decision made.
        rounds.barrier.wait();
        let decision = rounds.decision.load(Relaxed);
        layers = std::mem::take(&mut *rounds.layers[t].write().unwrap_or_else(|e| e.into_inner()));
        layers.iter_mut().for_each(Layer::clear);
        match decision {
            EXIT => return failure.map_or(Ok(w.totals), Err),
            FINISH => break,
            PARK if sh.gate.park(t, w.state(sh)?, &sh.pause) => return Ok(w.totals),
            _ => {}
        }
    }
    sh.gate.record(t, w.state(sh)?);
    Ok(w.totals)
}

/// Trains worker `w` on `round` words into its own `layers` over the shared matrices, its lr
/// following the words read by all threads before the round (`base`) plus its own times the
/// thread count; returns the words read and the error that ended the round early, if any.
fn train_round(
    sh: &Shared,
    w: &mut Worker,
    layers: &mut [Layer; 2],
    base: u64,
    round: u64,
    tx: &mpsc::Sender<(usize, Msg)>,
) -> (u64, Option<Error>) {
    let (input, output) = (sh.model.input.rows, sh.model.output);
    let threads = sh.threads as u64;
    let [li, lo] = std::mem::take(layers);
    let (oi, oo) = (Overlay::new(input, li), Overlay::new(output, lo));
    let model = sh.model.with_rows(&oi, &oo);
    let mut words = 0;
    let err = loop {
        if words >= round {
            break None;
        }
        w.lr = sh.lr_at(base + words * threads);
        match w.step(sh, &model, tx) {
            Ok(Step::Trained(n)) => words += n,
            Ok(Step::EpochEnd) => {}
            Ok(Step::Done) => break None,
            Err(e) => break Some(e),
        }
    };
    *layers = [oi.into_layer(), oo.into_layer()];
    (words, err)
}

/// What every thread does after this round, decided by one of them between the barriers.
fn decide(sh: &Shared, rounds: &Rounds) -> u8 {
    if sh.stop.load(Relaxed) {
        EXIT
    } else if sh.pause.load(Relaxed) {
        PARK
    } else if rounds.done.iter().all(|d| d.load(Relaxed)) {
        FINISH
    } else {
        CONTINUE
    }
}
