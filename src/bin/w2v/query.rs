//! `w2v similar`, `w2v analogy` and `w2v eval`: thin layers over the library's queries.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;
use std::sync::Arc;
use w2v::query::eval::{PairFormat, QUESTIONS_WORDS, WORDSIM353};
use w2v::text::tokenize::{Tokenizer, TokenizerKind, TokenizerSpec, WordForm};
use w2v::{
    AnalogyMethod, AnalogyOptions, AnalogyReport, Embeddings, Format, LoadOptions,
    SimilarityOptions, SimilarityReport,
};

/// The most neighbours or answers one query may ask for.
const MAX_K: usize = 1_000_000;

/// How to read a vector file; shared by every command that takes one.
#[derive(clap::Args)]
pub struct VectorsArgs {
    /// A word2vec file: binary if it ends in .bin (or .bin.gz), else text (see --format);
    /// gzip-compressed files are read directly. Or a fastText .bin model (found by its magic
    /// number), whose unknown words get vectors from their character n-grams.
    pub vectors: PathBuf,
    /// Format of the vector file.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Load only the first N vectors (the N most frequent words, by word2vec convention).
    #[arg(long, value_name = "N", value_parser = crate::count_in(1, u32::MAX as usize))]
    pub limit: Option<usize>,
    /// Accept words that are not valid UTF-8 (e.g. GoogleNews vectors), replacing the bad bytes
    /// with U+FFFD. Without it, words are kept as the file's exact bytes.
    #[arg(long)]
    pub lossy_utf8: bool,
    /// Cut query and evaluation words with this tokenizer, as the vectors' words were cut
    /// [default: the one in the model card beside the vectors (VECTORS.json), else
    /// whitespace: words as given].
    #[arg(long, value_enum)]
    pub tokenizer: Option<TokenizerKind>,
}

impl VectorsArgs {
    /// The tokenizer that query words go through (`None`: words are looked up as given).
    pub fn tokenizer(&self) -> anyhow::Result<Option<Arc<Tokenizer>>> {
        let spec = match self.tokenizer {
            Some(kind) => Some(TokenizerSpec::of(kind, None)),
            None => w2v::formats::card::card_tokenizer(&self.vectors).map_err(|e| {
                anyhow::anyhow!("{e} (--tokenizer names the tokenizer instead of the card)")
            })?,
        };
        Ok(spec
            .filter(TokenizerSpec::rewrites)
            .map(|s| Arc::new(Tokenizer::new(s))))
    }

    pub fn load(&self) -> anyhow::Result<Embeddings> {
        let opts = LoadOptions {
            format: self.format,
            limit: self.limit,
            lossy_utf8: self.lossy_utf8,
        };
        Ok(Embeddings::load_with(&self.vectors, &opts)?)
    }
}

#[derive(clap::Args)]
pub struct SimilarArgs {
    #[command(flatten)]
    vectors: VectorsArgs,
    /// Words to look up, one table each. Without words, read queries from stdin, one per line:
    /// `paris -france +italy` means paris − france + italy.
    words: Vec<String>,
    /// Number of neighbours.
    #[arg(short, default_value_t = 10, value_parser = crate::count_in(1, MAX_K))]
    k: usize,
    /// One JSON object per query on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct AnalogyArgs {
    #[command(flatten)]
    vectors: VectorsArgs,
    /// a, in "a is to b as c is to ?".
    a: String,
    /// b.
    b: String,
    /// c.
    c: String,
    /// Number of answers.
    #[arg(short, default_value_t = 10, value_parser = crate::count_in(1, MAX_K))]
    k: usize,
    /// Scoring: 3CosAdd (cos(d, b − a + c)) or 3CosMul (Levy & Goldberg 2014).
    #[arg(long, value_enum, default_value = "3cosadd")]
    method: AnalogyMethod,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct EvalArgs {
    #[command(flatten)]
    vectors: VectorsArgs,
    /// Analogy questions (`: section` lines, then `a b c d`). With neither this nor
    /// --similarity, the built-in Google analogy set and WordSim-353 are used.
    #[arg(long, value_name = "FILE")]
    analogies: Option<PathBuf>,
    /// Word-pair similarity files (`word1 word2 score` per line, tab or space separated, `#`
    /// comments); repeat the flag for several files (`--similarity a.txt --similarity b.txt`).
    /// One file per flag, so that the vector file after it is never taken for another.
    #[arg(long, value_name = "FILE")]
    similarity: Vec<PathBuf>,
    /// Only the N most frequent words are candidate answers; questions using other words are
    /// skipped (gensim's restrict_vocab). 0: no restriction.
    #[arg(long, default_value_t = 30_000, value_name = "N",
        value_parser = crate::count_in(0, u32::MAX as usize))]
    restrict: usize,
    /// Analogy scoring.
    #[arg(long, value_enum, default_value = "3cosadd")]
    method: AnalogyMethod,
    /// Stop at the first malformed line of an evaluation file instead of skipping it.
    #[arg(long)]
    strict: bool,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Word-pair files: the columns of word 1, word 2 and the score, 1-based [default:
    /// 1,2,3].
    #[arg(long, value_name = "A,B,S", value_parser = parse_columns)]
    columns: Option<[usize; 3]>,
    /// Word-pair files: the field separator: tab, comma, space (runs of whitespace) or one
    /// character [default: per line, tabs if that gives enough fields, else commas, else
    /// whitespace].
    #[arg(long, value_name = "SEP", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Word-pair files: skip the first line [default: skipped, and reported, when its score
    /// field is not a number].
    #[arg(long)]
    skip_header: bool,
    /// Word-pair files: score a pair with an unknown word (or one the tokenizer splits) as
    /// similarity 0 instead of skipping it (gensim's dummy4unknown), so that vectors that
    /// answer fewer pairs are scored on the same pairs as those that answer them all.
    #[arg(long)]
    dummy4unknown: bool,
}

fn parse_columns(s: &str) -> Result<[usize; 3], String> {
    let cols: Vec<usize> = s
        .split(',')
        .map(|c| {
            c.trim()
                .parse::<usize>()
                .ok()
                .filter(|&c| (1..=1000).contains(&c))
        })
        .collect::<Option<_>>()
        .ok_or_else(|| format!("`{s}` is not three column numbers from 1 to 1000, e.g. 1,2,3"))?;
    cols.try_into()
        .map_err(|_| format!("`{s}` is not three column numbers, e.g. 1,2,3"))
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "comma" | "," => Ok(b','),
        "space" | " " => Ok(b' '),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "`{s}` is not tab, comma, space or one ASCII character"
        )),
    }
}

fn lossy(w: &[u8]) -> String {
    String::from_utf8_lossy(w).into_owned()
}

/// A parsed interactive query: `+word` and bare words are positive, `-word` negative.
fn parse_query(line: &str) -> (Vec<&str>, Vec<&str>) {
    let (mut pos, mut neg) = (vec![], vec![]);
    for t in line.split_whitespace() {
        if let Some(w) = t.strip_prefix('-').filter(|w| !w.is_empty()) {
            neg.push(w);
        } else if let Some(w) = t.strip_prefix('+').filter(|w| !w.is_empty()) {
            pos.push(w);
        } else {
            pos.push(t);
        }
    }
    (pos, neg)
}

fn print_neighbours(
    out: &mut impl Write,
    json: bool,
    query: &str,
    pos: &[&str],
    neg: &[&str],
    list: &[(&[u8], f32)],
) -> std::io::Result<()> {
    if json {
        let v = json!({
            "query": query,
            "positive": pos,
            "negative": neg,
            "neighbours": list.iter().map(|(w, s)| json!({"word": lossy(w), "similarity": s})).collect::<Vec<_>>(),
        });
        writeln!(out, "{v}")
    } else {
        writeln!(out, "{query}:")?;
        for (w, s) in list {
            writeln!(out, "  {:<24} {s:.4}", lossy(w))?;
        }
        Ok(())
    }
}

/// A query word as the vectors' tokenizer cuts it: the word to look up, or why there is none.
pub fn cut_word(tok: Option<&Tokenizer>, w: &str) -> Result<String, String> {
    match tok.map(|t| t.word(w)) {
        None => Ok(w.to_string()),
        Some(WordForm::One(x)) => Ok(x),
        Some(WordForm::Split(parts)) => Err(format!(
            "`{w}` is several words for the vectors' tokenizer ({}): ask for one of them",
            parts.join(" ")
        )),
        Some(WordForm::Empty) => Err(format!("`{w}` holds no word for the vectors' tokenizer")),
    }
}

#[derive(clap::Args)]
pub struct PrintVectorsArgs {
    #[command(flatten)]
    pub vectors: VectorsArgs,
}

/// `w2v vectors`: one line per word read from standard input (words separated by whitespace),
/// `word v1 v2 ...`, as fastText's `print-word-vectors`. A word with no vector (unknown, and no
/// n-grams to build one from) prints as zeros, as in fastText, and is counted on stderr.
pub fn print_vectors(a: PrintVectorsArgs) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let emb = a.vectors.load()?;
    let tok = a.vectors.tokenizer()?;
    let zeros = vec![0.0f32; emb.dim()];
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut missing = 0usize;
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
        for w in line.split_whitespace() {
            let key = cut_word(tok.as_deref(), w).unwrap_or_else(|_| w.to_string());
            let v = emb.vector_for(key.as_bytes());
            missing += v.is_none() as usize;
            write!(out, "{w}")?;
            for x in v.as_deref().unwrap_or(&zeros) {
                write!(out, " {x}")?;
            }
            writeln!(out)?;
        }
    }
    out.flush()?;
    if missing > 0 {
        eprintln!("{missing} words had no vector and were printed as zeros");
    }
    Ok(())
}

/// Every word cut by `tok` (see [`cut_word`]), or the first word's error.
pub fn cut_words(tok: Option<&Tokenizer>, words: &[&str]) -> Result<Vec<String>, String> {
    words.iter().map(|w| cut_word(tok, w)).collect()
}

/// Says, on stderr, which words are answered for a case-folded form: a word missing from
/// the vocabulary is looked up ignoring case (gensim would raise an error instead), and the
/// user must see that the answer is for another word.
pub fn note_case_folded<'w>(emb: &Embeddings, words: impl IntoIterator<Item = &'w str>) {
    for w in words {
        if emb.index_of(w.as_bytes()).is_none()
            && let Some(i) = emb.lookup(w.as_bytes())
        {
            eprintln!(
                "w2v: note: `{w}` is not in the vocabulary; answering for `{}`, the most \
                 frequent word equal to it ignoring case",
                lossy(&emb.words()[i])
            );
        }
    }
}

/// One line for a query that cannot be answered: `QUERY: why`, or a JSON object with the
/// query and the error.
fn query_error(out: &mut impl Write, json: bool, line: &str, e: &str) -> std::io::Result<()> {
    if json {
        writeln!(out, "{}", json!({"query": line.trim(), "error": e}))
    } else {
        writeln!(out, "{}: {e}", line.trim())
    }
}

pub fn similar(a: SimilarArgs) -> anyhow::Result<()> {
    let emb = a.vectors.load()?;
    let tok = a.vectors.tokenizer()?;
    let tok = tok.as_deref();
    emb.prepare_queries();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let run = |out: &mut std::io::StdoutLock, line: &str| -> anyhow::Result<bool> {
        let (pos, neg) = parse_query(line);
        if pos.is_empty() && neg.is_empty() {
            return Ok(true);
        }
        let (pos, neg) = match (cut_words(tok, &pos), cut_words(tok, &neg)) {
            (Ok(p), Ok(n)) => (p, n),
            (Err(e), _) | (_, Err(e)) => {
                query_error(out, a.json, line, &e)?;
                return Ok(false);
            }
        };
        let pos: Vec<&str> = pos.iter().map(String::as_str).collect();
        let neg: Vec<&str> = neg.iter().map(String::as_str).collect();
        note_case_folded(&emb, pos.iter().chain(&neg).copied());
        let pb: Vec<&[u8]> = pos.iter().map(|w| w.as_bytes()).collect();
        let nb: Vec<&[u8]> = neg.iter().map(|w| w.as_bytes()).collect();
        match emb.most_similar_to(&pb, &nb, a.k) {
            Ok(list) => print_neighbours(out, a.json, line.trim(), &pos, &neg, &list)?,
            Err(e @ w2v::Error::UnknownWord(_)) => {
                query_error(out, a.json, line, &e.to_string())?;
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        Ok(true)
    };
    if !a.words.is_empty() {
        for word in &a.words {
            let word = &cut_word(tok, word).map_err(anyhow::Error::msg)?;
            note_case_folded(&emb, [word.as_str()]);
            let list = emb
                .most_similar(word.as_bytes(), a.k)
                .with_context(|| format!("in {}", a.vectors.vectors.display()))?;
            print_neighbours(&mut out, a.json, word, &[word], &[], &list)?;
        }
        return Ok(());
    }
    // Interactive: a prompt only when a person is typing; results as each line arrives.
    let stdin = std::io::stdin();
    let prompt = stdin.is_terminal();
    if prompt {
        eprintln!(
            "{} vectors of dimension {} loaded. Enter a word, or a query such as `paris -france +italy`; Ctrl-D ends.",
            emb.len(),
            emb.dim()
        );
    }
    let mut input = stdin.lock();
    let mut line = String::new();
    loop {
        if prompt {
            eprint!("> ");
        }
        line.clear();
        // Invalid UTF-8 from the terminal is read lossily rather than ending the session.
        let mut raw = Vec::new();
        if input.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        line.push_str(&String::from_utf8_lossy(&raw));
        run(&mut out, &line)?;
        out.flush()?;
    }
    Ok(())
}

pub fn analogy(a: AnalogyArgs) -> anyhow::Result<()> {
    let emb = a.vectors.load()?;
    let tok = a.vectors.tokenizer()?;
    let abc = cut_words(tok.as_deref(), &[&a.a, &a.b, &a.c]).map_err(anyhow::Error::msg)?;
    note_case_folded(&emb, abc.iter().map(String::as_str));
    let list = emb.analogy(
        abc[0].as_bytes(),
        abc[1].as_bytes(),
        abc[2].as_bytes(),
        a.k,
        a.method,
    )?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if a.json {
        let v = json!({
            "a": a.a, "b": a.b, "c": a.c, "method": a.method,
            "answers": list.iter().map(|(w, s)| json!({"word": lossy(w), "score": s})).collect::<Vec<_>>(),
        });
        writeln!(out, "{v}")?;
    } else {
        writeln!(out, "{} : {} :: {} : ?", a.a, a.b, a.c)?;
        for (w, s) in &list {
            writeln!(out, "  {:<24} {s:.4}", lossy(w))?;
        }
    }
    Ok(())
}

fn pct(c: usize, n: usize) -> String {
    if n == 0 {
        "-".into()
    } else {
        format!("{:.2}%", 100.0 * c as f64 / n as f64)
    }
}

fn warn_malformed(file: &Path, m: &[w2v::query::eval::Malformed]) {
    for x in m.iter().take(5) {
        eprintln!(
            "warning: {}, line {}: {} (skipped)",
            file.display(),
            x.line,
            x.reason
        );
    }
    if m.len() > 5 {
        eprintln!(
            "warning: {}: {} more malformed lines skipped",
            file.display(),
            m.len() - 5
        );
    }
}

fn print_analogy(out: &mut impl Write, r: &AnalogyReport, a: &EvalArgs) -> std::io::Result<()> {
    let restrict = match a.restrict {
        0 => "all words".to_string(),
        n => format!("the {n} most frequent words"),
    };
    writeln!(
        out,
        "analogies: {} ({}, candidates: {restrict})",
        r.file.display(),
        serde_json::to_value(a.method).map_or(String::new(), |v| v.as_str().unwrap_or("").into())
    )?;
    writeln!(
        out,
        "  {:<30} {:>8} {:>9} {:>8} {:>9}",
        "section", "correct", "answered", "skipped", "accuracy"
    )?;
    for s in &r.sections {
        writeln!(
            out,
            "  {:<30} {:>8} {:>9} {:>8} {:>9}",
            s.name,
            s.correct,
            s.answered,
            s.skipped,
            pct(s.correct, s.answered)
        )?;
    }
    let (sc, sa) = r.semantic();
    let (yc, ya) = r.syntactic();
    writeln!(
        out,
        "  {:<30} {sc:>8} {sa:>9} {:>8} {:>9}",
        "semantic",
        "",
        pct(sc, sa)
    )?;
    writeln!(
        out,
        "  {:<30} {yc:>8} {ya:>9} {:>8} {:>9}",
        "syntactic",
        "",
        pct(yc, ya)
    )?;
    writeln!(
        out,
        "  {:<30} {:>8} {:>9} {:>8} {:>9}",
        "total",
        r.correct(),
        r.answered(),
        r.skipped(),
        pct(r.correct(), r.answered())
    )?;
    if r.split > 0 {
        writeln!(
            out,
            "  ({} of the skipped questions have a word that the vectors' tokenizer cuts into \
             several)",
            r.split
        )?;
    }
    Ok(())
}

fn print_similarity(out: &mut impl Write, r: &SimilarityReport) -> std::io::Result<()> {
    let split = match r.split {
        0 => String::new(),
        n => format!(", {n} with a word the vectors' tokenizer cuts into several"),
    };
    writeln!(
        out,
        "similarity: {}: Spearman {:.4}, Pearson {:.4} ({} pairs, {} out of vocabulary{split})",
        r.file.display(),
        r.spearman,
        r.pearson,
        r.pairs,
        r.oov
    )
}

pub fn eval(a: EvalArgs) -> anyhow::Result<()> {
    let emb = a.vectors.load()?;
    let tokenizer = a.vectors.tokenizer()?;
    let restrict = (a.restrict > 0).then_some(a.restrict);
    let aopts = AnalogyOptions {
        restrict,
        method: a.method,
        strict: a.strict,
        tokenizer: tokenizer.clone(),
        ..Default::default()
    };
    let sopts = SimilarityOptions {
        strict: a.strict,
        format: PairFormat {
            columns: a.columns,
            delimiter: a.delimiter,
            skip_lines: a.skip_header.then_some(1),
        },
        tokenizer,
        unknown_as_zero: a.dummy4unknown,
        ..Default::default()
    };
    let builtin = a.analogies.is_none() && a.similarity.is_empty();
    let analogy = if builtin {
        Some(emb.evaluate_analogies_text(
            Path::new("questions-words.txt (built in)"),
            QUESTIONS_WORDS.as_bytes(),
            &aopts,
        )?)
    } else {
        a.analogies
            .as_ref()
            .map(|f| emb.evaluate_analogies(f, &aopts))
            .transpose()?
    };
    let mut sims = Vec::new();
    if builtin {
        sims.push(emb.evaluate_similarity_text(
            Path::new("wordsim353.tsv (built in)"),
            WORDSIM353.as_bytes(),
            &sopts,
        )?);
    }
    for f in &a.similarity {
        sims.push(emb.evaluate_similarity(f, &sopts)?);
    }
    if let Some(r) = &analogy {
        warn_malformed(&r.file, &r.malformed);
    }
    for r in &sims {
        warn_malformed(&r.file, &r.malformed);
        if let Some(h) = &r.header {
            eprintln!(
                "w2v: note: {}: skipped the header line `{h}`",
                r.file.display()
            );
        }
    }
    print_reports(&a, analogy.as_ref(), &sims)
}

/// `eval`'s reports on stdout: one JSON object with `--json`, else a block per file.
fn print_reports(
    a: &EvalArgs,
    analogy: Option<&AnalogyReport>,
    sims: &[SimilarityReport],
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if a.json {
        let mut v = serde_json::Map::new();
        if let Some(r) = analogy {
            v.insert("analogy".into(), r.to_json());
        }
        if !sims.is_empty() {
            v.insert(
                "similarity".into(),
                sims.iter().map(|r| r.to_json()).collect(),
            );
        }
        writeln!(out, "{}", serde_json::Value::Object(v))?;
    } else {
        if let Some(r) = analogy {
            print_analogy(&mut out, r, a)?;
        }
        for r in sims {
            print_similarity(&mut out, r)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_query;

    #[test]
    fn queries_split_into_positive_and_negative_words() {
        assert_eq!(
            parse_query(" paris -france +italy\n"),
            (vec!["paris", "italy"], vec!["france"])
        );
        assert_eq!(parse_query("- +"), (vec!["-", "+"], vec![]));
    }
}
