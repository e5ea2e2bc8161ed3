//! fastText compatibility against golden files that fastText itself produced
//! (`tests/fixtures/fasttext_golden.py`): the n-grams and their buckets, and a model written by
//! fastText read back with fastText's vectors for known and unknown words.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use w2v::formats::fasttext::{read_fasttext, write_fasttext};
use w2v::text::subword::NgramSpec;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap()
}

#[test]
fn ngrams_and_buckets_equal_fasttexts_in_every_script() {
    let golden = json("fasttext_ngrams.json");
    for (name, spec) in [
        (
            "minn3_maxn6_b2000000",
            NgramSpec {
                minn: 3,
                maxn: 6,
                buckets: 2_000_000,
            },
        ),
        (
            "minn1_maxn2_b1000",
            NgramSpec {
                minn: 1,
                maxn: 2,
                buckets: 1000,
            },
        ),
    ] {
        let rows = golden[name].as_array().unwrap();
        assert!(rows.len() > 10);
        for row in rows {
            let word = row["word"].as_str().unwrap();
            let want_grams: Vec<&str> = row["ngrams"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            let want_buckets: Vec<u32> = row["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_u64().unwrap() as u32)
                .collect();
            let grams: Vec<String> = spec
                .ngrams(word.as_bytes())
                .into_iter()
                .map(|g| String::from_utf8(g).unwrap())
                .collect();
            let mut buckets = Vec::new();
            spec.buckets_of(word.as_bytes(), &mut buckets);
            assert_eq!(grams, want_grams, "{name}: {word}");
            assert_eq!(buckets, want_buckets, "{name}: {word}");
        }
    }
}

#[test]
fn a_model_written_by_fasttext_gives_fasttexts_vectors() {
    let golden = json("fasttext_small.json");
    let model = read_fasttext(&fixture("fasttext_small.bin"), true).unwrap();
    let words: Vec<&str> = golden["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let ours: Vec<&str> = model
        .words
        .iter()
        .map(|w| std::str::from_utf8(w).unwrap())
        .collect();
    assert_eq!(ours, words);
    let mut v = vec![0.0f32; model.dim()];
    for (word, want) in golden["vectors"].as_object().unwrap() {
        let index = model.words.iter().position(|w| **w == *word.as_bytes());
        assert_eq!(
            index.is_some(),
            golden["known"][word].as_bool().unwrap(),
            "{word}"
        );
        model.word_vector(word.as_bytes(), index, &mut v).unwrap();
        for (a, b) in v.iter().zip(want.as_array().unwrap()) {
            let b = b.as_f64().unwrap() as f32;
            assert!((a - b).abs() <= 1e-6, "{word}: {a} vs {b}");
        }
    }
}

#[test]
fn a_fasttext_model_written_back_is_the_same_file() {
    let path = fixture("fasttext_small.bin");
    let model = read_fasttext(&path, true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("again.bin");
    write_fasttext(&out, &model).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&path).unwrap());
}

#[test]
fn query_commands_read_fasttext_models_and_give_unknown_words_vectors() {
    let golden = json("fasttext_small.json");
    let model = fixture("fasttext_small.bin");
    let mut child = common::w2v()
        .arg("vectors")
        .arg(&model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("cat catsat\nмир москвы\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    for line in lines {
        let mut it = line.split(' ');
        let word = it.next().unwrap();
        let got: Vec<f32> = it.map(|x| x.parse().unwrap()).collect();
        let want = golden["vectors"][word].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(want) {
            assert!((a - b.as_f64().unwrap() as f32).abs() <= 1e-6, "{word}");
        }
    }
    // Neighbours of a word the model never saw, and its similarity to one it did.
    let out = common::run(&["similar", model.to_str().unwrap(), "catsat", "-k", "3"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .trim_start()
            .starts_with("cat "),
        "{text}"
    );
    // A word2vec file has no n-grams: an unknown word stays unknown.
    let out = common::run(&[
        "similar",
        fixture("vectors.bin.gz").to_str().unwrap(),
        "zzqqxx",
    ]);
    assert!(!out.status.success());
}
