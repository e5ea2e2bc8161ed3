//! `w2v plot`: a labelled 2-D projection of some words to SVG or PNG.

use std::path::PathBuf;

use anyhow::{Context, bail};
use w2v::viz::plot::{PlotPoint, draw};
use w2v::viz::project::{Projection, project};

use crate::query::VectorsArgs;

/// The most words one plot shows with PCA (linear in the words: ~40 MB at dim 100).
const MAX_PCA_WORDS: usize = 100_000;
/// The most words one plot shows with t-SNE (exact t-SNE holds n² affinities).
const MAX_TSNE_WORDS: usize = w2v::viz::project::MAX_TSNE_POINTS;

#[derive(clap::Args)]
pub struct PlotArgs {
    #[command(flatten)]
    vectors: VectorsArgs,
    /// Words to show, each with its nearest neighbours in its own colour. Without words, the
    /// --top most frequent words.
    words: Vec<String>,
    /// Show the N most frequent words (the default without words: 100; at most 100000 with
    /// PCA, 10000 with t-SNE, whose memory grows with the square of the words shown).
    #[arg(long, value_name = "N", value_parser = crate::count_in(1, MAX_PCA_WORDS))]
    top: Option<usize>,
    /// Neighbours shown with each given word.
    #[arg(long, default_value_t = 5, value_name = "K", value_parser = crate::count_in(0, 1_000))]
    neighbours: usize,
    /// Projection: PCA (global directions) or t-SNE (neighbourhoods).
    #[arg(long, value_enum, default_value = "pca")]
    method: Projection,
    /// The image: SVG if it ends in .svg, PNG if .png.
    #[arg(short, long)]
    output: PathBuf,
    /// Image size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1200x900", value_parser = parse_size)]
    size: (u32, u32),
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or("expected WIDTHxHEIGHT, e.g. 1200x900")?;
    let p = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("`{v}` is not a number of pixels"))
    };
    Ok((p(w)?, p(h)?))
}

/// Exact t-SNE holds n² affinities: refuse more than [`MAX_TSNE_WORDS`] words.
fn check_tsne_size(method: Projection, words: usize) -> anyhow::Result<()> {
    if method == Projection::Tsne && words > MAX_TSNE_WORDS {
        bail!(
            "t-SNE of {words} words needs too much memory (its affinities grow with the square \
             of the words): show at most {MAX_TSNE_WORDS} (--top, fewer words or --neighbours), \
             or use --method pca"
        );
    }
    Ok(())
}

/// A point of the plot: a row of the vectors, or the `k`-th out-of-vocabulary query word.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Point {
    Row(usize),
    Extra(usize),
}

/// A point of the plot, its group (its query word's place) and whether it is a query word.
type Chosen = (Point, usize, bool);
/// A query word without a row, and its vector from its character n-grams.
type Extra = (String, Vec<f32>);

/// Adds query point `p` of group `g`, or (`new` false: already chosen) moves it to that group.
fn mark(chosen: &mut Vec<Chosen>, p: Point, g: usize, new: bool) {
    if new {
        chosen.push((p, g, true));
    } else if let Some(c) = chosen.iter_mut().find(|c| c.0 == p) {
        *c = (p, g, true);
    }
}

/// The points of a plot, each with its group and whether it is a query word: the `top` most
/// frequent words (every query's group 0), then each query word (its group, in the order
/// given) and its `neighbours` nearest words. A word given twice or already chosen is one point,
/// in the group of its last mention as a query. Returns the points and the vectors of the
/// query words that have no row (a subword model's, from their character n-grams).
fn choose_points(
    emb: &w2v::Embeddings,
    words: &[String],
    top: Option<usize>,
    neighbours: usize,
) -> anyhow::Result<(Vec<Chosen>, Vec<Extra>)> {
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut extra: Vec<Extra> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    if words.is_empty() || top.is_some() {
        let n = top.unwrap_or(100).min(emb.len());
        for i in 0..n {
            if seen.insert(i) {
                chosen.push((Point::Row(i), 0, false));
            }
        }
    }
    for (g, word) in words.iter().enumerate() {
        let near = match emb.lookup(word.as_bytes()) {
            Some(i) => {
                mark(&mut chosen, Point::Row(i), g, seen.insert(i));
                emb.most_similar(emb.words()[i].as_ref(), neighbours)?
            }
            None => {
                match extra.iter().position(|(w, _)| w == word) {
                    Some(k) => mark(&mut chosen, Point::Extra(k), g, false),
                    None => {
                        let v = emb
                            .vector_for(word.as_bytes())
                            .with_context(|| format!("word not in vocabulary: {word}"))?;
                        mark(&mut chosen, Point::Extra(extra.len()), g, true);
                        extra.push((word.clone(), v.into_owned()));
                    }
                }
                emb.most_similar_to(&[word.as_bytes()], &[], neighbours)?
            }
        };
        for (w, _) in near {
            let j = emb.index_of(w).expect("a neighbour is in the vocabulary");
            if seen.insert(j) {
                chosen.push((Point::Row(j), g, false));
            }
        }
    }
    Ok((chosen, extra))
}

pub fn plot(a: PlotArgs) -> anyhow::Result<()> {
    // Checked before the vectors are read: a request that cannot run fails at once.
    check_tsne_size(a.method, a.top.unwrap_or(0))?;
    let emb = a.vectors.load()?;
    let tok = a.vectors.tokenizer()?;
    let given: Vec<&str> = a.words.iter().map(String::as_str).collect();
    let words = crate::query::cut_words(tok.as_deref(), &given).map_err(anyhow::Error::msg)?;
    crate::query::note_case_folded(&emb, words.iter().map(String::as_str));
    let (chosen, extra) = choose_points(&emb, &words, a.top, a.neighbours)?;
    if chosen.is_empty() {
        bail!("nothing to plot: the vector file has no words");
    }
    let mut data = Vec::with_capacity(chosen.len() * emb.dim());
    for (p, _, _) in &chosen {
        data.extend_from_slice(match *p {
            Point::Row(i) => emb.row(i),
            Point::Extra(k) => &extra[k].1,
        });
    }
    let xy = project(&data, emb.dim(), a.method)?;
    let points: Vec<PlotPoint> = chosen
        .iter()
        .zip(xy)
        .map(|(&(p, group, highlight), xy)| PlotPoint {
            label: match p {
                Point::Row(i) => String::from_utf8_lossy(&emb.words()[i]).into_owned(),
                Point::Extra(k) => extra[k].0.clone(),
            },
            group,
            highlight,
            xy,
        })
        .collect();
    let name = a.vectors.vectors.file_name().map_or_else(
        || a.vectors.vectors.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let method = match a.method {
        Projection::Pca => "PCA",
        Projection::Tsne => "t-SNE",
    };
    let title = format!("{name}: {method} of {} words", points.len());
    draw(&a.output, &points, &title, a.size)?;
    eprintln!("wrote {} ({title})", a.output.display());
    Ok(())
}
