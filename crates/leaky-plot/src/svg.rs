//! The SVG document of a figure, written here: pixel coordinates with two decimals, text in
//! DejaVu Sans, drawn in matplotlib's order (data, then frame and ticks, then text, then legend).

use std::fmt::{self, Display, Write};

use crate::chart::Style;
use crate::font::{FAMILY, stand_in};
use crate::layout::{
    FRAME_WIDTH, LEGEND_CORNER, LEGEND_FRAME_WIDTH, LINE_WIDTH, Layout, MARKER_EDGE, MARKER_SIZE,
    Panel, Rect, TICK_LENGTH, snap,
};
use crate::{Figure, PlotError};

/// Matplotlib's default colour cycle, "tab10".
pub const COLORS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// The opacity of a band's fill.
const BAND_OPACITY: f64 = 0.2;

/// The figure as an SVG document at `scale` times 100 dpi.
pub fn render(figure: &Figure, scale: f64) -> Result<String, PlotError> {
    let layout = Layout::new(figure, scale)?;
    let mut out = String::new();
    write_document(&mut out, &layout).map_err(|e| PlotError::Render(e.to_string()))?;
    Ok(out)
}

/// A pixel coordinate or length, written with at most two decimals.
struct Px(f64);

impl Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.2}", self.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        f.write_str(if text == "-0" { "0" } else { text })
    }
}

/// `text` made safe for XML character data and attribute values: markup characters escaped,
/// characters XML cannot hold (most control characters) dropped, and characters the embedded
/// font lacks replaced by their stand-ins.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match stand_in(c) {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

fn write_document(out: &mut String, layout: &Layout) -> fmt::Result {
    let (w, h) = (Px(layout.width), Px(layout.height));
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FAMILY}, Bitstream Vera Sans, sans-serif">"#
    )?;
    writeln!(out, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##)?;
    for (i, panel) in layout.panels.iter().enumerate() {
        write_panel(out, layout, panel, i)?;
    }
    writeln!(out, "</svg>")
}

fn write_panel(out: &mut String, layout: &Layout, panel: &Panel, index: usize) -> fmt::Result {
    let r = panel.rect;
    writeln!(
        out,
        r#"<clipPath id="axes{index}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>"#,
        Px(r.left),
        Px(r.top),
        Px(r.width()),
        Px(r.height())
    )?;
    writeln!(out, r#"<g clip-path="url(#axes{index})">"#)?;
    for (i, series) in panel.chart.series.iter().enumerate() {
        let color = COLORS[series.color_index(i) % COLORS.len()];
        match series.style {
            Style::Line => write_line(out, layout, &panel.runs(series), color)?,
            Style::Markers => {
                let centres: Vec<_> = panel.runs(series).into_iter().flatten().collect();
                write_markers(out, layout, &centres, color)?;
            }
            Style::Bars { .. } | Style::Cells { .. } => {
                write_bars(out, &panel.bars(series), color)?;
            }
            Style::Band => write_band(out, &panel.runs(series), color)?,
        }
    }
    writeln!(out, "</g>")?;
    write_axes(out, layout, panel)?;
    if let Some(legend) = layout.legend(panel) {
        let em = layout.font();
        let lw = LEGEND_FRAME_WIDTH * layout.pt;
        let frame = Rect {
            left: snap(legend.rect.left, lw),
            top: snap(legend.rect.top, lw),
            right: snap(legend.rect.right, lw),
            bottom: snap(legend.rect.bottom, lw),
        };
        writeln!(
            out,
            r##"<rect x="{}" y="{}" width="{}" height="{}" rx="{r}" ry="{r}" fill="#ffffff" fill-opacity="0.8" stroke="#cccccc" stroke-opacity="0.8" stroke-width="{}"/>"##,
            Px(frame.left),
            Px(frame.top),
            Px(frame.width()),
            Px(frame.height()),
            Px(lw),
            r = Px(LEGEND_CORNER * em),
        )?;
        let handle_height = layout.legend_handle_height();
        for row in &legend.rows {
            let color = COLORS[row.color % COLORS.len()];
            let (x0, x1) = row.handle;
            let mid_y = row.baseline - handle_height / 2.0;
            match row.series.style {
                Style::Line => write_line(out, layout, &[vec![(x0, mid_y), (x1, mid_y)]], color)?,
                Style::Markers => write_markers(out, layout, &[((x0 + x1) / 2.0, mid_y)], color)?,
                Style::Bars { .. } | Style::Cells { .. } | Style::Band => {
                    let bar = Rect {
                        left: x0,
                        top: row.baseline - handle_height,
                        right: x1,
                        bottom: row.baseline,
                    };
                    match row.series.style {
                        Style::Band => write_band(out, &[bar.corners()], color)?,
                        _ => write_bars(out, &[bar], color)?,
                    }
                }
            }
            write_text(
                out,
                (row.text_x, row.baseline),
                em,
                "start",
                &row.series.label,
            )?;
        }
    }
    Ok(())
}

/// The frame, ticks, tick labels, multipliers, axis labels and title of a panel.
fn write_axes(out: &mut String, layout: &Layout, panel: &Panel) -> fmt::Result {
    let r = panel.rect;
    let lw = FRAME_WIDTH * layout.pt;
    let tick = TICK_LENGTH * layout.pt;
    let font = layout.font();
    let pos = layout.text_positions(panel);
    let x_ticks: Vec<f64> = panel
        .x
        .ticks
        .iter()
        .map(|&t| snap(panel.to_px((t, 0.0)).0, lw))
        .collect();
    let y_ticks: Vec<f64> = panel
        .y
        .ticks
        .iter()
        .map(|&t| snap(panel.to_px((0.0, t)).1, lw))
        .collect();
    write!(
        out,
        r##"<path fill="none" stroke="#000000" stroke-width="{}" d=""##,
        Px(lw)
    )?;
    for &x in &x_ticks {
        write!(out, "M{} {}v{}", Px(x), Px(r.bottom), Px(tick))?;
    }
    for &y in &y_ticks {
        write!(out, "M{} {}h{}", Px(r.left), Px(y), Px(-tick))?;
    }
    writeln!(out, r#""/>"#)?;
    writeln!(
        out,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#000000" stroke-width="{}"/>"##,
        Px(r.left),
        Px(r.top),
        Px(r.width()),
        Px(r.height()),
        Px(lw)
    )?;
    for (x, label) in x_ticks.iter().zip(&panel.x.labels.text) {
        write_text(out, (*x, pos.x_tick_baseline), font, "middle", label)?;
    }
    for (y, label) in y_ticks.iter().zip(&panel.y.labels.text) {
        write_text(
            out,
            (pos.y_tick_right, y + pos.y_tick_shift),
            font,
            "end",
            label,
        )?;
    }
    if let Some(m) = &panel.x.labels.multiplier {
        write_text(out, (r.right, pos.x_multiplier_baseline), font, "end", m)?;
    }
    if let Some(m) = &panel.y.labels.multiplier {
        write_text(out, (r.left, pos.y_multiplier_baseline), font, "start", m)?;
    }
    let centre_x = (r.left + r.right) / 2.0;
    write_text(
        out,
        (centre_x, pos.x_label_baseline),
        font,
        "middle",
        &panel.chart.x_label,
    )?;
    if !panel.chart.y_label.is_empty() {
        writeln!(
            out,
            r#"<text transform="translate({} {}) rotate(-90)" font-size="{}" text-anchor="middle">{}</text>"#,
            Px(pos.y_label_baseline),
            Px((r.top + r.bottom) / 2.0),
            Px(font),
            escape(&panel.chart.y_label)
        )?;
    }
    let title = (centre_x, pos.title_baseline);
    write_text(
        out,
        title,
        layout.title_font(),
        "middle",
        &panel.chart.title,
    )
}

/// A text element with its baseline starting, centred or ending (`anchor`) at `(x, y)`.
fn write_text(
    out: &mut String,
    (x, y): (f64, f64),
    size: f64,
    anchor: &str,
    text: &str,
) -> fmt::Result {
    if text.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="{}" text-anchor="{anchor}">{}</text>"#,
        Px(x),
        Px(y),
        Px(size),
        escape(text)
    )
}

/// Polylines in matplotlib's line style: square caps, round joins.
fn write_line(
    out: &mut String,
    layout: &Layout,
    runs: &[Vec<(f64, f64)>],
    color: &str,
) -> fmt::Result {
    if runs.is_empty() {
        return Ok(());
    }
    write!(
        out,
        r#"<path fill="none" stroke="{color}" stroke-width="{}" stroke-linecap="square" stroke-linejoin="round" d=""#,
        Px(LINE_WIDTH * layout.pt)
    )?;
    for run in runs {
        for (i, &(x, y)) in run.iter().enumerate() {
            let command = if i == 0 { 'M' } else { 'L' };
            write!(out, "{command}{} {}", Px(x), Px(y))?;
        }
    }
    writeln!(out, r#""/>"#)
}

/// Filled circles, matplotlib's default marker.
fn write_markers(
    out: &mut String,
    layout: &Layout,
    centres: &[(f64, f64)],
    color: &str,
) -> fmt::Result {
    writeln!(
        out,
        r#"<g fill="{color}" stroke="{color}" stroke-width="{}">"#,
        Px(MARKER_EDGE * layout.pt)
    )?;
    let radius = Px(MARKER_SIZE * layout.pt / 2.0);
    for &(x, y) in centres {
        writeln!(
            out,
            r#"<circle cx="{}" cy="{}" r="{radius}"/>"#,
            Px(x),
            Px(y)
        )?;
    }
    writeln!(out, "</g>")
}

/// Filled polygons at a fifth of the colour's opacity, without outline, as matplotlib's
/// `fill_between(..., alpha=0.2)`.
fn write_band(out: &mut String, polygons: &[Vec<(f64, f64)>], color: &str) -> fmt::Result {
    write!(
        out,
        r#"<path fill="{color}" fill-opacity="{BAND_OPACITY}" stroke="none" d=""#
    )?;
    for polygon in polygons {
        for (i, &(x, y)) in polygon.iter().enumerate() {
            let command = if i == 0 { 'M' } else { 'L' };
            write!(out, "{command}{} {}", Px(x), Px(y))?;
        }
        write!(out, "Z")?;
    }
    writeln!(out, r#""/>"#)
}

/// Filled rectangles without outline, as matplotlib's bars.
fn write_bars(out: &mut String, bars: &[Rect], color: &str) -> fmt::Result {
    writeln!(out, r#"<g fill="{color}">"#)?;
    for b in bars {
        writeln!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}"/>"#,
            Px(b.left),
            Px(b.top),
            Px(b.width()),
            Px(b.height())
        )?;
    }
    writeln!(out, "</g>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(Px(80.5).to_string(), "80.5");
        assert_eq!(Px(80.0).to_string(), "80");
        assert_eq!(Px(1.0 / 3.0).to_string(), "0.33");
        assert_eq!(Px(-0.001).to_string(), "0");
        assert_eq!(Px(-2.5).to_string(), "-2.5");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{0}\n f\u{2032}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;  f&apos;"
        );
    }
}
