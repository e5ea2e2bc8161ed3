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
    // Plots too: the unknown word is a labelled point with its neighbours; a word2vec file
    // still refuses it.
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("p.svg");
    // Given twice, it is one point.
    let out = common::run(&[
        "plot",
        model.to_str().unwrap(),
        "catsat",
        "catsat",
        "--neighbours",
        "2",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let drawn = std::fs::read_to_string(&svg).unwrap();
    let labels = |w: &str| drawn.lines().filter(|l| l.trim() == w).count();
    assert_eq!(labels("catsat"), 1, "the unknown word, once");
    assert_eq!(labels("cat"), 1, "its neighbour, once");
    let out = common::run(&[
        "plot",
        fixture("vectors.bin.gz").to_str().unwrap(),
        "zzqqxx",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(common::stderr(&out).contains("not in vocabulary"));
}

/// Reads a word2vec text file into (word, vector) pairs.
fn read_vec(path: &std::path::Path) -> Vec<(String, Vec<f32>)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let mut it = l.split(' ').filter(|x| !x.is_empty());
            let w = it.next().unwrap().to_string();
            (w, it.map(|x| x.parse().unwrap()).collect())
        })
        .collect()
}

fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

#[test]
fn a_model_written_by_w2v_gives_fasttexts_vectors_in_w2v() {
    // w2v_small.bin was written by `w2v train --subwords`; w2v_small.json holds the vectors
    // fastText computed from it (tests/fixtures/fasttext_golden.py).
    let golden = json("w2v_small.json");
    let e = w2v::Embeddings::load(fixture("w2v_small.bin"), None).unwrap();
    assert!(e.subwords().is_some());
    for (word, want) in golden["vectors"].as_object().unwrap() {
        assert_eq!(
            e.lookup(word.as_bytes()).is_some(),
            golden["known"][word].as_bool().unwrap(),
            "{word}"
        );
        let got = e.vector_for(word.as_bytes()).unwrap();
        let want: Vec<f32> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        assert!(close(&got, &want, 1e-6), "{word}: {got:?} vs {want:?}");
    }
}

/// The bytes of a fastText file before its input matrix's floats: header, arguments,
/// dictionary, and the matrix's shape.
fn header_bytes(path: &std::path::Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let model = read_fasttext(path, true).unwrap();
    let floats = model.input.len() + model.output.as_ref().unwrap().len();
    // Two matrices, each: quantised flag (1 byte), rows and cols (16 bytes), floats.
    let header = bytes.len() - floats * 4 - 2 * 17;
    bytes[..header].to_vec()
}

#[test]
fn training_with_subwords_writes_fasttexts_model_and_word_vectors() {
    let dir = tempfile::tempdir().unwrap();
    // The text the golden model was trained on (tests/fixtures/fasttext_golden.py).
    let line = "the cat sat on the mat where a cat sat мир москва что-то 中国 東京都 ελλάδα \
                مرحبا naïve the dog and the cat went where the mat was\n";
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, line.repeat(40)).unwrap();
    let out = dir.path().join("small.vec");
    let o = common::run(&[
        "train",
        corpus.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--subwords",
        "--dim",
        "8",
        "--buckets",
        "1000",
        "--min-count",
        "1",
        "--epochs",
        "1",
        "--threads",
        "1",
        "--loss",
        "hs",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    // fastText's naming: STEM.bin (the model) and STEM.vec (the word vectors).
    let bin = dir.path().join("small.bin");
    assert!(bin.exists() && out.exists() && dir.path().join("small.bin.json").exists());
    // The file fastText read in the golden test, up to the floats: same arguments, dictionary
    // and shapes.
    assert_eq!(header_bytes(&bin), header_bytes(&fixture("w2v_small.bin")));
    let model = read_fasttext(&bin, true).unwrap();
    assert_eq!(model.input.len(), (model.words.len() + 1000) * 8);
    assert_eq!(model.output.as_ref().unwrap().len(), model.words.len() * 8);
    // The .vec file holds each word's fastText vector (mean of its rows).
    let e = w2v::Embeddings::load(&bin, None).unwrap();
    let vec = read_vec(&out);
    assert_eq!(vec.len(), model.words.len());
    for (w, v) in &vec {
        let i = e.lookup(w.as_bytes()).unwrap();
        assert!(close(v, e.row(i), 1e-6), "{w}");
    }
    // Unknown words get vectors: the query commands read the model.
    let o = common::run(&["similar", bin.to_str().unwrap(), "catsat", "-k", "2"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
}

/// Subwords with the unicode tokenizer: raw Russian text trains (deterministically) into a
/// model whose card names the tokenizer, and queries cut their words with it, so that a
/// capitalised word the model never saw in that form finds its lower-case row, and an unknown
/// inflection gets a vector from its n-grams.
#[test]
fn subwords_train_on_raw_text_with_the_unicode_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("ru.txt");
    let text = "Москва — столица России. В Москве живут люди, а Петербург стоит на Неве!\n\
                Люди любят Москву и Петербург; столица большая.\n";
    std::fs::write(&corpus, text.repeat(60)).unwrap();
    let train = |name: &str| {
        let stem = dir.path().join(name);
        let o = common::run(&[
            "train",
            corpus.to_str().unwrap(),
            "-o",
            stem.to_str().unwrap(),
            "--tokenizer",
            "unicode",
            "--subwords",
            "--dim",
            "8",
            "--buckets",
            "2000",
            "--min-count",
            "1",
            "--epochs",
            "2",
            "--threads",
            "2",
            "--deterministic",
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        dir.path().join(format!("{name}.bin"))
    };
    let (a, b) = (train("a"), train("b"));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let card = std::fs::read_to_string(dir.path().join("a.bin.json")).unwrap();
    assert!(card.contains("unicode"), "{card}");
    let e = w2v::Embeddings::load(&a, None).unwrap();
    let exact = |w: &str| e.index_of(w.as_bytes()).is_some();
    assert!(exact("москва") && !exact("Москва"));
    assert!(!exact("москвой") && e.lookup("москвой".as_bytes()).is_none());
    for word in ["МОСКВА", "Москвой"] {
        let o = common::run(&["similar", a.to_str().unwrap(), word, "-k", "2"]);
        assert!(o.status.success(), "{word}: {}", common::stderr(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).lines().count(),
            3,
            "{word}"
        );
    }
}

#[test]
fn subword_training_is_deterministic_and_resumes_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, common::sample_text(60_000)).unwrap();
    let corpus = corpus.to_str().unwrap();
    let train = |name: &str, extra: &[&str]| {
        let stem = dir.path().join(name);
        let mut args = vec![
            "train",
            corpus,
            "-o",
            stem.to_str().unwrap(),
            "--subwords",
            "--dim",
            "16",
            "--buckets",
            "5000",
            "--min-count",
            "2",
            "--epochs",
            "3",
            "--threads",
            "2",
            "--deterministic",
            "--quiet",
        ];
        args.extend(extra);
        let o = common::run(&args);
        (o, dir.path().join(format!("{name}.bin")))
    };
    for model in ["skipgram", "cbow"] {
        let (o, a) = train(&format!("a-{model}"), &["--model", model]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        let (o, b) = train(&format!("b-{model}"), &["--model", model]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
            "{model}: two deterministic subword runs differ"
        );
        let (o, cut) = train(
            &format!("cut-{model}"),
            &["--model", model, "--stop-after-epoch", "1"],
        );
        assert_eq!(o.status.code(), Some(130), "{}", common::stderr(&o));
        assert!(!cut.exists());
        let ckpt = dir.path().join(format!("cut-{model}.bin.ckpt"));
        let o = common::run(&["train", "--resume", ckpt.to_str().unwrap(), "--quiet"]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        assert!(
            std::fs::read(&cut).unwrap() == std::fs::read(&a).unwrap(),
            "{model}: stop + resume differs from an uninterrupted run"
        );
    }
}

#[test]
fn bad_subword_settings_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, "a b c a b c\n").unwrap();
    let out = dir.path().join("m");
    let base = [
        "train",
        corpus.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ];
    for (extra, says) in [
        (&["--subwords", "--buckets", "0"][..], "--buckets"),
        (&["--subwords", "--minn", "4", "--maxn", "3"][..], "--maxn"),
        (&["--subwords", "--minn", "0"][..], "--minn"),
        (
            &["--subwords", "--vectors-from", "input+output"][..],
            "--vectors-from",
        ),
        (&["--subwords", "--format", "text"][..], "--format"),
        // More memory than any machine has: refused before anything is allocated.
        (
            &[
                "--subwords",
                "--buckets",
                "2000000000",
                "--dim",
                "100000",
                "--min-count",
                "1",
            ][..],
            "--buckets",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let o = common::run(&args);
        assert!(!o.status.success(), "{extra:?}");
        let err = common::stderr(&o);
        assert!(err.contains(says), "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
    }
}
