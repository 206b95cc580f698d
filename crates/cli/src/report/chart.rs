//! Inline SVG charts for `report.html`: horizontal bars (with optional threshold lines) and stacked bars. Static
//! markup, no script, no external reference; every text from the data is escaped. A chart is an image with a
//! label; the numbers it shows are also in the `<table>` that follows it in the page (the accessible alternative).

use std::fmt::Write;

/// Width of the drawing, in SVG units (the page scales it).
const WIDTH: f64 = 640.0;
/// Where the bars start (labels to the left of it).
const LEFT: f64 = 190.0;
/// Room to the right of the longest bar for its value.
const RIGHT: f64 = 90.0;
/// Height of one row.
const ROW: f64 = 30.0;
/// Height of a bar.
const BAR: f64 = 20.0;

/// Fill colours, each at least 4.5:1 against white (text-grade contrast, more than the 3:1 graphics need).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// #1f5fa8.
    Blue,
    /// #a84a12.
    Orange,
    /// #2e6b30.
    Green,
    /// #6a3d9a.
    Purple,
    /// #4d5156.
    Grey,
    /// #b3261e.
    Red,
    /// #1a1a1a (the page's text colour).
    Black,
}

impl Tone {
    /// The colour.
    pub fn hex(self) -> &'static str {
        match self {
            Tone::Blue => "#1f5fa8",
            Tone::Orange => "#a84a12",
            Tone::Green => "#2e6b30",
            Tone::Purple => "#6a3d9a",
            Tone::Grey => "#4d5156",
            Tone::Red => "#b3261e",
            Tone::Black => "#1a1a1a",
        }
    }
}

/// One bar: its label, length and the text written after it.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Row label.
    pub label: String,
    /// Length, in the chart's unit.
    pub value: f64,
    /// Shown after the bar (`12 (24.0 %)`).
    pub text: String,
    /// Colour.
    pub tone: Tone,
}

/// A vertical line across the bars at a value (`0.1 % warn`).
#[derive(Debug, Clone)]
pub struct Mark {
    /// Where, in the chart's unit.
    pub at: f64,
    /// Written at the top of the line.
    pub label: String,
    /// Colour.
    pub tone: Tone,
}

/// One stacked row: its label, then `(value, tone)` parts left to right, and the text after it.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Row label.
    pub label: String,
    /// Parts.
    pub parts: Vec<(f64, Tone)>,
    /// Shown after the row.
    pub text: String,
}

/// `<`, `>`, `&`, `"` and `'` as entities: safe in text and in quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The scale: `value` in `0..=max` as a bar length in SVG units (a zero or negative `max` draws nothing).
fn scale(value: f64, max: f64) -> f64 {
    if max > 0.0 && value.is_finite() {
        (value.max(0.0) / max).min(1.0) * (WIDTH - LEFT - RIGHT)
    } else {
        0.0
    }
}

fn open_svg(out: &mut String, label: &str, rows: usize, top: f64) {
    let height = top + ROW * rows as f64 + 6.0;
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-label=\"{}\" \
         font-family=\"system-ui, sans-serif\" font-size=\"13\">",
        esc(label)
    );
}

fn row_label(out: &mut String, y: f64, label: &str) {
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>",
        LEFT - 8.0,
        y + BAR / 2.0 + 4.5,
        esc(label)
    );
}

fn row_text(out: &mut String, x: f64, y: f64, text: &str) {
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1a1a1a\">{}</text>",
        x + 6.0,
        y + BAR / 2.0 + 4.5,
        esc(text)
    );
}

/// Horizontal bars on one scale `0..=max`, with optional threshold lines.
pub fn bars(label: &str, bars: &[Bar], max: f64, marks: &[Mark]) -> String {
    let top = if marks.is_empty() { 4.0 } else { 22.0 };
    let mut out = String::new();
    open_svg(&mut out, label, bars.len(), top);
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{top}\" x2=\"{LEFT}\" y2=\"{:.1}\" stroke=\"#4d5156\"/>",
        top + ROW * bars.len() as f64
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = top + ROW * i as f64 + (ROW - BAR) / 2.0;
        let w = scale(bar.value, max);
        row_label(&mut out, y, &bar.label);
        let _ = write!(
            out,
            "<rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{}\"/>",
            bar.tone.hex()
        );
        row_text(&mut out, LEFT + w, y, &bar.text);
    }
    for mark in marks {
        let x = LEFT + scale(mark.at, max);
        let bottom = top + ROW * bars.len() as f64;
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"{}\" stroke-width=\"2\" \
             stroke-dasharray=\"5 3\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
            top - 6.0,
            mark.tone.hex(),
            top - 9.0,
            mark.tone.hex(),
            esc(&mark.label)
        );
    }
    out.push_str("</svg>");
    out
}

/// Stacked horizontal bars on one scale `0..=max`, with the legend above (wrapped onto more lines when it does
/// not fit beside the labels).
pub fn stacked(label: &str, rows: &[Stack], max: f64, legend: &[(&str, Tone)]) -> String {
    let width = |name: &str| 24.0 + 8.0 * name.chars().count() as f64;
    let mut places = Vec::with_capacity(legend.len());
    let (mut x, mut line) = (LEFT, 0.0);
    for (name, _) in legend {
        if x > LEFT && x + width(name) > WIDTH {
            (x, line) = (LEFT, line + 1.0);
        }
        places.push((x, 18.0 * line));
        x += width(name);
    }
    let top = 26.0 + 18.0 * line;
    let mut out = String::new();
    open_svg(&mut out, label, rows.len(), top);
    for ((name, tone), (x, dy)) in legend.iter().zip(&places) {
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.0}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" \
             fill=\"#1a1a1a\">{}</text>",
            4.0 + dy,
            tone.hex(),
            x + 16.0,
            14.5 + dy,
            esc(name)
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let y = top + ROW * i as f64 + (ROW - BAR) / 2.0;
        row_label(&mut out, y, &row.label);
        let mut x = LEFT;
        for (value, tone) in &row.parts {
            let w = scale(*value, max);
            if w > 0.0 {
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{}\" stroke=\"#ffffff\" \
                     stroke-width=\"1\"/>",
                    tone.hex()
                );
            }
            x += w;
        }
        row_text(&mut out, x, y, &row.text);
    }
    out.push_str("</svg>");
    out
}

/// One heat-map cell: how dark (`0..=1` of the darkest shade) and the text written in it; `None` draws nothing.
pub type Cell = Option<(f64, String)>;

/// A grid of cells shaded from white to a mid blue by their share, each with its text; row labels on the left,
/// column labels on top. The darkest shade (#5a87bd) keeps the page's text colour at 4.6:1 or more, so every
/// cell's text is readable; the numbers are also in the table after the chart.
pub fn heat(label: &str, columns: &[String], rows: &[(String, Vec<Cell>)]) -> String {
    const LEFT_HEAT: f64 = 110.0;
    const TOP: f64 = 24.0;
    let width = (WIDTH - LEFT_HEAT) / columns.len().max(1) as f64;
    let mut out = String::new();
    open_svg(&mut out, label, rows.len(), TOP);
    for (j, name) in columns.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"16\" text-anchor=\"middle\" fill=\"#1a1a1a\">{}</text>",
            LEFT_HEAT + width * (j as f64 + 0.5),
            esc(name)
        );
    }
    for (i, (name, cells)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>",
            LEFT_HEAT - 8.0,
            y + ROW / 2.0 + 4.5,
            esc(name)
        );
        for (j, cell) in cells.iter().enumerate() {
            let Some((share, text)) = cell else { continue };
            let t = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
            // White (255, 255, 255) to #5a87bd (90, 135, 189).
            let mix = |to: f64| (255.0 - t * (255.0 - to)).round() as u8;
            let x = LEFT_HEAT + width * j as f64;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{ROW}\" fill=\"#{:02x}{:02x}{:02x}\" \
                 stroke=\"#c4c7cc\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" \
                 fill=\"#1a1a1a\">{}</text>",
                mix(90.0),
                mix(135.0),
                mix(189.0),
                x + width / 2.0,
                y + ROW / 2.0 + 4.0,
                esc(text)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_the_data_are_escaped() {
        assert_eq!(esc("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
        let bar = Bar { label: "<script>".into(), value: 1.0, text: "1".into(), tone: Tone::Blue };
        let svg = bars("a \"chart\"", &[bar], 2.0, &[]);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;") && svg.contains("a &quot;chart&quot;"));
    }

    #[test]
    fn a_long_legend_wraps_instead_of_running_off_the_drawing() {
        let names = ["Active", "Cooling", "Cold", "Soft reactivation", "Break-up", "Archived", "Erased"];
        let legend: Vec<(&str, Tone)> = names.iter().map(|n| (*n, Tone::Grey)).collect();
        let svg = stacked("c", &[], 1.0, &legend);
        let xs: Vec<f64> =
            svg.split("<rect x=\"").skip(1).filter_map(|r| r.split('"').next().and_then(|x| x.parse().ok())).collect();
        assert_eq!(xs.len(), names.len());
        assert!(xs.iter().zip(names).all(|(x, n)| x + 24.0 + 8.0 * n.len() as f64 <= WIDTH), "{xs:?}");
        assert!(svg.contains("y=\"22\""), "a second legend line: {svg}");
        let short = stacked("c", &[], 1.0, &legend[..3]);
        assert!(short.contains("<rect x=\"190.0\" y=\"4\"") && !short.contains("y=\"22\""), "{short}");
    }

    #[test]
    fn heat_cells_shade_from_white_to_the_darkest_blue_and_skip_empty_cells() {
        let rows = vec![("r".to_string(), vec![Some((0.0, "0".to_string())), None, Some((1.0, "<9>".to_string()))])];
        let svg = heat("h", &["a".into(), "b".into(), "c".into()], &rows);
        assert!(svg.contains("fill=\"#ffffff\"") && svg.contains("fill=\"#5a87bd\""));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("&lt;9&gt;"));
    }

    #[test]
    fn bars_scale_to_the_maximum_and_clip_beyond_it() {
        let bar = |v: f64| Bar { label: "x".into(), value: v, text: String::new(), tone: Tone::Grey };
        let svg = bars("c", &[bar(1.0), bar(2.0), bar(9.0), bar(0.0)], 2.0, &[]);
        assert!(svg.contains("width=\"180.0\"") && svg.matches("width=\"360.0\"").count() == 2);
        assert!(svg.contains("width=\"0.0\""));
        assert!(bars("c", &[bar(1.0)], 0.0, &[]).contains("width=\"0.0\""), "an empty scale draws no bar");
    }
}
