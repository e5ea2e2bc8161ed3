//! The learning-rate schedule: held, then linear decay to a floor (word2vec.c's with no hold).

use crate::config::defaults;

/// The lr once `done` of the run (0..=1) is trained: `lr0` for the first `hold` of the run,
/// then linear down to `lr0 * MIN_LR_FRACTION` at the end (`hold` 0: word2vec.c's schedule).
pub(super) fn lr_schedule(lr0: f32, hold: f32, done: f64) -> f32 {
    let scale = ((1.0 - done) / (1.0 - hold as f64)).min(1.0);
    lr0 * (scale as f32).max(defaults::MIN_LR_FRACTION)
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
