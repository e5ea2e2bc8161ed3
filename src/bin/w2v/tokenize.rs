//! `w2v tokenize`: a corpus cut into words as `w2v train --tokenizer ...` would cut it, one
//! output line per input line, words separated by single spaces.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use w2v::formats::atomic::AtomicFile;
use w2v::text::corpus::Corpus;
use w2v::text::spool::{StreamError, TokenizeStats, tokenize_stream};
use w2v::text::tokenize::{
    ChineseSegmenter, JapaneseSegmenter, Tokenizer, TokenizerKind, TokenizerSpec,
};

#[derive(clap::Args)]
pub struct TokenizeArgs {
    /// Text to tokenise (may be gzip-compressed); `-` reads standard input (plain text).
    corpus: PathBuf,
    /// Write here (gzip-compressed when the name ends in .gz) [default: standard output].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The tokenizer (see `w2v train --help`).
    #[arg(long, value_enum, default_value_t = TokenizerKind::Unicode)]
    tokenizer: TokenizerKind,
    /// Case-fold every word [default: true with --tokenizer unicode, false with whitespace].
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    lowercase: Option<bool>,
    /// The dictionary that cuts Chinese (unicode tokenizer).
    #[arg(long, value_enum, default_value_t = ChineseSegmenter::Jieba)]
    chinese_segmenter: ChineseSegmenter,
    /// What cuts Japanese (unicode tokenizer).
    #[arg(long, value_enum, default_value_t = JapaneseSegmenter::Icu)]
    japanese_segmenter: JapaneseSegmenter,
    /// Tokenising threads [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = crate::count_in(1, w2v::config::limits::THREADS))]
    threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// `w2v tokenize`. (Long: the output's three forms, file, gzip file or stdout, share one
/// closure and one error mapping, which splitting would have to pass around.)
pub fn tokenize(a: TokenizeArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let spec = TokenizerSpec {
        chinese: a.chinese_segmenter,
        japanese: a.japanese_segmenter,
        ..TokenizerSpec::of(a.tokenizer, a.lowercase)
    };
    let input: Box<dyn std::io::Read + Send> = if a.corpus.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Corpus::open(&a.corpus)?.bytes()?
    };
    let tok = Tokenizer::new(spec);
    let threads = w2v::RunConfig {
        threads: a.threads,
        ..Default::default()
    }
    .effective_threads();
    let temps: Vec<PathBuf> = a
        .output
        .iter()
        .filter_map(|o| AtomicFile::temp_path_for(o))
        .collect();
    let stop = crate::train::on_interrupt(temps)?;
    let mut failure = None;
    let mut stats = TokenizeStats::default();
    let run = |w: &mut dyn Write| -> std::io::Result<()> {
        match tokenize_stream(input, &tok, threads, &mut *w, stop) {
            Ok(s) => {
                stats = s;
                Ok(())
            }
            Err(StreamError::Write(e)) => Err(e),
            Err(e) => {
                failure = Some(e);
                Err(std::io::Error::other("stopped"))
            }
        }
    };
    let written = match &a.output {
        Some(path) => {
            let out = AtomicFile::create(path)?;
            let gz = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
            out.commit(|w| {
                if gz {
                    let mut z = flate2::write::GzEncoder::new(w, flate2::Compression::default());
                    run(&mut z)?;
                    z.finish().map(drop)
                } else {
                    run(w)
                }
            })
            .map_err(anyhow::Error::from)
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            run(&mut w)
                .and_then(|()| w.flush())
                .map_err(anyhow::Error::from)
        }
    };
    match failure {
        Some(StreamError::Interrupted) => {
            return Err(w2v::Error::Interrupted { checkpoint: None }.into());
        }
        Some(StreamError::Read(e)) => {
            anyhow::bail!("cannot read corpus {}: {e}", a.corpus.display())
        }
        _ => written?,
    }
    if !a.quiet {
        eprintln!(
            "tokenised {} lines, {} words in {:.1} s",
            stats.lines,
            stats.tokens,
            t0.elapsed().as_secs_f64()
        );
        if stats.invalid > 0 {
            eprintln!(
                "warning: {} invalid UTF-8 sequences were replaced (U+FFFD) and dropped",
                stats.invalid
            );
        }
    }
    Ok(())
}
