//! Raw text tokenised once: [`tokenize_stream`] cuts a corpus into words on every core and
//! writes them as whitespace-separated text, one output line per input line; [`Spool`] is
//! that copy on disk, which the counting pass and every epoch then read with the fast
//! whitespace reader (a unicode tokenizer is 20–40× slower than splitting on spaces: run in
//! every epoch, it would dominate training).
//!
//! Memory stays bounded on any input: the text is read in blocks of [`BLOCK_BYTES`], cut after
//! the block's last newline (or, in a longer line, after its last ASCII space, or at a character
//! boundary, which can cut one word in a line of over a MiB without a space), at most
//! `2 × threads` blocks are in flight, and the output is written in input order.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, mpsc};

use crate::error::{Error, Result};
use crate::formats::atomic::AtomicFile;
use crate::text::corpus::{Corpus, FNV1A_START, Fingerprint, fnv1a, is_space};
use crate::text::tokenize::{LineStats, Tokenizer, TokenizerSpec};

/// Bytes of input per block handed to a tokenising thread.
pub const BLOCK_BYTES: usize = 1 << 20;

/// What tokenising a corpus saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenizeStats {
    /// Bytes of text read (decompressed).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Words written.
    pub tokens: u64,
    /// Invalid UTF-8 sequences replaced by U+FFFD (unicode tokenizer).
    pub invalid: u64,
}

/// Where a block was cut: what separates it from the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// After a newline (or at the end of the input).
    Line,
    /// Inside a line: the next block continues it.
    InLine,
}

/// Reads the input in blocks cut at line (else space, else character) boundaries.
struct Blocks<R> {
    input: R,
    carry: Vec<u8>,
    eof: bool,
    first: bool,
}

impl<R: Read> Blocks<R> {
    fn new(input: R) -> Self {
        Blocks {
            input,
            carry: Vec::new(),
            eof: false,
            first: true,
        }
    }

    fn next(&mut self) -> io::Result<Option<(Vec<u8>, Cut)>> {
        let mut buf = std::mem::take(&mut self.carry);
        while !self.eof && buf.len() < BLOCK_BYTES {
            let at = buf.len();
            buf.resize(BLOCK_BYTES.max(at + 4096), 0);
            match self.input.read(&mut buf[at..]) {
                Ok(0) => {
                    self.eof = true;
                    buf.truncate(at);
                }
                Ok(n) => buf.truncate(at + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(at),
                Err(e) => return Err(e),
            }
        }
        if self.first {
            self.first = false;
            check_encoding(&buf)?;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        if self.eof {
            return Ok(Some((buf, Cut::Line)));
        }
        let (at, cut) = if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            (i + 1, Cut::Line)
        } else if let Some(i) = buf.iter().rposition(|&b| is_space(b)) {
            (i + 1, Cut::InLine)
        } else {
            // No space in a whole block: cut before the last character's first byte.
            let i = buf.iter().rposition(|&b| b & 0xC0 != 0x80).unwrap_or(0);
            (if i == 0 { buf.len() } else { i }, Cut::InLine)
        };
        self.carry = buf.split_off(at);
        Ok(Some((buf, cut)))
    }
}

/// Refuses UTF-16 text (recognised by its byte-order mark): read as bytes it would train on
/// garbage.
pub fn check_encoding(start: &[u8]) -> io::Result<()> {
    if start.starts_with(b"\xFF\xFE") || start.starts_with(b"\xFE\xFF") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the text is UTF-16 (it starts with a UTF-16 byte-order mark); convert it to \
             UTF-8 first, e.g. `iconv -f UTF-16 -t UTF-8`",
        ));
    }
    Ok(())
}

/// Tokenises one block: its lines' words separated by spaces, its lines by newlines.
fn tokenize_block(tok: &Tokenizer, block: &[u8], cut: Cut, out: &mut Vec<u8>) -> TokenizeStats {
    let mut stats = TokenizeStats {
        bytes: block.len() as u64,
        ..TokenizeStats::default()
    };
    let body = block.strip_suffix(b"\n").unwrap_or(block);
    let mut line_stats = LineStats::default();
    for line in body.split(|&b| b == b'\n') {
        let mut first = true;
        line_stats += tok.line(line, &mut |w| {
            if !first {
                out.push(b' ');
            }
            first = false;
            out.extend_from_slice(w.as_bytes());
        });
        out.push(b'\n');
        stats.lines += 1;
    }
    if cut == Cut::InLine {
        // The line goes on in the next block: a space, not a newline, separates them.
        stats.lines -= 1;
        if let Some(last) = out.last_mut() {
            *last = b' ';
        }
    }
    stats.tokens = line_stats.tokens;
    stats.invalid = line_stats.invalid;
    stats
}

/// Why [`tokenize_stream`] stopped early.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input failed (or it is UTF-16).
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
    /// `stop` became true.
    Interrupted,
}

/// Tokenises `input` with `tok` on `threads` threads into `out` (one output line per input
/// line, words separated by single spaces), in input order; stops within a block of `stop`
/// becoming true.
pub fn tokenize_stream(
    input: impl Read,
    tok: &Tokenizer,
    threads: usize,
    out: &mut (impl Write + ?Sized),
    stop: &AtomicBool,
) -> Result<TokenizeStats, StreamError> {
    let threads = threads.max(1);
    let mut blocks = Blocks::new(input);
    let (job_tx, job_rx) = mpsc::channel::<(u64, Vec<u8>, Cut)>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Vec<u8>, TokenizeStats)>();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            s.spawn(move || {
                loop {
                    // The lock is held only to take one block (a MiB of work) off the queue.
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, block, cut))) = job else {
                        return;
                    };
                    let mut buf = Vec::with_capacity(block.len() + block.len() / 4);
                    let st = tokenize_block(tok, &block, cut, &mut buf);
                    if done_tx.send((seq, buf, st)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let result = (|| {
            let mut stats = TokenizeStats::default();
            let (mut sent, mut written) = (0u64, 0u64);
            let mut ready = BTreeMap::new();
            let mut input_done = false;
            loop {
                while !input_done && sent - written < 2 * threads as u64 {
                    if stop.load(Relaxed) {
                        return Err(StreamError::Interrupted);
                    }
                    match blocks.next().map_err(StreamError::Read)? {
                        Some((block, cut)) => {
                            // Workers only stop when the channel closes, so sending succeeds.
                            let _ = job_tx.send((sent, block, cut));
                            sent += 1;
                        }
                        None => input_done = true,
                    }
                }
                if written == sent {
                    return Ok(stats);
                }
                let Ok((seq, buf, st)) = done_rx.recv() else {
                    return Err(StreamError::Read(io::Error::other(
                        "a tokenizer thread died",
                    )));
                };
                ready.insert(seq, (buf, st));
                while let Some((buf, st)) = ready.remove(&written) {
                    out.write_all(&buf).map_err(StreamError::Write)?;
                    stats.bytes += st.bytes;
                    stats.lines += st.lines;
                    stats.tokens += st.tokens;
                    stats.invalid += st.invalid;
                    written += 1;
                }
            }
        })();
        drop(job_tx);
        result
    })
}

/// The tokenised copy of a corpus that a run trains from (see the module docs).
///
/// Its name holds HASH, which identifies the corpus (absolute path, size, modification time, a
/// hash of its first and last MiB), the tokenizer's settings and w2v's version; it is written
/// atomically, so a copy under its final name is always complete.
/// - With a directory (`--tokens-dir`): `DIR/w2v-tokens-HASH.txt`, kept, and reused by every
///   later run on the same corpus with the same settings.
/// - Without: `TMP/w2v-tokens-HASH-PID.txt` in the system's temporary directory, private to the
///   process (concurrent runs on one corpus never share it) and removed when the [`Spool`] is
///   dropped. [`Spool::keep`] (an interrupted run with a checkpoint) renames it to
///   `TMP/w2v-tokens-HASH-kept.txt`, which the next run on the same corpus and settings (the
///   `--resume`) claims by renaming it to its own name, and removes when done.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    remove: bool,
    reused: bool,
    stats: Option<TokenizeStats>,
}

impl Spool {
    /// The copy of `corpus` tokenised by `spec` in `dir` (default: the temporary directory),
    /// written now unless a complete one is already there.
    pub fn prepare(
        corpus: &Corpus,
        fingerprint: &Fingerprint,
        spec: TokenizerSpec,
        dir: Option<&Path>,
        threads: usize,
        stop: &AtomicBool,
    ) -> Result<Spool> {
        let path = Self::path_for(corpus, fingerprint, spec, dir);
        let remove = dir.is_none();
        let claimed = remove && std::fs::rename(Self::kept_path(&path), &path).is_ok();
        if claimed || (!remove && path.is_file()) {
            return Ok(Spool {
                path,
                remove,
                reused: true,
                stats: None,
            });
        }
        let file = AtomicFile::create(&path)?;
        let tok = Tokenizer::new(spec);
        let input = corpus.bytes()?;
        let mut failure = None;
        let mut stats = TokenizeStats::default();
        let written = file.commit(|w| {
            match tokenize_stream(input, &tok, threads, w, stop) {
                Ok(s) => stats = s,
                Err(StreamError::Write(e)) => return Err(e),
                Err(e) => failure = Some(e),
            }
            match failure {
                Some(_) => Err(io::Error::other("stopped")),
                None => Ok(()),
            }
        });
        match failure {
            Some(StreamError::Interrupted) => return Err(Error::Interrupted { checkpoint: None }),
            Some(StreamError::Read(e)) => {
                return Err(Error::io("cannot read corpus", corpus.path(), e));
            }
            _ => written?,
        }
        Ok(Spool {
            path,
            remove,
            reused: false,
            stats: Some(stats),
        })
    }

    /// Where the copy of `corpus` tokenised by `spec` lives (see [`Spool`]).
    pub fn path_for(
        corpus: &Corpus,
        fingerprint: &Fingerprint,
        spec: TokenizerSpec,
        dir: Option<&Path>,
    ) -> PathBuf {
        let hash = key(corpus, fingerprint, spec);
        match dir {
            Some(d) => d.join(format!("w2v-tokens-{hash:016x}.txt")),
            None => std::env::temp_dir()
                .join(format!("w2v-tokens-{hash:016x}-{}.txt", std::process::id())),
        }
    }

    /// A private copy's name once kept for the next run (`...-kept.txt`).
    fn kept_path(private: &Path) -> PathBuf {
        let name = private
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let stem = name
            .as_deref()
            .and_then(|n| n.rsplit_once('-'))
            .map_or("", |(s, _)| s);
        private.with_file_name(format!("{stem}-kept.txt"))
    }

    /// The tokenised text.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a copy written earlier was reused.
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// What tokenising saw (`None` when the copy was reused).
    pub fn stats(&self) -> Option<TokenizeStats> {
        self.stats
    }

    /// Keeps the copy on disk for the next run on the same corpus and settings (a run that
    /// can be resumed): a private copy is renamed to its kept name.
    pub fn keep(&mut self) {
        if self.remove {
            let kept = Self::kept_path(&self.path);
            if std::fs::rename(&self.path, &kept).is_ok() {
                self.path = kept;
            }
        }
        self.remove = false;
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// FNV-1a 64 of what identifies a tokenised copy.
fn key(corpus: &Corpus, fp: &Fingerprint, spec: TokenizerSpec) -> u64 {
    let abs = std::path::absolute(corpus.path()).unwrap_or_else(|_| corpus.path().into());
    let ident = serde_json::json!({
        "path": abs.to_string_lossy(),
        "len": corpus.file_len(),
        "fingerprint": fp,
        "tokenizer": spec,
        "w2v": env!("CARGO_PKG_VERSION"),
    })
    .to_string();
    fnv1a(FNV1A_START, ident.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize::TokenizerKind;

    fn unicode() -> Tokenizer {
        Tokenizer::new(TokenizerSpec::of(TokenizerKind::Unicode, None))
    }

    fn run(input: &[u8], threads: usize) -> (String, TokenizeStats) {
        let mut out = Vec::new();
        let st = tokenize_stream(
            input,
            &unicode(),
            threads,
            &mut out,
            &AtomicBool::new(false),
        )
        .unwrap();
        (String::from_utf8(out).unwrap(), st)
    }

    #[test]
    fn one_output_line_per_input_line_in_order() {
        let (out, st) = run("Hello, World!\n\nЧто-то. Там\n".as_bytes(), 2);
        assert_eq!(out, "hello world\n\nчто-то там\n");
        assert_eq!((st.lines, st.tokens), (3, 4));
        let (out, _) = run(b"no final newline", 1);
        assert_eq!(out, "no final newline\n");
    }

    #[test]
    fn long_lines_are_cut_between_words_and_stay_one_line() {
        // Three blocks' worth of one line: the output is the same line, whatever the threads.
        let line: String = (0..400_000).map(|i| format!("W{} ", i % 1000)).collect();
        let text = format!("{line}\nend\n");
        let (out1, st) = run(text.as_bytes(), 1);
        let (out3, _) = run(text.as_bytes(), 3);
        assert_eq!(out1, out3);
        assert_eq!(st.lines, 2);
        assert_eq!(out1.lines().count(), 2);
        let words: Vec<&str> = out1
            .lines()
            .next()
            .unwrap()
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(words.len(), 400_000);
        assert!(
            words
                .iter()
                .enumerate()
                .all(|(i, w)| *w == format!("w{}", i % 1000))
        );
    }

    #[test]
    fn utf16_is_refused_and_a_utf8_bom_dropped() {
        let mut out = Vec::new();
        let e = tokenize_stream(
            &b"\xFF\xFEa\x00"[..],
            &unicode(),
            1,
            &mut out,
            &AtomicBool::new(false),
        );
        assert!(matches!(e, Err(StreamError::Read(ref e)) if e.to_string().contains("UTF-16")));
        assert_eq!(run(b"\xEF\xBB\xBFWord\n", 1).0, "word\n");
    }

    #[test]
    fn an_interrupt_stops_the_stream() {
        let mut out = Vec::new();
        let e = tokenize_stream(
            &b"a b c\n"[..],
            &unicode(),
            1,
            &mut out,
            &AtomicBool::new(true),
        );
        assert!(matches!(e, Err(StreamError::Interrupted)));
    }
}
