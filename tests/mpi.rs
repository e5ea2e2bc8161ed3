//! Training on several MPI ranks (`--features mpi`), through `mpirun` and the binary: every
//! rank ends with the same bits, one rank is the plain run, the vocabulary is the one counted
//! alone, and a failing or mismatched rank stops every rank with one error instead of a hang.
//!
//! Needs an MPI library's `mpirun` (OpenMPI or MPICH) on the PATH; `.ci/run` installs OpenMPI.
#![cfg(feature = "mpi")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{sample_text, stderr};

/// `mpirun` with OpenMPI's consent to run as root (CI runs as root) and a hard time limit, so
/// that a hang fails the test instead of stalling it. `None` when no `mpirun` can be run.
fn mpirun() -> Option<Command> {
    let probe = Command::new("mpirun").arg("--version").output().ok()?;
    if !probe.status.success() {
        return None;
    }
    let version = String::from_utf8_lossy(&probe.stdout).into_owned();
    let mut c = Command::new("mpirun");
    if version.contains("Open MPI") {
        c.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .args(["--oversubscribe", "--timeout", "120"]);
    }
    Some(c)
}

/// Runs `mpirun` with `args`; panics with a visible reason when MPI is missing (the `mpi`
/// feature is only built where it is installed).
fn run_mpi(args: &[&str]) -> Output {
    let mut c = mpirun().expect("the mpi feature's tests need mpirun (OpenMPI or MPICH)");
    c.args(args).output().expect("run mpirun")
}

fn w2v_bin() -> &'static str {
    env!("CARGO_BIN_EXE_w2v")
}

/// A corpus of about `bytes` bytes from the bundled sample, in a temporary directory.
fn corpus(bytes: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.txt");
    std::fs::write(&path, sample_text(bytes)).unwrap();
    (dir, path)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SMALL: &[&str] = &[
    "--dim",
    "16",
    "--epochs",
    "2",
    "--min-count",
    "3",
    "--threads",
    "1",
];

/// Trains on `ranks` ranks with every rank writing its vectors, and checks they are identical.
fn every_rank_ends_with_the_same_model(ranks: usize, extra: &[&str]) {
    let (dir, c) = corpus(400_000);
    let out = dir.path().join("v.bin");
    let np = ranks.to_string();
    let mut args = vec!["-np", &np, w2v_bin(), "train", s(&c), "-o", s(&out), "-q"];
    args.extend(SMALL);
    args.extend(["--sync-every", "5000", "--write-every-rank"]);
    args.extend(extra);
    let o = run_mpi(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let root = std::fs::read(&out).unwrap();
    assert!(root.len() > 1000);
    for r in 1..ranks {
        let other = std::fs::read(dir.path().join(format!("v.bin.rank{r}"))).unwrap();
        assert!(
            other == root,
            "rank {r}'s vectors differ from rank 0's ({extra:?})"
        );
    }
}

#[test]
fn two_ranks_end_with_byte_identical_models() {
    every_rank_ends_with_the_same_model(2, &[]);
    every_rank_ends_with_the_same_model(2, &["--model", "cbow", "--loss", "hs"]);
}

#[test]
fn three_ranks_oversubscribed_end_with_byte_identical_models() {
    every_rank_ends_with_the_same_model(3, &[]);
}

#[test]
fn one_rank_is_the_plain_run_bit_for_bit() {
    let (dir, c) = corpus(200_000);
    let (plain, one) = (dir.path().join("plain.bin"), dir.path().join("one.bin"));
    let mut args = vec!["train", s(&c), "-o", s(&plain), "-q"];
    args.extend(SMALL);
    let o = common::run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut args = vec!["-np", "1", w2v_bin(), "train", s(&c), "-o", s(&one), "-q"];
    args.extend(SMALL);
    let o = run_mpi(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&plain).unwrap() == std::fs::read(&one).unwrap());
}

#[test]
fn the_vocabulary_counted_by_three_ranks_is_the_one_counted_alone() {
    let (dir, c) = corpus(300_000);
    let vocab = |name: &str, ranks: Option<&str>| {
        let out = dir.path().join(format!("{name}.bin"));
        let voc = dir.path().join(format!("{name}.vocab"));
        let mut args = vec![
            "train",
            s(&c),
            "-o",
            s(&out),
            "-q",
            "--save-vocab",
            s(&voc),
            "--epochs",
            "1",
            "--dim",
            "8",
            "--threads",
            "1",
        ];
        let o = match ranks {
            None => common::run(&args),
            Some(np) => {
                let mut a = vec!["-np", np, w2v_bin()];
                a.append(&mut args);
                run_mpi(&a)
            }
        };
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read_to_string(voc).unwrap()
    };
    let alone = vocab("alone", None);
    assert!(alone.lines().count() > 100);
    assert_eq!(vocab("three", Some("3")), alone);
}

#[test]
fn ranks_started_with_different_settings_all_stop_with_one_error() {
    let (dir, c) = corpus(100_000);
    let out = dir.path().join("v.bin");
    let rank = |dim: &'static str| vec![w2v_bin(), "train", s(&c), "-o", s(&out), "--dim", dim];
    let mut args = vec!["-np", "1"];
    args.extend(rank("20"));
    args.extend([":", "-np", "1"]);
    args.extend(rank("30"));
    let o = run_mpi(&args);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("MPI rank 1") && err.contains("dim"),
        "the error names the rank and the setting: {err}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_rank_that_cannot_read_its_corpus_stops_every_rank() {
    let (dir, c) = corpus(100_000);
    let out = dir.path().join("v.bin");
    let missing = dir.path().join("missing.txt");
    let mut args = vec!["-np", "1", w2v_bin(), "train", s(&c), "-o", s(&out)];
    args.extend([
        ":",
        "-np",
        "1",
        w2v_bin(),
        "train",
        s(&missing),
        "-o",
        s(&out),
    ]);
    let o = run_mpi(&args);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("missing.txt") && err.contains("MPI rank 1"),
        "rank 0 reports rank 1's error: {err}"
    );
    assert!(!out.exists());
}

#[test]
fn what_several_ranks_cannot_do_is_refused_by_name() {
    let (dir, c) = corpus(100_000);
    let out = dir.path().join("v.bin");
    for (flag, named) in [
        (vec!["--deterministic"], "--deterministic"),
        (vec!["--tokenizer", "unicode"], "w2v tokenize"),
    ] {
        let mut args = vec!["-np", "2", w2v_bin(), "train", s(&c), "-o", s(&out)];
        args.extend(flag);
        let o = run_mpi(&args);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(named), "{}", stderr(&o));
    }
}

#[test]
fn an_interrupted_run_on_two_ranks_resumes_on_two_ranks() {
    let (dir, c) = corpus(300_000);
    let out = dir.path().join("v.bin");
    let ckpt = dir.path().join("v.bin.ckpt");
    let mut args = vec!["-np", "2", w2v_bin(), "train", s(&c), "-o", s(&out), "-q"];
    args.extend([
        "--dim",
        "16",
        "--epochs",
        "3",
        "--min-count",
        "3",
        "--threads",
        "1",
    ]);
    args.extend(["--sync-every", "5000", "--stop-after-epoch", "1"]);
    let o = run_mpi(&args);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(ckpt.exists() && !out.exists(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("mpirun -np 2 w2v train --resume"),
        "{}",
        stderr(&o)
    );
    let resume = |np: &'static str| {
        let args = ["-np", np, w2v_bin(), "train", "--resume", s(&ckpt)];
        run_mpi(&[&args[..], &["-q", "--write-every-rank"]].concat())
    };
    let o = resume("3");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("written by 2 MPI rank"),
        "{}",
        stderr(&o)
    );
    let o = resume("2");
    assert!(o.status.success(), "{}", stderr(&o));
    let root = std::fs::read(&out).unwrap();
    assert!(root == std::fs::read(dir.path().join("v.bin.rank1")).unwrap());
    let card = common::read_card(dir.path(), "v.bin");
    assert_eq!(common::card_losses(&card).len(), 3);
    assert_eq!(card["resolved"]["mpi_ranks"], 2);
    assert_eq!(card["resolved"]["sync_every"], 5000);
}
