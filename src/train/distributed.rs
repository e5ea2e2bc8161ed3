//! Training across MPI ranks (`mpirun -np N w2v train …`, built with `--features mpi`).
//!
//! The scheme is pWord2Vec's (Ji et al., "Parallelizing Word2Vec in Shared and Distributed
//! Memory"): every rank trains Hogwild, with its own threads, on its own byte ranges of the
//! corpus (thread `t` of rank `r` reads shard `r·T + t` of `R·T`), and the ranks periodically
//! combine what they learnt. Where it differs:
//! - **Changes, not models, are combined.** Each rank keeps a snapshot of the model as of the
//!   last sync (identical on every rank). A sync sums every rank's change since the snapshot
//!   (`live − snapshot`) and moves the snapshot by that sum over `√R`, each rank having
//!   stepped at `√R` times the learning rate (`step_scale` says why: neither the sum nor
//!   the mean); the live rows move by that step minus this rank's own change, *added* to them
//!   while the workers go on. So nothing a worker writes during a sync is lost (it is part of
//!   the next sync's change), and workers never pause.
//! - **Syncs follow the words trained, not the clock:** a rank syncs every `--sync-every`
//!   words of its own, so the schedule does not depend on the machine's speed.
//! - **Which rows:** sync `k` covers the `16384·2^z` most frequent words (`z` the trailing
//!   zeros of `k`: 16,384 rows every sync, 32,768 every second one, …), their output rows (for
//!   hierarchical softmax the inner nodes nearest the root, which are the last rows), and
//!   every row — subword buckets included — once an epoch has ended on every rank.
//! - **The end:** once every rank has finished (and for every checkpoint), every row is synced
//!   with a reduction on rank 0 whose result rank 0 broadcasts, so every rank ends with the
//!   same bits, and rank 0 saves that model, not its own copy.
//!
//! With one rank nothing here runs: the run is the plain one, bit for bit.
//!
//! [`Cluster`] is the only part that talks to MPI (its collectives are called by the
//! coordinating thread only: MPI is initialised `Funneled`). `Replica` is the sync state.
//! Every rank's status (words trained, finished, failed, interrupted, per-epoch losses) travels
//! with each sync, so errors and interrupts stop every rank, and the learning rate and the
//! progress follow the global word count.

use std::cell::Cell;
use std::ops::Range;
use std::time::Instant;

use std::sync::atomic::AtomicBool;

use crate::error::{Error, Result};
use crate::formats::checkpoint::WorkerTotals;
use crate::objective::LossSum;
use crate::text::corpus::{Corpus, ReadStats};
use crate::text::vocab::{Counter, Vocab, VocabStats};
use crate::train::hogwild::SharedMatrix;

/// Rows of the most frequent words synced at every sync (pWord2Vec's `min_sync_words`, 1024
/// there: at 4 ranks on the 100 MB corpus that lost 0.015 of SimLex-999, 16,384 lost 0.003;
/// benchsuite/NOTES.md, "Training on several MPI ranks").
pub const MIN_SYNC_ROWS: usize = 16_384;

/// Words each rank trains between two syncs, by default.
pub const DEFAULT_SYNC_EVERY: u64 = 50_000;

/// Floats exchanged per collective call while syncing rows (4 MiB).
const CHUNK_FLOATS: usize = 1 << 20;

/// The ranks of a run: this process alone, or an MPI world.
pub struct Cluster {
    comm: Comm,
    traffic: Cell<Traffic>,
}

enum Comm {
    Solo,
    #[cfg(feature = "mpi")]
    Mpi {
        world: mpi::topology::SimpleCommunicator,
        /// Finalises MPI when the cluster is dropped.
        _universe: mpi::environment::Universe,
    },
}

/// What a rank has sent through MPI, and the time it spent in MPI calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Traffic {
    /// Bytes this rank contributed to collectives.
    pub bytes: u64,
    /// Seconds spent inside MPI calls (waiting for the other ranks included).
    pub seconds: f64,
    /// Model syncs.
    pub syncs: u64,
    /// Of which full syncs (every row).
    pub full_syncs: u64,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster::solo()
    }
}

impl Cluster {
    /// This process alone (what every run is without MPI).
    pub fn solo() -> Self {
        Cluster {
            comm: Comm::Solo,
            traffic: Cell::new(Traffic::default()),
        }
    }

    /// The MPI world this process was started in (by `mpirun`; a process started alone is a
    /// world of one). Initialises MPI; it is finalised when the cluster is dropped. Only the
    /// thread that calls this may train with the cluster.
    #[cfg(feature = "mpi")]
    pub fn mpi() -> Result<Self> {
        let (universe, _) =
            mpi::initialize_with_threading(mpi::Threading::Funneled).ok_or_else(|| {
                Error::Rank {
                    rank: 0,
                    message: "MPI could not be initialised (or was initialised twice)".into(),
                }
            })?;
        let world = universe.world();
        Ok(Cluster {
            comm: Comm::Mpi {
                world,
                _universe: universe,
            },
            traffic: Cell::new(Traffic::default()),
        })
    }

    /// This process's rank, from 0.
    pub fn rank(&self) -> usize {
        match &self.comm {
            Comm::Solo => 0,
            #[cfg(feature = "mpi")]
            Comm::Mpi { world, .. } => {
                use mpi::traits::Communicator;
                world.rank() as usize
            }
        }
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        match &self.comm {
            Comm::Solo => 1,
            #[cfg(feature = "mpi")]
            Comm::Mpi { world, .. } => {
                use mpi::traits::Communicator;
                world.size() as usize
            }
        }
    }

    /// Whether this is rank 0, the one that writes files and reports progress.
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// What this rank has sent so far and the time it spent in MPI.
    pub fn traffic(&self) -> Traffic {
        self.traffic.get()
    }

    /// Counts a collective call: `bytes` sent, from `since`.
    fn count(&self, bytes: usize, since: Instant) {
        let mut t = self.traffic.get();
        t.bytes += bytes as u64;
        t.seconds += since.elapsed().as_secs_f64();
        self.traffic.set(t);
    }

    fn count_sync(&self, full: bool) {
        let mut t = self.traffic.get();
        t.syncs += 1;
        t.full_syncs += u64::from(full);
        self.traffic.set(t);
    }

    /// Element-wise sums of `mine` over every rank, into `sum` (the same length).
    pub(crate) fn sum_f64(&self, mine: &[f64], sum: &mut [f64]) {
        let t = Instant::now();
        match &self.comm {
            Comm::Solo => sum.copy_from_slice(mine),
            #[cfg(feature = "mpi")]
            Comm::Mpi { world, .. } => {
                use mpi::collective::SystemOperation;
                use mpi::traits::CommunicatorCollectives;
                world.all_reduce_into(mine, sum, SystemOperation::sum());
            }
        }
        self.count(std::mem::size_of_val(mine), t);
    }

    /// Element-wise sums of `mine` over every rank, into `sum`. With `exact`, reduced on rank
    /// 0 and broadcast, so that every rank gets the same bits whatever the MPI library's
    /// reduction order; otherwise one all-reduce.
    pub(crate) fn sum_f32(&self, mine: &[f32], sum: &mut [f32], exact: bool) {
        let t = Instant::now();
        match &self.comm {
            Comm::Solo => {
                let _ = exact;
                sum.copy_from_slice(mine)
            }
            #[cfg(feature = "mpi")]
            Comm::Mpi { world, .. } => {
                use mpi::collective::SystemOperation;
                use mpi::traits::{Communicator, CommunicatorCollectives, Root};
                if exact {
                    let root = world.process_at_rank(0);
                    if world.rank() == 0 {
                        root.reduce_into_root(mine, sum, SystemOperation::sum());
                    } else {
                        root.reduce_into(mine, SystemOperation::sum());
                    }
                    root.broadcast_into(sum);
                } else {
                    world.all_reduce_into(mine, sum, SystemOperation::sum());
                }
            }
        }
        self.count(std::mem::size_of_val(mine), t);
    }

    /// Rank 0's `buf`, into every rank's.
    pub(crate) fn broadcast_f32(&self, buf: &mut [f32]) {
        let t = Instant::now();
        match &self.comm {
            Comm::Solo => {}
            #[cfg(feature = "mpi")]
            Comm::Mpi { world, .. } => {
                use mpi::traits::{Communicator, Root};
                world.process_at_rank(0).broadcast_into(buf);
            }
        }
        self.count(if self.is_root() { size_of_val(buf) } else { 0 }, t);
    }

    /// Every rank's `mine`, in rank order; an error on every rank when any rank's part is 2 GiB
    /// or more (MPI counts are 32-bit).
    pub(crate) fn gather_bytes(&self, mine: &[u8]) -> Result<Vec<Vec<u8>>> {
        let t = Instant::now();
        let all = match &self.comm {
            Comm::Solo => vec![mine.to_vec()],
            #[cfg(feature = "mpi")]
            Comm::Mpi { world, .. } => {
                use mpi::datatype::PartitionMut;
                use mpi::traits::{Communicator, CommunicatorCollectives};
                let n = world.size() as usize;
                let mut lens = vec![0u64; n];
                world.all_gather_into(&(mine.len() as u64), &mut lens[..]);
                let total: u64 = lens.iter().sum();
                if total > i32::MAX as u64 {
                    return Err(Error::Rank {
                        rank: 0,
                        message: format!(
                            "the ranks have {total} bytes to exchange at once, more than MPI's                              2 GiB per call (e.g. the word counts of a very large vocabulary:                              set --max-vocab)"
                        ),
                    });
                }
                if total == 0 {
                    // MPI refuses a gather into an empty buffer.
                    return Ok(vec![Vec::new(); n]);
                }
                let counts: Vec<i32> = lens.iter().map(|&l| l as i32).collect();
                let displs: Vec<i32> = counts
                    .iter()
                    .scan(0i32, |at, &l| {
                        let d = *at;
                        *at += l;
                        Some(d)
                    })
                    .collect();
                let mut buf = vec![0u8; total as usize];
                {
                    let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                    world.all_gather_varcount_into(mine, &mut part);
                }
                counts
                    .iter()
                    .zip(&displs)
                    .map(|(&l, &d)| buf[d as usize..(d + l) as usize].to_vec())
                    .collect()
            }
        };
        self.count(mine.len(), t);
        Ok(all)
    }

    /// Makes every rank agree on `result`: if any rank failed, every rank returns an error (its
    /// own where it failed, the first failing rank's message elsewhere). A collective call:
    /// every rank must make it at the same point (a front end checks its own preparations with
    /// it, so that one rank's unwritable output stops every rank instead of leaving them
    /// waiting for it).
    pub fn agree<T>(&self, result: Result<T>) -> Result<T> {
        if self.size() == 1 {
            return result;
        }
        let mine = match &result {
            Ok(_) => Vec::new(),
            Err(e) => {
                let mut m = e.to_string().into_bytes();
                m.insert(0, b'!');
                m
            }
        };
        let all = self.gather_bytes(&mine);
        let value = result?;
        let all = all?;
        match all.iter().position(|m| !m.is_empty()) {
            None => Ok(value),
            Some(rank) => Err(Error::Rank {
                rank,
                message: String::from_utf8_lossy(&all[rank][1..]).into_owned(),
            }),
        }
    }

    /// Fails on every rank unless every rank has the same `settings` (a JSON object) as rank
    /// 0; the error names the first rank and setting that differ.
    pub(crate) fn check_same(&self, settings: &serde_json::Value) -> Result<()> {
        if self.size() == 1 {
            return Ok(());
        }
        let mine = serde_json::to_vec(settings).unwrap_or_default();
        let all = self.gather_bytes(&mine)?;
        let root: serde_json::Value = serde_json::from_slice(&all[0]).unwrap_or_default();
        for (rank, bytes) in all.iter().enumerate().skip(1) {
            let theirs: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
            if theirs != root {
                let key = differing_key(&root, &theirs).unwrap_or_else(|| "settings".into());
                return Err(Error::Rank {
                    rank,
                    message: format!(
                        "its {key} differs from rank 0's ({} vs {}): every rank must be \
                         started with the same command",
                        theirs.get(&key).unwrap_or(&serde_json::Value::Null),
                        root.get(&key).unwrap_or(&serde_json::Value::Null),
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The vocabulary of `corpus`, counted in parallel: each rank counts its part (the byte ranges
/// its threads train on), the counts are exchanged and summed, and every rank keeps the same
/// words in the same order as one process counting the whole corpus would (exactly so without
/// `--max-vocab`, whose bounded counters evict rare words per rank).
pub(super) fn count_vocab(
    cluster: &Cluster,
    corpus: &Corpus,
    min_count: u64,
    max_vocab: Option<usize>,
    stop: &AtomicBool,
) -> Result<(Vocab, VocabStats)> {
    let part = Vocab::count_part(corpus, cluster.rank(), cluster.size(), max_vocab, stop);
    let (counter, stats) = cluster.agree(part)?;
    let mut mine = counter.encode();
    drop(counter);
    mine.extend_from_slice(&stats.tokens.to_le_bytes());
    mine.extend_from_slice(&stats.long_tokens.to_le_bytes());
    let all = cluster.gather_bytes(&mine)?;
    drop(mine);
    let mut merged = Counter::new(Vocab::counting_cap(max_vocab));
    let mut total = ReadStats::default();
    for (rank, bytes) in all.iter().enumerate() {
        let bad = || Error::Rank {
            rank,
            message: "sent malformed word counts".into(),
        };
        let (body, tail) = bytes
            .split_at_checked(bytes.len().checked_sub(16).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        let (tokens, long) = tail.split_at(8);
        total.tokens += u64::from_le_bytes(tokens.try_into().map_err(|_| bad())?);
        total.long_tokens += u64::from_le_bytes(long.try_into().map_err(|_| bad())?);
        merged.add_encoded(body).ok_or_else(bad)?;
    }
    drop(all);
    Vocab::from_counter(corpus, merged, total, min_count, max_vocab)
}

/// How much larger each rank's steps are than one process's, and what the sum of the ranks'
/// changes is divided by: `√ranks` (1 with one rank). The sum of the changes (as Hogwild threads'
/// steps add up) overshoots the rows every rank moves, and diverged at 4 ranks; their mean
/// (model averaging) divides each rank's contribution by the number of ranks and loses 6 points
/// of analogy accuracy at 2 ranks, and its usual cure, steps `ranks` times larger (the linear
/// scaling rule), still lost 1.8 at 4 ranks; the square root between them stays within
/// 0.4 points and 0.01 of one process at 2 and 4 ranks (benchsuite/NOTES.md, "Training on
/// several MPI ranks").
pub(super) fn step_scale(ranks: usize) -> f32 {
    (ranks as f32).sqrt()
}

/// The workers' counters summed over every rank (a collective call).
pub(super) fn sum_totals(cluster: &Cluster, t: WorkerTotals) -> WorkerTotals {
    if cluster.size() == 1 {
        return t;
    }
    let mine = [t.tokens, t.words, t.oov, t.subsampled, t.long_tokens].map(|x| x as f64);
    let mut sum = [0.0; 5];
    cluster.sum_f64(&mine, &mut sum);
    let [tokens, words, oov, subsampled, long_tokens] = sum.map(|x| x as u64);
    WorkerTotals {
        tokens,
        words,
        oov,
        subsampled,
        long_tokens,
    }
}

/// The first key whose value differs between two JSON objects.
fn differing_key(a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
    let (a, b) = (a.as_object()?, b.as_object()?);
    a.keys()
        .chain(b.keys())
        .find(|k| a.get(*k) != b.get(*k))
        .cloned()
}

/// A rank's status, sent with every sync.
pub(super) struct Status<'s> {
    /// Words this rank has trained (its share of the learning-rate clock).
    pub(super) words: u64,
    /// Every worker of this rank has returned.
    pub(super) finished: bool,
    pub(super) failed: bool,
    pub(super) interrupted: bool,
    /// A periodic checkpoint is due (rank 0's clock).
    pub(super) checkpoint: bool,
    /// Per epoch: the summed loss and the number of this rank's threads that finished it (the
    /// coordinator's tracker).
    pub(super) epochs: &'s [(LossSum, usize)],
    pub(super) threads: usize,
}

/// What the ranks' statuses add up to.
pub(super) struct Global {
    /// Words trained by every rank.
    pub(super) words: u64,
    pub(super) finished: bool,
    pub(super) failed: bool,
    pub(super) interrupted: bool,
    pub(super) checkpoint: bool,
    /// The epochs every rank has finished, with their summed losses.
    pub(super) epochs: Vec<LossSum>,
}

/// A rank's side of the syncs: the snapshot of the model as of the last sync, the schedule,
/// and buffers allocated once.
pub(super) struct Replica<'c> {
    cluster: &'c Cluster,
    /// The input and output matrices as of the last sync (row-major, `dim` per row).
    snap_in: Vec<f32>,
    snap_out: Vec<f32>,
    dim: usize,
    /// Vocabulary words: the input rows that partial syncs cover (bucket rows come after).
    words: usize,
    /// Hierarchical softmax: the output rows are inner nodes, the root last.
    output_from_end: bool,
    every: u64,
    /// This rank's word count at which the next sync is due.
    next_at: u64,
    syncs: u64,
    /// Epochs every rank has finished, as of the last sync.
    epochs_done: usize,
    mine: Vec<f32>,
    sum: Vec<f32>,
    status: Vec<f64>,
    status_sum: Vec<f64>,
}

impl<'c> Replica<'c> {
    /// The sync state of a run whose matrices are `input` and `output` now (the same on every
    /// rank: the same seed, or the same checkpoint), syncing every `every` words, `words_done`
    /// trained so far by this rank.
    pub(super) fn new(
        cluster: &'c Cluster,
        input: &SharedMatrix,
        output: &SharedMatrix,
        words: usize,
        output_from_end: bool,
        every: u64,
        (words_done, epochs_done): (u64, usize),
    ) -> Self {
        let copy = |m: &SharedMatrix| {
            let mut v = vec![0.0f32; m.rows() * m.dim()];
            for (r, row) in v.chunks_exact_mut(m.dim().max(1)).enumerate() {
                m.read_row(r, row);
            }
            v
        };
        let dim = input.dim();
        let chunk = CHUNK_FLOATS.max(dim);
        Replica {
            cluster,
            snap_in: copy(input),
            snap_out: copy(output),
            dim,
            words,
            output_from_end,
            every: every.max(1),
            next_at: words_done + every.max(1),
            syncs: 0,
            epochs_done,
            mine: vec![0.0; chunk],
            sum: vec![0.0; chunk],
            status: Vec::new(),
            status_sum: Vec::new(),
        }
    }

    /// Whether this rank should call [`Replica::exchange_status`] now: its words since the
    /// last sync reached the interval, or it has something to tell (finished, failed,
    /// interrupted) and the other ranks have to hear it at their next sync.
    pub(super) fn due(&self, s: &Status) -> bool {
        s.words >= self.next_at || s.finished || s.failed || s.interrupted || s.checkpoint
    }

    /// Sends this rank's status and learns the global one (a collective call).
    pub(super) fn exchange_status(&mut self, s: &Status) -> Global {
        /// Values before the per-epoch ones.
        const HEAD: usize = 5;
        let epochs = s.epochs.len();
        self.status.clear();
        self.status.extend([
            s.words as f64,
            f64::from(u8::from(s.finished)),
            f64::from(u8::from(s.failed)),
            f64::from(u8::from(s.interrupted)),
            f64::from(u8::from(s.checkpoint)),
        ]);
        for &(l, threads) in s.epochs {
            let done = threads == s.threads;
            self.status.push(if done { l.loss } else { 0.0 });
            self.status
                .push(if done { l.predictions as f64 } else { 0.0 });
            self.status.push(f64::from(u8::from(done)));
        }
        self.status_sum.clear();
        self.status_sum.resize(self.status.len(), 0.0);
        self.cluster.sum_f64(&self.status, &mut self.status_sum);
        self.next_at = s.words + self.every;
        let g = &self.status_sum;
        let ranks = self.cluster.size() as f64;
        let epochs_done = (0..epochs)
            .take_while(|e| g[HEAD + 3 * e + 2] == ranks)
            .map(|e| LossSum {
                loss: g[HEAD + 3 * e],
                predictions: g[HEAD + 3 * e + 1] as u64,
            })
            .collect();
        Global {
            words: g[0] as u64,
            finished: g[1] == ranks,
            failed: g[2] > 0.0,
            interrupted: g[3] > 0.0,
            checkpoint: g[4] > 0.0,
            epochs: epochs_done,
        }
    }

    /// Syncs the model after a status exchange that did not end the run: the rows of the
    /// schedule, or every row when an epoch has just ended on every rank. The workers may be
    /// running. Returns whether it was a full sync.
    pub(super) fn sync_rows(
        &mut self,
        input: &SharedMatrix,
        output: &SharedMatrix,
        global: &Global,
    ) -> bool {
        self.syncs += 1;
        let full = global.epochs.len() > self.epochs_done;
        self.epochs_done = global.epochs.len();
        let (ins, outs) = if full {
            (0..input.rows(), 0..output.rows())
        } else {
            let z = self.syncs.trailing_zeros().min(40);
            let n = ((MIN_SYNC_ROWS as u128) << z).min(self.words as u128) as usize;
            let n_out = n.min(output.rows());
            let outs = if self.output_from_end {
                output.rows() - n_out..output.rows()
            } else {
                0..n_out
            };
            (0..n.min(input.rows()), outs)
        };
        self.exchange(input, Which::Input, ins, false);
        self.exchange(output, Which::Output, outs, false);
        self.cluster.count_sync(full);
        full
    }

    /// The last sync, once every worker of every rank has returned (or every worker is
    /// parked, for a checkpoint): every row, and rank 0's result broadcast, so that every rank
    /// holds the same bits.
    pub(super) fn settle(&mut self, input: &SharedMatrix, output: &SharedMatrix) {
        self.exchange(input, Which::Input, 0..input.rows(), true);
        self.exchange(output, Which::Output, 0..output.rows(), true);
        self.cluster.count_sync(true);
    }

    /// Syncs `rows` of one matrix: sums the ranks' changes since the snapshot, moves the
    /// snapshot by that sum over `step_scale`, and adds to the live rows that step minus this
    /// rank's change (so that steps the workers take meanwhile stay in the live rows, for the
    /// next sync).
    /// `settle`: the workers are not running; the live rows are set to rank 0's new snapshot.
    fn exchange(&mut self, m: &SharedMatrix, which: Which, rows: Range<usize>, settle: bool) {
        let dim = self.dim.max(1);
        let per = (self.mine.len() / dim).max(1);
        let scale = step_scale(self.cluster.size());
        let mut start = rows.start;
        while start < rows.end {
            let n = per.min(rows.end - start);
            let (mine, sum) = (&mut self.mine[..n * dim], &mut self.sum[..n * dim]);
            let snap = match which {
                Which::Input => &mut self.snap_in[start * dim..(start + n) * dim],
                Which::Output => &mut self.snap_out[start * dim..(start + n) * dim],
            };
            for (i, row) in mine.chunks_exact_mut(dim).enumerate() {
                m.read_row(start + i, row);
            }
            mine.iter_mut().zip(snap.iter()).for_each(|(x, s)| *x -= s);
            self.cluster.sum_f32(mine, sum, settle);
            for ((d, s), own) in sum.iter().zip(snap.iter_mut()).zip(mine.iter_mut()) {
                let step = d / scale;
                *s += step;
                *own = step - *own;
            }
            if settle {
                // Rank 0's snapshot is the model: the same bits everywhere, whatever rounding
                // the periodic all-reduces left between the ranks' snapshots.
                self.cluster.broadcast_f32(snap);
                for (i, row) in snap.chunks_exact(dim).enumerate() {
                    m.write_row(start + i, row);
                }
            } else {
                for (i, adj) in mine.chunks_exact(dim).enumerate() {
                    m.add_to_row(start + i, adj);
                }
            }
            start += n;
        }
    }
}

#[derive(Clone, Copy)]
enum Which {
    Input,
    Output,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solo_cluster_is_rank_0_of_1_and_its_collectives_are_the_identity() {
        let c = Cluster::solo();
        assert_eq!((c.rank(), c.size(), c.is_root()), (0, 1, true));
        let mut s = [0.0f32; 3];
        c.sum_f32(&[1.0, 2.0, 3.0], &mut s, true);
        assert_eq!(s, [1.0, 2.0, 3.0]);
        assert_eq!(c.gather_bytes(b"abc").unwrap(), vec![b"abc".to_vec()]);
        assert!(c.agree::<()>(Err(Error::Resume("x".into()))).is_err());
        c.check_same(&serde_json::json!({"dim": 5})).unwrap();
    }

    #[test]
    fn differing_key_names_the_setting() {
        let a = serde_json::json!({"dim": 100, "window": 5});
        let b = serde_json::json!({"dim": 100, "window": 8});
        assert_eq!(differing_key(&a, &b).as_deref(), Some("window"));
        assert_eq!(differing_key(&a, &a), None);
    }

    #[test]
    fn a_sync_of_one_rank_keeps_the_live_rows_and_moves_the_snapshot_to_them() {
        let c = Cluster::solo();
        let input = SharedMatrix::try_from_fn(4, 2, || 0.0).unwrap();
        let output = SharedMatrix::try_from_fn(3, 2, || 0.0).unwrap();
        let mut r = Replica::new(&c, &input, &output, 4, false, 10, (0, 0));
        input.add_to_row(1, &[1.0, 2.0]);
        output.add_to_row(0, &[3.0, 4.0]);
        let s = Status {
            words: 10,
            finished: false,
            failed: false,
            interrupted: false,
            checkpoint: false,
            epochs: &[(LossSum::default(), 0)],
            threads: 1,
        };
        assert!(r.due(&s));
        let g = r.exchange_status(&s);
        assert_eq!((g.words, g.finished, g.epochs.len()), (10, false, 0));
        assert!(!r.sync_rows(&input, &output, &g));
        let mut row = [0.0; 2];
        input.read_row(1, &mut row);
        assert_eq!(row, [1.0, 2.0]);
        assert_eq!(&r.snap_in[2..4], &[1.0, 2.0]);
        assert_eq!(&r.snap_out[0..2], &[3.0, 4.0]);
        assert!(!r.due(&Status { words: 19, ..s }));
    }
}
