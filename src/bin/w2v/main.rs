//! The `w2v` command line: a thin clap layer over the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod plot;
mod progress;
mod query;
mod tokenize;
mod train;

#[derive(Parser)]
#[command(
    name = "w2v",
    version,
    about = "word2vec, done right: train and query word vectors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train word vectors on a plain-text (or .gz) corpus.
    Train(Box<train::TrainArgs>),
    /// Nearest neighbours by cosine similarity; interactive without words.
    Similar(query::SimilarArgs),
    /// Solve "a is to b as c is to ?".
    Analogy(query::AnalogyArgs),
    /// Score vectors on analogy questions and word-pair similarity sets.
    Eval(query::EvalArgs),
    /// Draw a labelled 2-D projection (PCA or t-SNE) of words to SVG or PNG.
    Plot(plot::PlotArgs),
    /// Cut raw text into words as `train --tokenizer unicode` does: one line out per line in.
    Tokenize(tokenize::TokenizeArgs),
    /// Print the vector of every word read from standard input (fastText's
    /// print-word-vectors): a subword model's unknown words get vectors from their n-grams.
    Vectors(query::PrintVectorsArgs),
}

/// A parser for a count flag that accepts `min..=max`: a value out of range is one line
/// naming the bounds, not an allocation of whatever was typed.
pub(crate) fn count_in(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let n: usize = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a whole number"))?;
        if n < min || n > max {
            return Err(format!("must be from {min} to {max}"));
        }
        Ok(n)
    }
}

/// Parses the command line. A wrong value is reported as one line (`w2v: error: ...`, exit 2),
/// like every other error; help, version and usage errors keep clap's own output.
/// Also returns the flags given on the command line to `train` (`--resume` allows none).
fn parse_cli() -> (Cli, Vec<String>) {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    match parsed {
        Ok((cli, m)) => {
            let given = m
                .subcommand_matches("train")
                .map_or_else(Vec::new, given_flags);
            (cli, given)
        }
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue
            ) =>
        {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid value");
            eprintln!("w2v: error: {}", first.trim_start_matches("error: "));
            std::process::exit(2);
        }
        Err(e) => e.exit(),
    }
}

/// The flags (`--name`, or `CORPUS` for the positional) given on the command line.
fn given_flags(m: &clap::ArgMatches) -> Vec<String> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let train = cmd.find_subcommand("train").expect("train subcommand");
    m.ids()
        .filter(|id| m.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine))
        .filter_map(|id| {
            let arg = train.get_arguments().find(|a| a.get_id() == id)?;
            Some(match arg.get_long() {
                Some(l) => format!("--{l}"),
                None => id.as_str().to_uppercase(),
            })
        })
        .collect()
}

/// The exit status of an interrupted run (128 + SIGINT, the shell's convention).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let (cli, given) = parse_cli();
    let result = match cli.command {
        Command::Train(a) => train::train(*a, &given),
        Command::Similar(a) => query::similar(a),
        Command::Analogy(a) => query::analogy(a),
        Command::Eval(a) => query::eval(a),
        Command::Plot(a) => plot::plot(a),
        Command::Tokenize(a) => tokenize::tokenize(a),
        Command::Vectors(a) => query::print_vectors(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let interrupted = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<w2v::Error>(),
                    Some(w2v::Error::Interrupted { .. })
                )
            });
            // Library errors already name their cause; add only causes not yet in the text.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg = format!("{msg}: {c}");
                }
            }
            eprintln!("w2v: error: {msg}");
            if interrupted {
                ExitCode::from(EXIT_INTERRUPTED)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
