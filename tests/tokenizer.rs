//! Raw text: `w2v tokenize`, `train --tokenizer unicode` and queries that cut their words the
//! way the vectors' words were cut (the binary, end to end).

use std::path::Path;
use std::process::Output;

use w2v::Embeddings;

mod common;
use common::{read_card, sample_text, stderr, w2v};

/// The sample corpus made raw: capitalised sentence starts, punctuation glued on, and a
/// planted group of Cyrillic words written in several cases and with punctuation.
fn raw_corpus(dir: &Path) -> std::path::PathBuf {
    let base = sample_text(600_000);
    let mut out = String::new();
    let group = ["Москва,", "ГОРОД", "столица.", "Кремль"];
    for (i, w) in base.split(' ').filter(|w| !w.is_empty()).enumerate() {
        if i % 12 == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        } else {
            out.push_str(w);
        }
        out.push_str(if i % 12 == 11 {
            ".\n"
        } else if i % 7 == 0 {
            ", "
        } else {
            " "
        });
        if i % 400 == 200 {
            for j in 0..4 {
                out.push_str(group[(j + i / 400) % 4]);
                out.push(' ');
            }
        }
    }
    let p = dir.join("raw.txt");
    std::fs::write(&p, out).unwrap();
    p
}

/// `w2v train CORPUS -o OUT --tokenizer unicode --threads 2 EXTRA...` with its temporary
/// directory at `tmp`.
fn train_unicode(corpus: &Path, out: &Path, tmp: &Path, extra: &[&str]) -> Output {
    w2v()
        .env("TMPDIR", tmp)
        .args([
            "train",
            corpus.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--tokenizer", "unicode", "--threads", "2"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn raw_text_trains_with_the_unicode_tokenizer_and_queries_cut_alike() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let corpus = raw_corpus(dir.path());
    let vec_path = dir.path().join("v.bin");
    let train = |extra: &[&str]| {
        let args = [&["--dim", "30", "--epochs", "3"], extra].concat();
        let o = train_unicode(&corpus, &vec_path, tmp.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let err = train(&[]);
    assert!(err.contains("tokenised:"), "{err}");
    // The copy in the temporary directory is gone once the run is done.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    let e = Embeddings::load(&vec_path, None).unwrap();
    for w in ["москва", "город", "столица", "кремль", "the"] {
        assert!(e.index_of(w.as_bytes()).is_some(), "{w} missing");
    }
    for w in ["Москва,", "ГОРОД", "The", "the,", "."] {
        assert!(
            e.index_of(w.as_bytes()).is_none(),
            "{w} should have been cut"
        );
    }
    let card = read_card(dir.path(), "v.bin");
    assert_eq!(card["config"]["tokenizer"], "unicode");
    assert_eq!(card["resolved"]["tokenizer"]["lowercase"], true);
    // Queries cut their words as the vectors' words were cut.
    let o = w2v()
        .args(["similar", vec_path.to_str().unwrap(), "МОСКВА", "-k", "3"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.starts_with("москва"), "{out}");
    assert!(
        ["город", "столица", "кремль"]
            .iter()
            .any(|w| out.contains(w)),
        "{out}"
    );
    let o = w2v()
        .args(["similar", vec_path.to_str().unwrap(), "北京大学生"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("several words"), "{}", stderr(&o));
    // Evaluation files are cut the same way, a header line is recognised.
    let pairs = dir.path().join("pairs.csv");
    std::fs::write(
        &pairs,
        "word1,word2,sim\nМосква,Кремль,0.9\nМосква,THE,0.1\nМосква,北京大学生,0.5\n",
    )
    .unwrap();
    let o = w2v()
        .args(["eval", vec_path.to_str().unwrap(), "--json", "--similarity"])
        .arg(&pairs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v["similarity"][0];
    assert_eq!(
        (s["pairs"].as_u64(), s["split"].as_u64()),
        (Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(s["header"], "word1,word2,sim");
    // A tokens directory keeps the copy, and the next run reuses it.
    let keep = dir.path().join("tokens");
    std::fs::create_dir(&keep).unwrap();
    let kept = ["--tokens-dir", keep.to_str().unwrap()];
    train(&kept);
    assert_eq!(std::fs::read_dir(&keep).unwrap().count(), 1);
    let again = train(&kept);
    assert!(again.contains("reusing the tokenised copy"), "{again}");
}

#[test]
fn tokenize_writes_one_line_per_input_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let mut text = "Hello, World! Don't stop.\n\n我们在北京大学学习。\nЧто-то  случилось…\n"
        .as_bytes()
        .to_vec();
    text.extend_from_slice(b"bad \xff byte\n");
    std::fs::write(&input, &text).unwrap();
    let o = w2v()
        .args(["tokenize", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8(o.stdout.clone()).unwrap(),
        "hello world don't stop\n\n我们 在 北京大学 学习\nчто-то случилось\nbad byte\n"
    );
    assert!(stderr(&o).contains("1 invalid UTF-8"), "{}", stderr(&o));
    // To a .gz file: compressed, and the same text.
    let gz = dir.path().join("out.txt.gz");
    let o = w2v()
        .args([
            "tokenize",
            input.to_str().unwrap(),
            "-q",
            "-o",
            gz.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mut plain = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut plain)
        .unwrap();
    assert!(plain.starts_with("hello world don't stop\n"), "{plain}");
}

#[test]
fn utf16_text_is_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("utf16.txt");
    let mut bytes = vec![0xFF, 0xFE];
    for u in "some words here\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(&corpus, bytes).unwrap();
    let out = dir.path().join("v.bin");
    for tokenizer in ["whitespace", "unicode"] {
        let o = w2v()
            .args([
                "train",
                corpus.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .args(["--tokenizer", tokenizer])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(err.contains("UTF-16") && err.lines().count() == 1, "{err}");
    }
}

#[test]
fn lowercase_alone_folds_whitespace_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, "The the THE cat, Cat\n".repeat(50)).unwrap();
    let out = dir.path().join("v.txt");
    let o = w2v()
        .env("TMPDIR", dir.path())
        .args([
            "train",
            corpus.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args([
            "--lowercase",
            "true",
            "--threads",
            "1",
            "--dim",
            "8",
            "--epochs",
            "1",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let e = Embeddings::load(&out, None).unwrap();
    let mut words: Vec<String> = e
        .words()
        .iter()
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    words.sort();
    assert_eq!(words, ["cat", "cat,", "the"]);
}

#[test]
fn an_interrupted_unicode_run_keeps_its_copy_for_resume() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let corpus = raw_corpus(dir.path());
    let out = dir.path().join("v.bin");
    let o = train_unicode(
        &corpus,
        &out,
        tmp.path(),
        &["--dim", "20", "--epochs", "2", "--stop-after-epoch", "1"],
    );
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let kept: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        kept.len() == 1 && kept[0].starts_with("w2v-tokens-") && kept[0].ends_with("-kept.txt"),
        "the copy is kept for the resume: {kept:?}"
    );
    let ckpt = dir.path().join("v.bin.ckpt");
    let o = w2v()
        .env("TMPDIR", tmp.path())
        .args(["train", "--resume", ckpt.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("reusing the tokenised copy"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "and removed at the end"
    );
    assert!(
        Embeddings::load(&out, None)
            .unwrap()
            .index_of("москва".as_bytes())
            .is_some()
    );
}
