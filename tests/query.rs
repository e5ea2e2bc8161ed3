//! Integration tests of the query commands (`similar`, `analogy`, `eval`) on committed vectors.
//!
//! `tests/fixtures/vectors.bin.gz`: 8,000 words × 32 dimensions, trained by
//! `w2v train data/sample.txt.gz -o vectors.bin --dim 32 --max-vocab 8000 --threads 1 --seed 1`.
//! `tests/fixtures/gensim_expected.json`: gensim 4.4.0's scores of that file, made by
//! `benchsuite/gensim_eval.py tests/fixtures/vectors.bin.gz --restrict 30000 2000`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn w2v() -> Command {
    Command::new(env!("CARGO_BIN_EXE_w2v"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn vectors() -> String {
    fixture("vectors.bin.gz").to_string_lossy().into_owned()
}

fn run(args: &[&str]) -> Output {
    let o = w2v().args(args).output().expect("run w2v");
    assert!(
        o.status.success(),
        "w2v {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

#[test]
fn eval_agrees_with_gensim_on_the_fixture() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(fixture("gensim_expected.json")).unwrap()).unwrap();
    for restrict in ["30000", "2000"] {
        let got = json(&run(&[
            "eval",
            &vectors(),
            "--restrict",
            restrict,
            "--json",
        ]));
        let want = &expected["analogy"][restrict];
        let a = &got["analogy"];
        let (acc, want_acc) = (
            a["accuracy"].as_f64().unwrap(),
            want["accuracy"].as_f64().unwrap(),
        );
        assert!(
            (acc - want_acc).abs() < 1e-4,
            "restrict {restrict}: accuracy {acc} vs gensim {want_acc}"
        );
        // gensim lists the sections it saw, then a "Total accuracy" pseudo-section.
        let want_sections = want["sections"].as_array().unwrap();
        let total = want_sections.last().unwrap();
        assert_eq!(a["correct"], total["correct"], "restrict {restrict}");
        assert_eq!(a["answered"], total["answered"], "restrict {restrict}");
        for (g, w) in a["sections"].as_array().unwrap().iter().zip(want_sections) {
            assert_eq!(g["name"], w["name"]);
            assert_eq!(g["correct"], w["correct"], "section {}", w["name"]);
            assert_eq!(g["answered"], w["answered"], "section {}", w["name"]);
        }
        assert_eq!(
            a["answered"].as_u64().unwrap() + a["skipped"].as_u64().unwrap(),
            19_544
        );
        let ws = &got["similarity"][0];
        let want_ws = &expected["wordsim353"];
        for key in ["spearman", "pearson"] {
            let (g, w) = (ws[key].as_f64().unwrap(), want_ws[key].as_f64().unwrap());
            assert!((g - w).abs() < 1e-3, "{key}: {g} vs gensim {w}");
        }
        let (pairs, oov) = (ws["pairs"].as_f64().unwrap(), ws["oov"].as_f64().unwrap());
        let oov_percent = want_ws["oov_percent"].as_f64().unwrap();
        assert!((100.0 * oov / (pairs + oov) - oov_percent).abs() < 1e-9);
    }
}

#[test]
fn eval_reads_given_files_reports_malformed_lines_and_honours_strict() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q.txt");
    std::fs::write(
        &q,
        ": capital-common-countries\nathens greece baghdad iraq\nthis is wrong\nAthens Greece Rome Italy\n",
    )
    .unwrap();
    let ws = dir.path().join("ws.txt");
    std::fs::write(
        &ws,
        "# c\nking queen 8.5\nman woman\tabc\ncar automobile 9\n",
    )
    .unwrap();
    let (qs, wss) = (q.to_str().unwrap(), ws.to_str().unwrap());
    let o = run(&[
        "eval",
        &vectors(),
        "--analogies",
        qs,
        "--similarity",
        wss,
        "--json",
    ]);
    let v = json(&o);
    let a = &v["analogy"];
    assert_eq!(
        a["answered"].as_u64().unwrap() + a["skipped"].as_u64().unwrap(),
        2
    );
    assert_eq!(a["malformed"], 1);
    assert!(a["semantic"].is_number() || a["semantic"].is_null());
    assert_eq!(v["similarity"][0]["malformed"], 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("q.txt, line 3: expected 4 words, found 3 (skipped)"),
        "{err}"
    );
    let o = w2v()
        .args(["eval", &vectors(), "--similarity", wss, "--strict"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 3") && err.contains("`abc` is not a number"),
        "{err}"
    );
    // Only the analogy file asked for: no similarity key.
    let v = json(&run(&["eval", &vectors(), "--analogies", qs, "--json"]));
    assert!(v.get("similarity").is_none() && v.get("analogy").is_some());
}

/// Pair files as they come in the wild: the columns, the separator and the header line given
/// on the command line score the same pairs as a plain `word word score` file; unknown pairs
/// count as 0 with `--dummy4unknown`.
#[test]
fn eval_reads_pair_files_by_columns_delimiter_and_header() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.txt");
    std::fs::write(
        &plain,
        "king queen 8.5\ncar automobile 9\nman woman 7\nking car 2\n",
    )
    .unwrap();
    let odd = dir.path().join("odd.csv");
    std::fs::write(
        &odd,
        "id;score;w1;w2\n1;8.5;king;queen\n2;9;car;automobile\n3;7;man;woman\n4;2;king;car\n",
    )
    .unwrap();
    let score = |args: &[&str]| {
        let v = json(&run(args));
        let s = &v["similarity"][0];
        (
            s["spearman"].as_f64().unwrap(),
            s["pairs"].as_u64().unwrap(),
        )
    };
    let want = score(&[
        "eval",
        &vectors(),
        "--similarity",
        plain.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(want.1, 4);
    let got = score(&[
        "eval",
        &vectors(),
        "--similarity",
        odd.to_str().unwrap(),
        "--columns",
        "3,4,2",
        "--delimiter",
        ";",
        "--skip-header",
        "--json",
    ]);
    assert_eq!(got, want);
    // Without the options the lines have one field each (no tab, no space to split at): the
    // header is noted, every pair line is reported malformed, and nothing scores.
    let v = json(&run(&[
        "eval",
        &vectors(),
        "--similarity",
        odd.to_str().unwrap(),
        "--json",
    ]));
    let s = &v["similarity"][0];
    assert_eq!(
        (s["pairs"].as_u64(), s["malformed"].as_u64()),
        (Some(0), Some(4)),
        "{s}"
    );
    // An unknown word: skipped, or scored 0 on request.
    let unknown = dir.path().join("unknown.txt");
    std::fs::write(
        &unknown,
        "king queen 8.5\ncar automobile 9\nman woman 7\nzzqqx king 5\n",
    )
    .unwrap();
    let u = unknown.to_str().unwrap();
    assert_eq!(
        score(&["eval", &vectors(), "--similarity", u, "--json"]).1,
        3
    );
    assert_eq!(
        score(&[
            "eval",
            &vectors(),
            "--similarity",
            u,
            "--dummy4unknown",
            "--json"
        ])
        .1,
        4
    );
}

#[test]
fn analogy_and_similar_answer_in_text_and_json() {
    let v = json(&run(&[
        "analogy",
        &vectors(),
        "man",
        "king",
        "woman",
        "-k",
        "3",
        "--json",
    ]));
    let answers = v["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 3);
    for a in answers {
        assert!(!["man", "king", "woman"].contains(&a["word"].as_str().unwrap()));
    }
    let s: Vec<f64> = answers
        .iter()
        .map(|a| a["score"].as_f64().unwrap())
        .collect();
    assert!(s.windows(2).all(|w| w[0] >= w[1]), "{s:?}");
    let o = run(&[
        "analogy",
        &vectors(),
        "man",
        "king",
        "woman",
        "--method",
        "3cosmul",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("man : king :: woman : ?\n"));

    let o = run(&["similar", &vectors(), "france", "king", "-k", "4"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(text.starts_with("france:\n") && text.contains("\nking:\n"));

    let o = w2v()
        .args(["similar", &vectors(), "nosuchwordxyz"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("word not in vocabulary: nosuchwordxyz"));
}

#[test]
fn similar_reads_queries_from_a_pipe_and_survives_unknown_words() {
    let mut child = w2v()
        .args(["similar", &vectors(), "-k", "2", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"paris -france +italy\nnosuchwordxyz\n\nKing\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "blank lines are no query");
    assert_eq!(lines[0]["positive"], serde_json::json!(["paris", "italy"]));
    assert_eq!(lines[0]["negative"], serde_json::json!(["france"]));
    assert_eq!(lines[0]["neighbours"].as_array().unwrap().len(), 2);
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("nosuchwordxyz")
    );
    // Case-insensitive fallback: "King" finds "king", which is not its own neighbour.
    let n = lines[2]["neighbours"].as_array().unwrap();
    assert!(n.iter().all(|x| x["word"] != "king"));
}

/// Runs `w2v` expecting failure: exit `code`, one line on stderr containing `want`.
fn fails(args: &[&str], code: i32, want: &str) {
    let o = w2v().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.starts_with("w2v: error: ") && err.contains(want),
        "{args:?}: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
}

#[test]
fn size_flags_out_of_range_are_one_line_errors() {
    let v = vectors();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("p.svg");
    let svg = svg.to_str().unwrap();
    for (args, want) in [
        (
            vec!["similar", &v, "the", "-k", "100000000000000"],
            "must be from 1 to 1000000",
        ),
        (
            vec!["analogy", &v, "a", "b", "c", "-k", "0"],
            "must be from 1 to 1000000",
        ),
        (vec!["similar", &v, "the", "--limit", "0"], "--limit"),
        (vec!["eval", &v, "--restrict", "99999999999"], "--restrict"),
        (
            vec![
                "plot",
                &v,
                "the",
                "--neighbours",
                "100000000000000",
                "-o",
                svg,
            ],
            "--neighbours",
        ),
        (vec!["plot", &v, "--top", "1000000000", "-o", svg], "--top"),
    ] {
        fails(&args, 2, want);
    }
    // t-SNE holds n² affinities: more than 10,000 words is refused before any work.
    fails(
        &["plot", &v, "--top", "10001", "--method", "tsne", "-o", svg],
        1,
        "t-SNE of",
    );
}

#[test]
fn similarity_files_do_not_swallow_the_vectors_file() {
    // `--similarity FILE VECTORS`: one file per flag, the vectors stay positional.
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.txt");
    std::fs::write(&pairs, "the of 5\nthe and 4\nof and 3\n").unwrap();
    let p = pairs.to_str().unwrap();
    let v = json(&run(&[
        "eval",
        "--similarity",
        p,
        "--similarity",
        p,
        &vectors(),
        "--json",
    ]));
    assert_eq!(v["similarity"].as_array().unwrap().len(), 2);
}

#[test]
fn a_case_folded_answer_says_so() {
    // `THE` is not in the vocabulary; `the` is. The answer is for `the`, and the user is told.
    let exact = run(&["similar", &vectors(), "the"]);
    assert!(
        exact.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&exact.stderr)
    );
    let folded = run(&["similar", &vectors(), "THE"]);
    let err = String::from_utf8_lossy(&folded.stderr);
    assert!(
        err.contains("`THE` is not in the vocabulary; answering for `the`"),
        "{err}"
    );
    let body = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&exact), body(&folded));
    let a = run(&["analogy", &vectors(), "Man", "king", "woman"]);
    assert!(String::from_utf8_lossy(&a.stderr).contains("`Man` is not in the vocabulary"));
}

#[test]
fn limit_and_bad_vector_files() {
    let v = json(&run(&[
        "eval",
        &vectors(),
        "--limit",
        "500",
        "--restrict",
        "0",
        "--json",
    ]));
    let answered = v["analogy"]["answered"].as_u64().unwrap();
    let full = json(&run(&["eval", &vectors(), "--json"]));
    assert!(answered < full["analogy"]["answered"].as_u64().unwrap());

    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "trunc.bin",
            b"2 1\nab \x00\x00\x00\x00\nb \x00\x00",
            "file ends inside the vector of word 2",
        ),
        ("lying.txt", b"1 2\na 1 2\nb 3 4\n", "header disagrees"),
        ("nonnum.txt", b"1 2\na 1 x\n", "`x` is not a number"),
        ("huge.bin", b"900000000000 300\n", "more than the file"),
    ];
    for (name, bytes, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        for cmd in ["similar", "eval"] {
            let mut args = vec![cmd, p.to_str().unwrap()];
            if cmd == "similar" {
                args.push("a");
            }
            let o = w2v().args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{name}: {err}");
            assert!(err.contains(want), "{name}: {err}");
            assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        }
    }
    // A gzip file whose header lies about its size: nothing to check it against before
    // reading, so the reader must not allocate what the header declares.
    let lie = dir.path().join("lie.txt.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"1 4611686018427387904\nfoo 1 2\n").unwrap();
    std::fs::write(&lie, gz.finish().unwrap()).unwrap();
    let o = w2v()
        .args(["similar", lie.to_str().unwrap(), "foo"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("not a valid word2vec text file"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let o = w2v()
        .args(["eval", dir.path().join("missing.bin").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read vectors from"));
}

#[test]
fn plot_writes_svg_and_png_of_the_asked_size() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("space.png");
    let o = run(&[
        "plot",
        &vectors(),
        "france",
        "king",
        "-o",
        png.to_str().unwrap(),
        "--size",
        "640x480",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("PCA of 12 words"));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!((be(&bytes[16..20]), be(&bytes[20..24])), (640, 480));

    let svg = dir.path().join("space.svg");
    run(&[
        "plot",
        &vectors(),
        "--top",
        "40",
        "--method",
        "tsne",
        "-o",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains(r#"width="1200" height="900""#),
        "{}",
        &text[..200]
    );
    assert!(text.contains("vectors.bin.gz: t-SNE of 40 words"));
    // Every one of the 40 words is labelled.
    assert!(text.matches("<text").count() >= 41);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temp files left"
    );

    for (args, want) in [
        (
            vec!["nosuchwordxyz"],
            "word not in vocabulary: nosuchwordxyz",
        ),
        (vec!["-o", "x.jpg"], "must end in .svg or .png"),
        (vec!["--size", "10x10"], "between 200×150"),
    ] {
        let mut all = vec!["plot".to_string(), vectors()];
        all.extend(args.iter().map(|s| s.to_string()));
        if !args.contains(&"-o") {
            all.extend([
                "-o".into(),
                dir.path().join("y.svg").to_string_lossy().into(),
            ]);
        }
        let o = w2v().args(&all).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "{err}");
    }
    assert!(!dir.path().join("y.svg").exists());
}

#[test]
fn invalid_utf8_words_load_as_bytes_or_lossily() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.txt");
    // A GoogleNews-style word cut inside a multi-byte character, beside valid ones.
    std::fs::write(&p, b"3 2\ncaf\xc3 1 0\ncafe 0.9 0.1\ntea 0 1\n").unwrap();
    let ps = p.to_str().unwrap();
    let v = json(&run(&["similar", ps, "cafe", "-k", "1", "--json"]));
    assert_eq!(v["neighbours"][0]["word"], "caf\u{fffd}", "shown lossily");
    let v = json(&run(&[
        "similar",
        ps,
        "--lossy-utf8",
        "caf\u{fffd}",
        "-k",
        "1",
        "--json",
    ]));
    assert_eq!(
        v["neighbours"][0]["word"], "cafe",
        "found by its replaced form"
    );
    let o = w2v().args(["similar", ps, "caf\u{fffd}"]).output().unwrap();
    assert!(
        !o.status.success(),
        "without --lossy-utf8 the word is its exact bytes"
    );
}
