//! Where workers park while a checkpoint is written: a mutex and a condition variable, used
//! only between sentences, never in the training loop itself.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::formats::checkpoint::WorkerState;

/// Where workers park while a checkpoint is written (a mutex and a condition variable, used
/// only between sentences, never in the training loop itself).
pub(super) struct Gate {
    pub(super) inner: Mutex<GateState>,
    pub(super) cv: Condvar,
}

pub(super) struct GateState {
    /// Workers parked in this round.
    pub(super) parked: usize,
    /// Workers whose thread has returned (finished, stopped or failed).
    pub(super) left: usize,
    /// Bumped to release the parked workers.
    pub(super) round: u64,
    /// Released workers stop instead of continuing.
    pub(super) exit: bool,
    /// Each worker's state when it last parked or finished.
    pub(super) states: Vec<Option<WorkerState>>,
}

impl Gate {
    pub(super) fn new(threads: usize) -> Self {
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

    pub(super) fn lock(&self) -> MutexGuard<'_, GateState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A worker parks with its state until released; returns whether it must stop.
    pub(super) fn park(&self, t: usize, state: WorkerState, pause: &AtomicBool) -> bool {
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
    pub(super) fn record(&self, t: usize, state: WorkerState) {
        self.lock().states[t] = Some(state);
    }

    /// A worker's thread is returning.
    pub(super) fn leave(&self) {
        self.lock().left += 1;
        self.cv.notify_all();
    }

    /// The coordinator waits until every worker is parked or gone.
    pub(super) fn wait_all(&self, threads: usize) -> Vec<Option<WorkerState>> {
        let mut g = self.lock();
        while g.parked + g.left < threads {
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        g.states.clone()
    }

    /// Releases the parked workers, to continue or (with `exit`) to stop.
    pub(super) fn release(&self, exit: bool, pause: &AtomicBool) {
        let mut g = self.lock();
        pause.store(false, Relaxed);
        g.exit = exit;
        g.parked = 0;
        g.round += 1;
        self.cv.notify_all();
    }
}
