//! Hostile corpora: binary garbage, NUL bytes, CRLF, one endless line, a file that vanishes or
//! grows while training. Each trains or fails with one clear line, never a panic or a torn file.

use std::path::Path;

mod common;
use common::{run, sample_text, stderr};

fn card(out: &Path) -> serde_json::Value {
    let mut p = out.as_os_str().to_owned();
    p.push(".json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn train(corpus: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "train",
        corpus.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
        "--dim",
        "8",
        "--epochs",
        "1",
        "--threads",
        "2",
    ];
    args.extend(extra);
    run(&args)
}

/// Deterministic pseudo-random bytes (xorshift).
fn garbage(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn binary_garbage_fails_clearly_or_trains_on_its_byte_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("garbage.bin");
    std::fs::write(&corpus, garbage(300_000)).unwrap();
    let out = dir.path().join("v.bin");
    // Random bytes make almost every token unique: nothing reaches --min-count 5.
    let o = train(&corpus, &out, &[]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("lower --min-count"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!out.exists());
    // With --min-count 1 every byte token is a word, and comes back byte for byte.
    let o = train(&corpus, &out, &["--min-count", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = w2v::Embeddings::load(&out, None).unwrap();
    assert!(e.len() > 1000, "{}", e.len());
    assert!(e.matrix().iter().all(|x| x.is_finite()));
    assert!(
        e.words().iter().any(|w| w.contains(&0u8)),
        "NUL bytes kept inside words"
    );
    assert!(
        e.words()
            .iter()
            .all(|w| !w.is_empty() && !w.iter().any(|b| b" \t\n\r\x0b\x0c".contains(b)))
    );
}

#[test]
fn crlf_and_nul_bytes_read_like_plain_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_text(100_000);
    let lf: String = text
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i % 17 == 16 {
                format!("{w}\n")
            } else {
                format!("{w} ")
            }
        })
        .collect();
    let crlf = lf.replace('\n', "\r\n");
    let nul = lf.replace(" the ", " th\0e ");
    let mut vocabs = vec![];
    for (name, body) in [("lf.txt", &lf), ("crlf.txt", &crlf), ("nul.txt", &nul)] {
        let corpus = dir.path().join(name);
        std::fs::write(&corpus, body).unwrap();
        let out = dir.path().join(format!("{name}.bin"));
        let vocab = dir.path().join(format!("{name}.vocab"));
        let o = train(&corpus, &out, &["--save-vocab", vocab.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        vocabs.push(std::fs::read(vocab).unwrap());
    }
    assert_eq!(vocabs[0], vocabs[1], "CRLF gives exactly the LF vocabulary");
    let nul_vocab = String::from_utf8_lossy(&vocabs[2]);
    assert!(
        nul_vocab.contains("th\0e "),
        "a NUL byte is part of its word"
    );
}

#[test]
fn one_endless_line_is_cut_into_sentences_and_every_token_counted() {
    let dir = tempfile::tempdir().unwrap();
    // 1.2 MB, no newline at all: 10,000-token sentences, nothing dropped.
    let text = sample_text(1_200_000).replace('\n', " ");
    let tokens = text.split_ascii_whitespace().count() as u64;
    let corpus = dir.path().join("line.txt");
    std::fs::write(&corpus, &text).unwrap();
    let out = dir.path().join("v.bin");
    let o = train(&corpus, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(card(&out)["tokens_read"].as_u64().unwrap(), tokens);
}

#[test]
fn a_corpus_that_vanishes_mid_run_fails_cleanly_and_one_that_grows_is_read_as_it_was() {
    // Through the library, changing the file when the vocabulary is ready (after the counting
    // pass, before any worker opens its shard): no dependence on timing.
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    let text = sample_text(200_000);
    let config = w2v::TrainConfig {
        epochs: 3,
        dim: 24,
        ..Default::default()
    };
    let one_thread = || w2v::TrainOptions {
        run: w2v::RunConfig {
            threads: Some(1),
            ..Default::default()
        },
        ..Default::default()
    };
    std::fs::write(&corpus, &text).unwrap();
    let r = w2v::train_with(&corpus, &config, one_thread(), &mut |p| {
        if let w2v::Progress::VocabReady { .. } = p {
            std::fs::remove_file(&corpus).unwrap();
        }
    });
    let err = r.err().expect("a vanished corpus is an error").to_string();
    assert!(err.contains("cannot read corpus"), "{err}");

    std::fs::write(&corpus, &text).unwrap();
    let tokens = text.split_ascii_whitespace().count() as u64;
    let out = w2v::train_with(&corpus, &config, one_thread(), &mut |p| {
        if let w2v::Progress::VocabReady { .. } = p {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&corpus)
                .unwrap();
            f.write_all(b" appended words that were not there when training began")
                .unwrap();
        }
    })
    .unwrap();
    assert_eq!(out.stats.tokens_read, 3 * tokens);
}
