//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

pub fn w2v() -> Command {
    Command::new(env!("CARGO_BIN_EXE_w2v"))
}

pub fn run(args: &[&str]) -> Output {
    w2v().args(args).output().expect("run w2v")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The first `bytes` bytes (cut at a space) of the bundled sample corpus.
pub fn sample_text(bytes: usize) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample.txt.gz");
    let f = std::fs::File::open(path).expect("data/sample.txt.gz is committed");
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(f)
        .take(bytes as u64)
        .read_to_end(&mut text)
        .unwrap();
    let cut = text.iter().rposition(|&b| b == b' ').unwrap();
    text.truncate(cut);
    String::from_utf8(text).unwrap()
}
