//! Labelled scatter plots of projected words, to SVG or PNG (plotters, with its fonts
//! embedded so that a machine without fonts draws the same picture): DejaVu Sans for Latin,
//! Greek, Cyrillic, Arabic, Hebrew; a label with a character DejaVu Sans lacks (Chinese,
//! Japanese, Korean) is drawn with Droid Sans Fallback, embedded gzip-compressed
//! (assets/fonts, Apache-2.0) and inflated on the first such label. In an SVG such a label is
//! drawn as the outlines of that font's glyphs (`<path>` elements), so that a viewer without
//! CJK fonts shows the same glyphs; the other labels stay text in the viewer's sans-serif,
//! which lays out right-to-left scripts itself. In a PNG, labels in scripts whose letters join
//! or run right to left (Arabic, Hebrew, …) are shaped (rustybuzz) and their glyphs drawn in
//! visual order; plotters alone would draw isolated letters left to right.
//!
//! Labels are placed greedily: each label tries eight positions around its point and takes the
//! first that overlaps no label or point already placed (else the least-overlapping one).
//! The file is written atomically.

use std::io::Write;
use std::path::Path;
use std::sync::{Once, OnceLock};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::formats::atomic::AtomicFile;

/// One point of a plot.
#[derive(Clone, Debug)]
pub struct PlotPoint {
    /// The label drawn beside the point.
    pub label: String,
    /// Points of the same group share a colour.
    pub group: usize,
    /// Drawn larger, with a bold label (the query words).
    pub highlight: bool,
    /// Projected position.
    pub xy: [f64; 2],
}

const FONT: &str = "sans-serif";
/// The family of labels DejaVu Sans cannot draw (a CSS font list in SVG files).
const FONT_WIDE: &str = "Droid Sans Fallback, Noto Sans CJK SC, Source Han Sans SC, sans-serif";
const LABEL_PX: f64 = 14.0;

static FONTS: Once = Once::new();
static WIDE: OnceLock<Option<&'static [u8]>> = OnceLock::new();

/// Droid Sans Fallback, inflated once per process (3.5 MB; `None` if it cannot be, which leaves
/// such labels undrawn rather than failing the plot).
fn wide_font() -> Option<&'static [u8]> {
    *WIDE.get_or_init(|| {
        use std::io::Read;
        const GZ: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallback.ttf.gz");
        let mut ttf = Vec::with_capacity(4 << 20);
        flate2::read::GzDecoder::new(GZ)
            .read_to_end(&mut ttf)
            .ok()?;
        Some(Box::leak(ttf.into_boxed_slice()))
    })
}

fn register_fonts() {
    FONTS.call_once(|| {
        // The embedded fonts are valid TrueType files; a failure leaves text undrawn, not a panic.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Whether `font` has a glyph for every character of `text` but spaces.
fn covers(font: &[u8], text: &str) -> bool {
    use ab_glyph::Font;
    ab_glyph::FontRef::try_from_slice(font).is_ok_and(|f| {
        text.chars()
            .all(|c| c.is_whitespace() || f.glyph_id(c).0 != 0)
    })
}

/// The family that draws `text`: DejaVu Sans when it can, else the wide font (registered on
/// first use).
pub fn family_for(text: &str) -> &'static str {
    if covers(dejavu::sans::regular(), text) {
        return FONT;
    }
    static WIDE_REGISTERED: Once = Once::new();
    WIDE_REGISTERED.call_once(|| {
        if let Some(ttf) = wide_font() {
            let _ = plotters::style::register_font(FONT_WIDE, FontStyle::Normal, ttf);
            let _ = plotters::style::register_font(FONT_WIDE, FontStyle::Bold, ttf);
        }
    });
    FONT_WIDE
}

/// Whether the family [`family_for`] picks has a glyph for every character of `text` (no
/// missing-glyph box).
pub fn drawable(text: &str) -> bool {
    match family_for(text) {
        FONT => true,
        _ => wide_font().is_some_and(|f| covers(f, text)),
    }
}

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(127, 127, 127),
];

/// Draws `points` with `title` to `path`: SVG for `.svg`, PNG for `.png`.
pub fn draw(path: &Path, points: &[PlotPoint], title: &str, size: (u32, u32)) -> Result<()> {
    register_fonts();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    let fail = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if size.0 < 200 || size.1 < 150 || size.0 > 20_000 || size.1 > 20_000 {
        return Err(Error::config(
            "size",
            "the image must be between 200×150 and 20000×20000 pixels",
        ));
    }
    match ext.as_deref() {
        Some("svg") => {
            let out = AtomicFile::create(path)?;
            let mut svg = String::new();
            let outlined = {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                let wide = |family: &str, _: &str| family == FONT_WIDE;
                let outlined = render(&root, points, title, wide).map_err(|e| fail(&e))?;
                root.present().map_err(|e| fail(&e))?;
                outlined
            };
            // The outlined labels go last, over the plot, inside the root element.
            let end = svg.rfind("</svg>").unwrap_or(svg.len());
            svg.insert_str(end, &outline_paths(&outlined));
            out.commit(|w| w.write_all(svg.as_bytes()))
        }
        Some("png") => {
            let out = AtomicFile::create(path)?;
            let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
            let shaped = {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                let rtl = |family: &str, label: &str| family == FONT && needs_shaping(label);
                let shaped = render(&root, points, title, rtl).map_err(|e| fail(&e))?;
                root.present().map_err(|e| fail(&e))?;
                shaped
            };
            for label in &shaped {
                draw_shaped(&mut rgb, size, label);
            }
            out.commit(|w| {
                let mut enc = png::Encoder::new(w, size.0, size.1);
                enc.set_color(png::ColorType::Rgb);
                enc.set_depth(png::BitDepth::Eight);
                let mut writer = enc.write_header().map_err(std::io::Error::other)?;
                writer
                    .write_image_data(&rgb)
                    .map_err(std::io::Error::other)?;
                writer.finish().map_err(std::io::Error::other)
            })
        }
        _ => Err(Error::config(
            "output",
            format!(
                "{}: the plot's file name must end in .svg or .png",
                path.display()
            ),
        )),
    }
}

type Rect = (f64, f64, f64, f64);

fn overlap(a: &Rect, b: &Rect) -> f64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
    w * h
}

/// Where a `w × h` label of the point at `(px, py)` goes: the first of eight positions around
/// it that overlaps no rectangle in `taken` (other than the point's own, `own`), else the one
/// that overlaps least.
fn place_label((px, py): (f64, f64), (w, h): (f64, f64), taken: &[Rect], own: usize) -> (f64, f64) {
    let g = 7.0;
    let candidates = [
        (px + g, py - h / 2.0),
        (px - g - w, py - h / 2.0),
        (px - w / 2.0, py - g - h),
        (px - w / 2.0, py + g),
        (px + g, py - g - h),
        (px - g - w, py - g - h),
        (px + g, py + g),
        (px - g - w, py + g),
    ];
    let mut best = (f64::MAX, candidates[0]);
    for &(lx, ly) in &candidates {
        let rect = (lx, ly, lx + w, ly + h);
        let cost: f64 = taken
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != own)
            .map(|(_, t)| overlap(&rect, t))
            .sum();
        if cost < best.0 {
            best = (cost, (lx, ly));
            if cost == 0.0 {
                break;
            }
        }
    }
    best.1
}

/// A label left out of plotters' drawing, to be drawn after it: an SVG's labels in the wide
/// font (as outlines, [`outline_paths`]), a PNG's labels that need shaping ([`draw_shaped`]).
struct DeferredLabel {
    label: String,
    /// Top-left corner, in pixels.
    at: (f64, f64),
    colour: RGBColor,
    bold: bool,
}

/// Whether `text` has a letter of a script that joins or runs right to left (Hebrew, Arabic,
/// Syriac, Thaana, N'Ko and the Arabic presentation forms), which needs shaping.
fn needs_shaping(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF))
}

/// The axes' ranges: the points' extent, with margins so that labels at the edges stay inside.
fn axes(points: &[PlotPoint]) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in points {
        x0 = x0.min(p.xy[0]);
        x1 = x1.max(p.xy[0]);
        y0 = y0.min(p.xy[1]);
        y1 = y1.max(p.xy[1]);
    }
    if points.is_empty() {
        (x0, x1, y0, y1) = (-1.0, 1.0, -1.0, 1.0);
    }
    let (dx, dy) = ((x1 - x0).max(1e-9) * 0.08, (y1 - y0).max(1e-9) * 0.06);
    ((x0 - dx)..(x1 + dx), (y0 - dy)..(y1 + dy))
}

/// Draws the plot; the labels for which `defer(family, label)` holds are not drawn but
/// returned, placed, to be drawn after.
fn render<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[PlotPoint],
    title: &str,
    defer: impl Fn(&str, &str) -> bool,
) -> std::result::Result<Vec<DeferredLabel>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (xs, ys) = axes(points);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (family_for(title), 20))
        .margin(16)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(xs, ys)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .label_style((FONT, 11))
        .draw()?;
    let pixel: Vec<(i32, i32)> = points
        .iter()
        .map(|p| chart.backend_coord(&(p.xy[0], p.xy[1])))
        .collect();
    for (p, &(px, py)) in points.iter().zip(&pixel) {
        let c = PALETTE[p.group % PALETTE.len()];
        let r = if p.highlight { 6 } else { 4 };
        root.draw(&Circle::new((px, py), r, c.filled()))?;
    }
    // Greedy label placement, query words first.
    let mut deferred = Vec::new();
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| !points[i].highlight);
    let mut taken: Vec<Rect> = pixel
        .iter()
        .map(|&(x, y)| {
            (
                x as f64 - 4.0,
                y as f64 - 4.0,
                x as f64 + 4.0,
                y as f64 + 4.0,
            )
        })
        .collect();
    for i in order {
        let p = &points[i];
        let (px, py) = (pixel[i].0 as f64, pixel[i].1 as f64);
        let colour = PALETTE[p.group % PALETTE.len()];
        let shade = RGBColor(colour.0 / 2, colour.1 / 2, colour.2 / 2);
        let family = family_for(&p.label);
        let font = if p.highlight {
            (family, LABEL_PX, FontStyle::Bold).into_font()
        } else {
            (family, LABEL_PX).into_font()
        };
        let style = font.color(&shade);
        let (w, h) = root
            .estimate_text_size(&p.label, &style)
            .map(|(w, h)| (w as f64, h as f64))
            .unwrap_or((p.label.chars().count() as f64 * LABEL_PX * 0.6, LABEL_PX));
        let (lx, ly) = place_label((px, py), (w, h), &taken, i);
        taken.push((lx, ly, lx + w, ly + h));
        if defer(family, &p.label) {
            deferred.push(DeferredLabel {
                label: p.label.clone(),
                at: (lx.round(), ly.round()),
                colour: shade,
                bold: p.highlight,
            });
        } else {
            root.draw(&Text::new(p.label.clone(), (lx as i32, ly as i32), style))?;
        }
    }
    Ok(deferred)
}

/// SVG `<path>` elements drawing each label with the wide font's glyph outlines, at the size
/// and place of the SVG text it replaces (bold: stroked as well as filled).
fn outline_paths(labels: &[DeferredLabel]) -> String {
    use ab_glyph::{Font, FontRef, OutlineCurve, Point};
    use std::fmt::Write as _;
    let Some(font) = wide_font().and_then(|f| FontRef::try_from_slice(f).ok()) else {
        return String::new();
    };
    // As plotters writes an SVG text of `LABEL_PX`: font-size px / 1.24, baseline 0.76 em
    // below the top.
    let em = LABEL_PX / 1.24;
    let scale = em / f64::from(font.units_per_em().unwrap_or(1000.0));
    let mut out = String::new();
    for l in labels {
        let (mut pen, baseline) = (l.at.0, l.at.1 + 0.76 * em);
        let mut d = String::new();
        for c in l.label.chars() {
            let id = font.glyph_id(c);
            let at = |p: &Point| {
                (
                    pen + f64::from(p.x) * scale,
                    baseline - f64::from(p.y) * scale,
                )
            };
            let mut last: Option<Point> = None;
            for curve in font.outline(id).iter().flat_map(|o| &o.curves) {
                let (start, end) = match curve {
                    OutlineCurve::Line(a, b)
                    | OutlineCurve::Quad(a, _, b)
                    | OutlineCurve::Cubic(a, _, _, b) => (a, b),
                };
                if last != Some(*start) {
                    let (x, y) = at(start);
                    let _ = write!(d, "{}M{x:.2} {y:.2}", if last.is_some() { "Z" } else { "" });
                }
                let _ = match curve {
                    OutlineCurve::Line(_, b) => {
                        let (x, y) = at(b);
                        write!(d, "L{x:.2} {y:.2}")
                    }
                    OutlineCurve::Quad(_, c, b) => {
                        let ((cx, cy), (x, y)) = (at(c), at(b));
                        write!(d, "Q{cx:.2} {cy:.2} {x:.2} {y:.2}")
                    }
                    OutlineCurve::Cubic(_, c1, c2, b) => {
                        let ((ax, ay), (bx, by), (x, y)) = (at(c1), at(c2), at(b));
                        write!(d, "C{ax:.2} {ay:.2} {bx:.2} {by:.2} {x:.2} {y:.2}")
                    }
                };
                last = Some(*end);
            }
            if last.is_some() {
                d.push('Z');
            }
            pen += f64::from(font.h_advance_unscaled(id)) * scale;
        }
        let RGBColor(r, g, b) = l.colour;
        let stroke = if l.bold {
            format!(r#" stroke="rgb({r},{g},{b})" stroke-width="0.6""#)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            r#"<path d="{d}" fill="rgb({r},{g},{b})"{stroke}><title>{}</title></path>"#,
            xml_escape(&l.label)
        );
    }
    out
}

/// The glyphs of `text` in `font` as rustybuzz shapes them, in visual order (left to right):
/// `(glyph id, x offset, y offset, x advance)` in font units. Empty if the font cannot be read.
fn shape(font: &[u8], text: &str) -> Vec<(u16, i32, i32, i32)> {
    let Some(face) = rustybuzz::Face::from_slice(font, 0) else {
        return Vec::new();
    };
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    let glyphs = rustybuzz::shape(&face, &[], buffer);
    glyphs
        .glyph_infos()
        .iter()
        .zip(glyphs.glyph_positions())
        .map(|(i, p)| (i.glyph_id as u16, p.x_offset, p.y_offset, p.x_advance))
        .collect()
}

/// Draws a label that needs shaping into a PNG's `rgb` buffer (`size` pixels): its shaped
/// glyphs in DejaVu Sans (bold for a query word), blended by coverage, at plotters' size and
/// baseline for `LABEL_PX` text (half the size below the top).
fn draw_shaped(rgb: &mut [u8], size: (u32, u32), l: &DeferredLabel) {
    use ab_glyph::{Font, FontRef, GlyphId, ScaleFont, point};
    let bytes = if l.bold {
        dejavu::sans::bold()
    } else {
        dejavu::sans::regular()
    };
    let Ok(font) = FontRef::try_from_slice(bytes) else {
        return;
    };
    let scaled = font.as_scaled(LABEL_PX as f32);
    let (sx, sy) = (scaled.h_scale_factor(), scaled.v_scale_factor());
    let (mut pen, baseline) = (l.at.0 as f32, l.at.1 as f32 + LABEL_PX as f32 / 2.0);
    let RGBColor(r, g, b) = l.colour;
    for (id, dx, dy, advance) in shape(bytes, &l.label) {
        let at = point(pen + dx as f32 * sx, baseline - dy as f32 * sy);
        let glyph = GlyphId(id).with_scale_and_position(scaled.scale(), at);
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, cover| {
                let (x, y) = (
                    bounds.min.x as i64 + gx as i64,
                    bounds.min.y as i64 + gy as i64,
                );
                if x < 0 || y < 0 || x >= i64::from(size.0) || y >= i64::from(size.1) {
                    return;
                }
                let at = (y as usize * size.0 as usize + x as usize) * 3;
                let cover = cover.clamp(0.0, 1.0);
                for (k, ink) in [r, g, b].into_iter().enumerate() {
                    let old = f32::from(rgb[at + k]);
                    rgb[at + k] = (old + (f32::from(ink) - old) * cover).round() as u8;
                }
            });
        }
        pen += advance as f32 * sx;
    }
}

/// `text` with XML's special characters escaped.
fn xml_escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            _ => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: [&str; 8] = [
        "北京大学",
        "東京",
        "ひらがな",
        "カタカナ",
        "서울",
        "москва",
        "αθήνα",
        "القاهرة",
    ];

    #[test]
    fn labels_in_many_scripts_have_every_glyph() {
        for l in LABELS {
            assert!(drawable(l), "{l}: a glyph is missing");
        }
        assert_eq!(family_for("paris"), FONT);
        assert_eq!(family_for("москва"), FONT);
        assert_eq!(family_for("北京"), FONT_WIDE);
        // The check can fail: a private-use character is in neither font.
        assert!(!drawable("\u{E000}"));
    }

    #[test]
    fn a_png_with_cjk_labels_draws_them() {
        let dir = tempfile::tempdir().unwrap();
        let points: Vec<PlotPoint> = LABELS
            .iter()
            .enumerate()
            .map(|(i, l)| PlotPoint {
                label: l.to_string(),
                group: i % 3,
                highlight: i == 0,
                xy: [i as f64, (i * i) as f64 % 5.0],
            })
            .collect();
        // Ink of a label: the PNG with labels differs from one with empty labels more, per
        // label, than a missing-glyph box of the same label would (its outline only).
        let ink = |labels: bool| {
            let path = dir.path().join(format!("p{labels}.png"));
            let pts: Vec<PlotPoint> = points
                .iter()
                .map(|p| PlotPoint {
                    label: if labels {
                        p.label.clone()
                    } else {
                        String::new()
                    },
                    ..p.clone()
                })
                .collect();
            draw(&path, &pts, "词 слова", (640, 480)).unwrap();
            pixels(&path)
        };
        let (with, without) = (ink(true), ink(false));
        let changed = with.iter().zip(&without).filter(|(a, b)| a != b).count();
        assert!(changed > 2_000, "labels drew {changed} bytes");
        // In an SVG the CJK labels are glyph outlines, one path per label, named by a title;
        // the others are text in the viewer's sans-serif.
        let svg = dir.path().join("p.svg");
        draw(&svg, &points, "t", (640, 480)).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        for label in ["北京大学", "東京", "ひらがな", "カタカナ", "서울"] {
            let title = format!("<title>{label}</title></path>");
            let line = text.lines().find(|l| l.ends_with(&title));
            let line = line.unwrap_or_else(|| panic!("{label}: no outlined path"));
            // Every character drew contours (a closed subpath each at least).
            let contours = line.matches('M').count();
            assert!(
                contours >= label.chars().count(),
                "{label}: {contours} contours"
            );
            assert!(
                !text.lines().any(|l| l.trim() == label),
                "{label} left as text"
            );
        }
        assert!(
            text.lines().any(|l| l.trim() == "москва"),
            "Cyrillic stays text"
        );
    }

    /// Reads a PNG's pixels.
    fn pixels(path: &Path) -> Vec<u8> {
        let bytes = std::fs::read(path).unwrap();
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; dec.output_buffer_size().unwrap()];
        dec.next_frame(&mut buf).unwrap();
        buf
    }

    /// Arabic is shaped: joined (contextual) letter forms, in visual order, right to left;
    /// Hebrew comes out as its letters right to left, Latin as its letters; and a PNG with an
    /// Arabic label draws it.
    #[test]
    fn arabic_labels_are_shaped_right_to_left() {
        use ab_glyph::{Font, FontRef};
        let bytes = dejavu::sans::regular();
        let font = FontRef::try_from_slice(bytes).unwrap();
        let nominal = |t: &str| -> Vec<u16> { t.chars().map(|c| font.glyph_id(c).0).collect() };
        let ids = |t: &str| -> Vec<u16> { shape(bytes, t).iter().map(|g| g.0).collect() };
        assert!(needs_shaping("مرحبا") && needs_shaping("שלום") && !needs_shaping("paris"));
        assert_eq!(ids("paris"), nominal("paris"));
        let arabic = ids("مرحبا");
        let mut reversed = nominal("مرحبا");
        reversed.reverse();
        assert_eq!(arabic.len(), reversed.len());
        assert_ne!(arabic, reversed, "no contextual forms");
        let mut hebrew = nominal("שלום");
        hebrew.reverse();
        assert_eq!(ids("שלום"), hebrew);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ar.png");
        let point = |label: &str| PlotPoint {
            label: label.to_string(),
            group: 0,
            highlight: false,
            xy: [0.0, 0.0],
        };
        draw(&path, &[point("مرحبا"), point("x")], "t", (300, 200)).unwrap();
        let with = pixels(&path);
        draw(&path, &[point(""), point("x")], "t", (300, 200)).unwrap();
        let without = pixels(&path);
        let changed = with.iter().zip(&without).filter(|(a, b)| a != b).count();
        assert!(changed > 100, "the Arabic label drew {changed} bytes");
    }
}
