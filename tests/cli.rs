//! Integration tests: run the real `w2v` binary.

use std::path::{Path, PathBuf};
use std::process::Output;

use w2v::{Embeddings, Format};

mod common;
use common::{card_losses, read_card, run, sample_text, stderr, w2v};

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn epoch_losses(err: &str) -> Vec<f64> {
    err.lines()
        .filter(|l| l.contains("done: mean loss"))
        .map(|l| {
            l.split("mean loss ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

/// Planted groups of made-up words, always inserted together (in varying order), become
/// each other's nearest neighbours, and the loss falls: with shared negatives (the default)...
#[test]
fn planted_cooccurrences_become_nearest_neighbours() {
    planted_cooccurrences(&["--shared-negatives", "true"], 0.05);
}

/// ... with shared negatives and the positive stepped pair after pair (each positive is scored
/// against the row the window's earlier pairs left, so the loss starts lower and falls less:
/// 2.33 -> 2.32 here against 2.52 -> 2.46 in one minibatch) ...
#[test]
fn planted_cooccurrences_with_the_positive_in_turn() {
    planted_cooccurrences(
        &["--shared-negatives", "true", "--positive-steps", "in-turn"],
        0.01,
    );
}

/// ... with every output row stepped pair after pair (`--positive-steps pairs`). Its loss is
/// measured on rows the window's earlier pairs have already fitted, which a decaying lr fits
/// less with each epoch (here 2.197, 2.193, 2.230, ... from the first word's decay): with the
/// lr held for the first half of the run it falls from the first epoch to the second ...
#[test]
fn planted_cooccurrences_with_every_output_row_in_turn() {
    planted_cooccurrences(
        &[
            "--shared-negatives",
            "true",
            "--positive-steps",
            "pairs",
            "--lr-hold",
            "0.5",
        ],
        0.01,
    );
}

/// ... and with word2vec.c's fresh negatives per pair.
#[test]
fn planted_cooccurrences_without_shared_negatives() {
    planted_cooccurrences(&["--shared-negatives", "false"], 0.05);
}

fn planted_cooccurrences(flags: &[&str], min_drop: f64) {
    let dir = tempfile::tempdir().unwrap();
    let base = sample_text(1_500_000);
    let words: Vec<&str> = base.split(' ').collect();
    let groups = [
        ["qzxalpha", "qzxbeta", "qzxgamma", "qzxdelta"],
        ["vvkred", "vvkgreen", "vvkblue", "vvkcyan"],
        ["jjpoak", "jjpelm", "jjpash", "jjpyew"],
    ];
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        out.push_str(w);
        out.push(' ');
        if i % 500 == 250 {
            let k = i / 500;
            let g = &groups[k % groups.len()];
            for j in 0..4 {
                out.push_str(g[(j * 3 + k) % 4]);
                out.push(' ');
            }
        }
    }
    let corpus = dir.path().join("planted.txt");
    std::fs::write(&corpus, out).unwrap();
    let vec_path = dir.path().join("v.txt");
    let mut args = vec![
        "train",
        corpus.to_str().unwrap(),
        "-o",
        vec_path.to_str().unwrap(),
        "--threads",
        "1",
        "--seed",
        "3",
        "--dim",
        "50",
        "--sample",
        "1e-4",
    ];
    args.extend_from_slice(flags);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let losses = epoch_losses(&stderr(&o));
    assert_eq!(losses.len(), 5, "{}", stderr(&o));
    assert!(
        losses[1] < losses[0] - min_drop,
        "loss did not fall: {losses:?}"
    );
    assert!(
        losses
            .iter()
            .all(|l| l.is_finite() && *l > 0.0 && *l < 6.0 * 0.7)
    );
    let e = Embeddings::load(&vec_path, None).unwrap();
    for g in &groups {
        for w in g {
            let top = e.most_similar(w.as_bytes(), 3).unwrap();
            for (n, _) in &top {
                assert!(g.iter().any(|x| x.as_bytes() == *n), "{w}: {top:?}");
            }
        }
    }
    // Real structure too: numbers cluster.
    let near: Vec<&[u8]> = e
        .most_similar(b"three", 5)
        .unwrap()
        .into_iter()
        .map(|x| x.0)
        .collect();
    let numbers: [&[u8]; 8] = [
        b"one", b"two", b"four", b"five", b"six", b"seven", b"eight", b"nine",
    ];
    assert!(
        near.iter().filter(|w| numbers.contains(w)).count() >= 3,
        "{near:?}"
    );
}

fn train_small(dir: &Path, name: &str, extra: &[&str]) -> (PathBuf, Output) {
    train_small_env(dir, name, extra, &[])
}

/// [`train_small`] with environment variables set for the run.
fn train_small_env(
    dir: &Path,
    name: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (PathBuf, Output) {
    let corpus = dir.join("small.txt");
    if !corpus.exists() {
        std::fs::write(&corpus, sample_text(300_000)).unwrap();
    }
    let out = dir.join(name);
    let mut args = vec![
        "train",
        corpus.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = w2v()
        .args(&args)
        .envs(env.iter().copied())
        .output()
        .expect("run w2v");
    (out, o)
}

#[test]
fn one_thread_with_a_seed_is_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--threads",
        "1",
        "--seed",
        "42",
        "--dim",
        "20",
        "--epochs",
        "2",
    ];
    let (a, oa) = train_small(dir.path(), "a.bin", &args);
    let (b, ob) = train_small(dir.path(), "b.bin", &args);
    assert!(oa.status.success() && ob.status.success());
    let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(ba, bb);
    // The second epoch replays the first's ids by default; reading the text again gives the
    // same bits.
    let mut text_again = args.to_vec();
    text_again.extend(["--id-cache-mib", "0"]);
    let (t, ot) = train_small(dir.path(), "t.bin", &text_again);
    assert!(ot.status.success(), "{}", stderr(&ot));
    assert_eq!(std::fs::read(&t).unwrap(), ba);
    let (c, _) = train_small(
        dir.path(),
        "c.bin",
        &[
            "--threads",
            "1",
            "--seed",
            "43",
            "--dim",
            "20",
            "--epochs",
            "2",
        ],
    );
    assert_ne!(ba, std::fs::read(c).unwrap());
    // --quiet prints nothing.
    assert!(oa.stderr.is_empty() && oa.stdout.is_empty());
}

#[test]
fn formats_follow_extension_and_flag_and_vocab_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let vocab = dir.path().join("vocab.txt");
    let (bin, o) = train_small(
        dir.path(),
        "v.bin",
        &[
            "--dim",
            "8",
            "--epochs",
            "1",
            "--save-vocab",
            vocab.to_str().unwrap(),
            "--min-count",
            "3",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&bin).unwrap();
    let header = String::from_utf8_lossy(&bytes[..bytes.iter().position(|&b| b == b'\n').unwrap()])
        .into_owned();
    let n: usize = header.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(header, format!("{n} 8"));
    let e = Embeddings::load(&bin, None).unwrap();
    assert_eq!((e.len(), e.dim()), (n, 8));
    assert_eq!(&*e.words()[0], b"the");
    // Vocabulary file: `word count`, counts descending, same order as the vectors.
    let v = std::fs::read_to_string(&vocab).unwrap();
    let lines: Vec<(&str, u64)> = v
        .lines()
        .map(|l| {
            let (w, c) = l.split_once(' ').unwrap();
            (w, c.parse().unwrap())
        })
        .collect();
    assert_eq!(lines.len(), n);
    assert!(
        lines
            .windows(2)
            .all(|w| w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0))
    );
    assert!(lines.iter().all(|l| l.1 >= 3));
    assert_eq!(lines[0].0, "the");
    // `--format text` overrides a .bin extension.
    let (forced, o) = train_small(
        dir.path(),
        "t.bin",
        &["--dim", "8", "--epochs", "1", "--format", "text"],
    );
    assert!(o.status.success());
    let t = Embeddings::load(&forced, Some(Format::Text)).unwrap();
    assert_eq!(t.dim(), 8);
    // Text by default for other extensions.
    let (txt, _) = train_small(dir.path(), "v.vec", &["--dim", "8", "--epochs", "1"]);
    let first = std::fs::read_to_string(&txt).unwrap();
    let line2 = first.lines().nth(1).unwrap();
    assert_eq!(line2.split(' ').count(), 9);
    // No temporary files are left behind.
    assert!(
        entries(dir.path()).iter().all(|f| !f.contains(".tmp")),
        "{:?}",
        entries(dir.path())
    );
}

#[test]
fn gzip_corpus_trains_like_plain_and_gz_output_is_gzip() {
    // On one thread both read every sentence in order: the vectors must be the same bits.
    let dir = tempfile::tempdir().unwrap();
    let args = ["--dim", "8", "--epochs", "1", "--threads", "1"];
    let (plain, o) = train_small(dir.path(), "p.bin", &args);
    assert!(o.status.success());
    let text = std::fs::read(dir.path().join("small.txt")).unwrap();
    let gz = dir.path().join("small.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &text).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    // The gzip corpus, and the vectors written gzip-compressed because the name says so.
    let out = dir.path().join("g.bin.gz");
    let mut cmd = vec!["train", gz.to_str().unwrap(), "-o", out.to_str().unwrap()];
    cmd.extend_from_slice(&args);
    let o = run(&cmd);
    assert!(o.status.success(), "{}", stderr(&o));
    let packed = std::fs::read(&out).unwrap();
    assert_eq!(&packed[..2], &[0x1f, 0x8b], "-o NAME.gz must write gzip");
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&packed[..]),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, std::fs::read(&plain).unwrap());
    let (a, b) = (
        Embeddings::load(&plain, None).unwrap(),
        Embeddings::load(&out, None).unwrap(),
    );
    assert_eq!(a, b);
}

/// Runs `w2v train` with `args` in a directory holding a few small corpora (`{dir}` in an
/// argument is replaced by the directory) and checks the failure: non-zero exit, exactly one
/// line on stderr that starts with `w2v: error:` and contains `want`, no panic, and no new
/// file (output or temporary) left behind.
fn assert_train_fails(args: &[&str], want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.txt"), "").unwrap();
    std::fs::write(d.join("blank.txt"), " \n\t\n  ").unwrap();
    std::fs::write(d.join("rare.txt"), "a b c d e f g").unwrap();
    std::fs::write(d.join("ok.txt"), "a b a b a b a b a b a b").unwrap();
    std::fs::write(d.join("bad_vocab.txt"), "a 6\nb six\n").unwrap();
    std::fs::write(d.join("rare_vocab.txt"), "a 1\nb 2\n").unwrap();
    let before = entries(d);
    let ds = d.to_str().unwrap();
    let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", ds)).collect();
    let o = w2v().arg("train").args(&args).output().unwrap();
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} succeeded");
    assert!(err.contains(want), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("w2v: error: "), "{err}");
    assert_eq!(entries(d), before, "{args:?} left files behind");
}

macro_rules! bad_input {
    ($($name:ident: [$($arg:expr),*] => $want:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_train_fails(&[$($arg),*], $want);
        }
    )*};
}

bad_input! {
    bad_input_missing_corpus: ["{dir}/missing.txt", "-o", "{dir}/out.bin"] => "cannot read corpus";
    bad_input_corpus_is_a_directory: ["{dir}", "-o", "{dir}/out.bin"] => "cannot read corpus";
    bad_input_empty_corpus: ["{dir}/empty.txt", "-o", "{dir}/out.bin"] => "contains no words";
    bad_input_whitespace_only_corpus: ["{dir}/blank.txt", "-o", "{dir}/out.bin"] => "contains no words";
    bad_input_no_word_reaches_min_count: ["{dir}/rare.txt", "-o", "{dir}/out.bin"] => "lower --min-count";
    bad_input_zero_dim: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--dim", "0"] => "--dim";
    bad_input_zero_window: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--window", "0"] => "--window";
    bad_input_zero_epochs: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--epochs", "0"] => "--epochs";
    bad_input_zero_negative: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--negative", "0"] => "--negative";
    bad_input_lr_hold_of_one: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--lr-hold", "1"] => "--lr-hold";
    bad_input_rare_pair_threshold_negative: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--rare-pair-threshold=-0.5"] => "--rare-pair-threshold";
    bad_input_rare_centre_threshold_one: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--rare-centre-threshold", "1"] => "--rare-centre-threshold";
    bad_input_rare_centre_count_and_threshold: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--rare-centre-count", "100", "--rare-centre-threshold", "1e-5"] => "--rare-centre-count";
    bad_input_old_name_of_rare_centre_threshold: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--rare-centre-window", "2"] => "--rare-centre-threshold";
    bad_input_rare_centre_radius_too_wide: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--rare-centre-radius", "1001"] => "--rare-centre-radius";
    bad_input_output_dir_missing: ["{dir}/ok.txt", "-o", "{dir}/no/such/v.bin", "--min-count", "1"] => "cannot write";
    bad_input_output_is_a_directory: ["{dir}/ok.txt", "-o", "{dir}", "--min-count", "1"] => "cannot write";
    bad_input_missing_eval_questions: ["{dir}/ok.txt", "-o", "{dir}/v.bin", "--min-count", "1", "--eval-analogies", "{dir}/q.txt"] => "cannot read analogy questions";
    bad_input_hs_with_one_word: ["{dir}/ok.txt", "-o", "{dir}/v.bin", "--min-count", "1", "--max-vocab", "1", "--loss", "hs"] => "at least 2 words";
    bad_input_missing_vocab_file: ["{dir}/ok.txt", "-o", "{dir}/v.bin", "--read-vocab", "{dir}/none.txt"] => "cannot open vocabulary";
    bad_input_malformed_vocab_file: ["{dir}/ok.txt", "-o", "{dir}/v.bin", "--read-vocab", "{dir}/bad_vocab.txt"] => "line 2: expected `word count`";
    bad_input_vocab_file_below_min_count: ["{dir}/ok.txt", "-o", "{dir}/v.bin", "--read-vocab", "{dir}/rare_vocab.txt"] => "no word has a count of at least --min-count 5";
    bad_input_divergence_stops_with_advice: ["{dir}/ok.txt", "-o", "{dir}/v.bin", "--min-count", "1", "--sample", "0", "--lr", "10", "--threads", "1", "--quiet"] => "try a lower --lr";
    bad_input_epochs_too_many: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--epochs", "100000000000"] => "--epochs: must be at most 10000";
    bad_input_threads_too_many: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--threads", "100000000"] => "--threads: must be at most 1024";
    bad_input_dim_too_large: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--dim", "100000000000"] => "--dim: must be at most 100000";
    bad_input_negative_too_many: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--negative", "5000"] => "--negative: must be at most 1000";
    bad_input_window_too_wide: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--window", "5000"] => "--window: must be at most 1000";
    bad_input_max_vocab_too_large: ["{dir}/ok.txt", "-o", "{dir}/out.bin", "--max-vocab", "100000000000"] => "--max-vocab: must be at most";
    bad_input_shared_negatives_does_not_swallow_the_corpus: ["--shared-negatives", "{dir}/ok.txt", "-o", "{dir}/out.bin"] => "--shared-negatives";
    bad_input_vocab_path_unwritable: ["{dir}/ok.txt", "-o", "{dir}/v.bin", "--min-count", "1", "--save-vocab", "{dir}/no/v.txt"] => "cannot write";
}

#[test]
fn valid_settings_on_a_tiny_corpus_train() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("ok.txt");
    std::fs::write(&corpus, "a b a b a b a b a b a b").unwrap();
    let out = dir.path().join("v.txt");
    let o = run(&[
        "train",
        corpus.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--min-count",
        "1",
        "--quiet",
        "--dim",
        "4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = Embeddings::load(&out, None).unwrap();
    assert_eq!((e.len(), e.dim()), (2, 4));
}

#[test]
fn similar_prints_neighbours_and_rejects_unknown_words() {
    let dir = tempfile::tempdir().unwrap();
    let (v, o) = train_small(dir.path(), "v.bin", &["--dim", "16", "--epochs", "1"]);
    assert!(o.status.success());
    let o = run(&["similar", v.to_str().unwrap(), "the", "-k", "3"]);
    assert!(o.status.success());
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(s.starts_with("the:\n"));
    assert_eq!(s.lines().count(), 4);
    let o = run(&["similar", v.to_str().unwrap(), "qqqqzzzz"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not in vocabulary: qqqqzzzz"));
}

#[test]
fn eval_analogies_prints_the_accuracy_of_every_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let q = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/eval/questions-words.txt");
    let corpus = dir.path().join("small.txt");
    std::fs::write(&corpus, sample_text(300_000)).unwrap();
    let out = dir.path().join("v.bin");
    let o = run(&[
        "train",
        corpus.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--epochs",
        "2",
        "--eval-analogies",
        q.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let accs: Vec<f64> = err
        .lines()
        .filter_map(|l| l.split("analogy accuracy ").nth(1))
        .map(|r| r.split('%').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(accs.len(), 2, "{err}");
    assert!(accs.iter().all(|a| (0.0..=100.0).contains(a)), "{accs:?}");
}

#[test]
fn every_loss_trains_both_models_and_is_recorded_next_to_the_vectors() {
    let dir = tempfile::tempdir().unwrap();
    for (loss, extra) in [("hs", vec![]), ("softmax", vec!["--max-vocab", "300"])] {
        for model in ["skipgram", "cbow"] {
            let name = format!("{loss}-{model}.bin");
            let mut args = vec![
                "--loss",
                loss,
                "--model",
                model,
                "--epochs",
                "3",
                "--threads",
                "1",
                "--negative",
                "0",
            ];
            args.extend(&extra);
            let (out, o) = train_small(dir.path(), &name, &args);
            assert!(o.status.success(), "{loss} {model}: {}", stderr(&o));
            let card = read_card(dir.path(), &name);
            assert_eq!(card["config"]["loss"], loss);
            assert_eq!(card["config"]["model"], model);
            assert_eq!(card["resolved"]["output_init"], "zero");
            let losses = card_losses(&card);
            assert_eq!(losses.len(), 3);
            assert!(losses[2] < losses[0], "{loss} {model}: {losses:?}");
            let e = Embeddings::load(&out, None).unwrap();
            assert_eq!(e.len(), card["words"].as_u64().unwrap() as usize);
        }
    }
}

#[test]
fn output_init_defaults_by_model_are_recorded_and_both_choices_learn() {
    let dir = tempfile::tempdir().unwrap();
    for (model, flag, want) in [
        ("skipgram", None, "zero"),
        ("cbow", None, "uniform"),
        ("skipgram", Some("uniform"), "uniform"),
        ("cbow", Some("zero"), "zero"),
    ] {
        let name = format!("{model}-{want}.bin");
        let mut args = vec!["--model", model, "--epochs", "3", "--threads", "1"];
        if let Some(f) = flag {
            args.extend(["--output-init", f]);
        }
        let (_, o) = train_small(dir.path(), &name, &args);
        assert!(o.status.success(), "{model} {flag:?}: {}", stderr(&o));
        let card = read_card(dir.path(), &name);
        assert_eq!(card["resolved"]["output_init"], want, "{model} {flag:?}");
        let losses = card_losses(&card);
        assert_eq!(losses.len(), 3);
        assert!(losses[2] < losses[0], "{model} {flag:?}: {losses:?}");
    }
}

#[test]
fn max_vocab_is_exact_and_a_saved_vocabulary_skips_counting() {
    let dir = tempfile::tempdir().unwrap();
    let words = |name: &str| -> u64 {
        let card = read_card(dir.path(), name);
        card["words"].as_u64().unwrap()
    };
    let vocab = dir.path().join("vocab.txt");
    let (_, o) = train_small(
        dir.path(),
        "full.bin",
        &[
            "--epochs",
            "1",
            "--threads",
            "1",
            "--save-vocab",
            vocab.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let full = words("full.bin");
    assert!(full > 100, "{full}");
    let (_, o) = train_small(
        dir.path(),
        "capped.bin",
        &["--epochs", "1", "--max-vocab", "37"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(words("capped.bin"), 37);

    // Trained from the saved vocabulary: same words, same vectors (1 thread, same seed).
    let (a, o) = train_small(
        dir.path(),
        "again.bin",
        &[
            "--epochs",
            "1",
            "--threads",
            "1",
            "--read-vocab",
            vocab.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(a).unwrap(),
        std::fs::read(dir.path().join("full.bin")).unwrap()
    );
    // --max-vocab applies to a read vocabulary too, keeping its most frequent words.
    let (b, o) = train_small(
        dir.path(),
        "read_capped.bin",
        &[
            "--epochs",
            "1",
            "--max-vocab",
            "20",
            "--read-vocab",
            vocab.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let got = Embeddings::load(&b, None).unwrap();
    let text = std::fs::read_to_string(&vocab).unwrap();
    let first: Vec<&str> = text
        .lines()
        .take(20)
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let loaded: Vec<String> = got
        .words()
        .iter()
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    assert_eq!(loaded, first);
}

#[test]
fn the_word2vec_preset_is_recorded_and_an_explicit_option_still_wins() {
    let dir = tempfile::tempdir().unwrap();
    for (model, extra, shared) in [
        ("skipgram", vec![], false),
        ("cbow", vec![], false),
        ("skipgram", vec!["--shared-negatives", "true"], true),
    ] {
        let name = format!("{model}-{shared}.bin");
        let mut args = vec!["--model", model, "--epochs", "2", "--threads", "1"];
        args.extend(["--preset", "word2vec"]);
        args.extend(&extra);
        let (_, o) = train_small(dir.path(), &name, &args);
        assert!(o.status.success(), "{model} {extra:?}: {}", stderr(&o));
        let card = read_card(dir.path(), &name);
        assert_eq!(card["config"]["preset"], "word2vec");
        let r = &card["resolved"];
        assert_eq!(r["shared_negatives"], shared, "{model} {extra:?}");
        assert_eq!(r["lr_hold"], 0.0);
        assert_eq!(r["rare_centre_count"], 0.0);
        assert_eq!(r["output_init"], "zero");
        assert_eq!(r["sentence_tokens"], 1000);
    }
}

#[test]
fn input_plus_output_vectors_are_the_sum_of_the_two_matrices() {
    // One thread and one seed: both runs train the same matrices, so the saved vectors differ
    // by the output rows, which are zero for a word never predicted and not otherwise.
    let dir = tempfile::tempdir().unwrap();
    let base = ["--epochs", "2", "--threads", "1", "--format", "text"];
    let (plain, o) = train_small(dir.path(), "in.txt", &base);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut args = base.to_vec();
    args.extend(["--vectors-from", "input+output"]);
    let (sum, o) = train_small(dir.path(), "sum.txt", &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read_card(dir.path(), "sum.txt")["config"]["vectors_from"],
        "input+output"
    );
    let (a, b) = (
        Embeddings::load(&plain, None).unwrap(),
        Embeddings::load(&sum, None).unwrap(),
    );
    assert_eq!(a.len(), b.len());
    let differs = (0..a.len()).filter(|&i| a.row(i) != b.row(i)).count();
    assert!(
        differs > a.len() / 2,
        "{differs} of {} rows changed",
        a.len()
    );
    let mut args = base.to_vec();
    args.extend(["--vectors-from", "input+output", "--loss", "hs"]);
    let (_, o) = train_small(dir.path(), "hs.txt", &args);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("vectors-from"), "{}", stderr(&o));
}

/// A build without MPI started by `mpirun` as one of several copies refuses to train (each copy
/// would train alone on the whole corpus into the same files) and says how to build it.
#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_started_as_several_ranks_refuses_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (out, o) = train_small_env(dir.path(), "v.bin", &[], &[("OMPI_COMM_WORLD_SIZE", "2")]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--features mpi"), "{}", stderr(&o));
    assert!(!out.exists());
}
