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

/// Runs `w2v` with `args`, calls `action` with the child's pid once a stderr line contains
/// `marker`, and returns the exit status and all of stderr.
pub fn run_until(
    args: &[&str],
    marker: &str,
    action: impl FnOnce(u32),
) -> (std::process::ExitStatus, String) {
    use std::io::{BufRead, BufReader};
    let mut child = w2v()
        .args(args)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let (mut text, mut line) = (String::new(), String::new());
    let mut action = Some(action);
    while err.read_line(&mut line).unwrap() > 0 {
        text.push_str(&line);
        if line.contains(marker)
            && let Some(a) = action.take()
        {
            a(child.id());
        }
        line.clear();
    }
    (child.wait().unwrap(), text)
}

/// The model card written beside the vectors `name` in `dir`.
pub fn read_card(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap()
}

/// The per-epoch losses recorded in a model card.
pub fn card_losses(card: &serde_json::Value) -> Vec<f64> {
    card["epoch_losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}
