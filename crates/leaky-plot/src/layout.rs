//! Where everything goes, in device pixels: axes boxes laid out like matplotlib's
//! `plt.subplots(1, n)` (margins widened only when ticks or labels would not fit), axis views and
//! ticks, text positions, and the legend box.

use crate::chart::{Chart, Series, Style, Views};
use crate::font::{LineExtent, text_width};
use crate::ticks::{self, Labels};
use crate::{Figure, PlotError};

// Matplotlib's default sizes, in points (1/72 in); `Layout::pt` converts them to pixels.
/// Tick labels, axis labels and legend text.
pub const FONT_SIZE: f64 = 10.0;
/// The title.
pub const TITLE_SIZE: f64 = 12.0;
/// Data lines.
pub const LINE_WIDTH: f64 = 1.5;
/// The axes frame and the ticks.
pub const FRAME_WIDTH: f64 = 0.8;
/// Tick marks, drawn outwards.
pub const TICK_LENGTH: f64 = 3.5;
/// Between a tick mark and its label.
const TICK_PAD: f64 = 3.5;
/// Between tick labels and the axis label.
const LABEL_PAD: f64 = 4.0;
/// Between the axes and the title's baseline.
const TITLE_PAD: f64 = 6.0;
/// Between the axes (or tick labels) and a "1e6" multiplier.
const MULTIPLIER_PAD: f64 = 3.0;
/// Kept free around text at the figure's edges when margins must grow.
const OUTER_PAD: f64 = 4.0;
/// Marker diameter.
pub const MARKER_SIZE: f64 = 6.0;
/// Marker outline.
pub const MARKER_EDGE: f64 = 1.0;
/// The legend's frame line.
pub const LEGEND_FRAME_WIDTH: f64 = 1.0;

// Legend spacing, in font sizes, as matplotlib's `legend.*` settings.
const LEGEND_AXES_PAD: f64 = 0.5;
const LEGEND_BORDER_PAD: f64 = 0.4;
const LEGEND_ROW_SPACING: f64 = 0.5;
const LEGEND_HANDLE_LENGTH: f64 = 2.0;
const LEGEND_HANDLE_HEIGHT: f64 = 0.7;
const LEGEND_HANDLE_TEXT_PAD: f64 = 0.8;
/// Radius of the legend frame's corners.
pub const LEGEND_CORNER: f64 = 0.2;

// Matplotlib's `figure.subplot.*`: axes box edges as fractions of the figure.
const SUBPLOT_LEFT: f64 = 0.125;
const SUBPLOT_RIGHT: f64 = 0.9;
const SUBPLOT_BOTTOM: f64 = 0.11;
const SUBPLOT_TOP: f64 = 0.88;
const SUBPLOT_WSPACE: f64 = 0.2;

/// A rectangle in pixels, y growing downwards.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Smallest x.
    pub left: f64,
    /// Smallest y.
    pub top: f64,
    /// Largest x.
    pub right: f64,
    /// Largest y.
    pub bottom: f64,
}

impl Rect {
    /// Horizontal size.
    pub fn width(&self) -> f64 {
        self.right - self.left
    }

    /// Vertical size.
    pub fn height(&self) -> f64 {
        self.bottom - self.top
    }

    fn contains(&self, (x, y): (f64, f64)) -> bool {
        self.left <= x && x <= self.right && self.top <= y && y <= self.bottom
    }

    /// Its corners, clockwise from the top left: the outline of a filled polygon.
    pub fn corners(&self) -> Vec<(f64, f64)> {
        vec![
            (self.left, self.top),
            (self.right, self.top),
            (self.right, self.bottom),
            (self.left, self.bottom),
        ]
    }

    fn overlaps(&self, other: &Rect) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }

    /// Whether the segment from `a` to `b` touches the rectangle (Liang–Barsky clipping).
    fn meets_segment(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.0 - self.left),
            (dx, self.right - a.0),
            (-dy, a.1 - self.top),
            (dy, self.bottom - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else if p < 0.0 {
                t0 = t0.max(q / p);
            } else {
                t1 = t1.min(q / p);
            }
        }
        t0 <= t1
    }
}

/// Moves a coordinate to where a line `width` pixels wide covers whole pixels: pixel centres for
/// odd widths, pixel edges for even ones, as matplotlib snaps frames and ticks.
pub fn snap(v: f64, width: f64) -> f64 {
    if width.round() as i64 % 2 == 1 {
        (v - 0.5).round() + 0.5
    } else {
        v.round()
    }
}

/// One axis: its view interval, ticks inside it and their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The data values at the two ends of the axis.
    pub view: (f64, f64),
    /// Tick positions, in data units, inside the view.
    pub ticks: Vec<f64>,
    /// One label per tick, and a multiplier if any.
    pub labels: Labels,
}

impl Axis {
    /// `whole`: ticks only at whole numbers.
    fn new(view: (f64, f64), length_px: f64, pt: f64, horizontal: bool, whole: bool) -> Self {
        let bins = ticks::max_bins(length_px / pt, FONT_SIZE, horizontal);
        let ticks = ticks::ticks(view.0, view.1, bins);
        let ticks = if whole {
            ticks::whole(ticks, view.0, view.1)
        } else {
            ticks
        };
        let labels = ticks::labels(&ticks, view);
        Self {
            view,
            ticks,
            labels,
        }
    }

    /// Where `v` lies along the axis, 0 at the low end and 1 at the high end.
    fn fraction(&self, v: f64) -> f64 {
        (v - self.view.0) / (self.view.1 - self.view.0)
    }

    fn widest_label(&self, font_px: f64) -> f64 {
        self.labels
            .text
            .iter()
            .map(|t| text_width(t, font_px))
            .fold(0.0, f64::max)
    }
}

/// A chart placed in the figure.
#[derive(Clone, Debug)]
pub struct Panel<'a> {
    /// What to draw.
    pub chart: &'a Chart,
    /// The axes box; the frame is drawn on its edges.
    pub rect: Rect,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
}

impl Panel<'_> {
    /// The pixel position of a data point.
    pub fn to_px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            self.rect.left + self.x.fraction(x) * self.rect.width(),
            self.rect.bottom - self.y.fraction(y) * self.rect.height(),
        )
    }

    /// A series' finite points in pixels, split into runs where a point is not finite.
    pub fn runs(&self, series: &Series) -> Vec<Vec<(f64, f64)>> {
        let mut runs = Vec::new();
        let mut run = Vec::new();
        for &(x, y) in &series.points {
            if x.is_finite() && y.is_finite() {
                run.push(self.to_px((x, y)));
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        runs
    }

    /// The bars of a `Bars` series, or the cells of a `Cells` series, in pixels, edges on whole
    /// pixels so neighbours meet cleanly; none for other series.
    pub fn bars(&self, series: &Series) -> Vec<Rect> {
        let corners = |x: f64, y: f64| match series.style {
            Style::Bars { width } => {
                Some(((x - width / 2.0, y.max(0.0)), (x + width / 2.0, y.min(0.0))))
            }
            Style::Cells { width, height } => Some((
                (x - width / 2.0, y + height / 2.0),
                (x + width / 2.0, y - height / 2.0),
            )),
            _ => None,
        };
        series
            .finite_points()
            .filter_map(|(x, y)| corners(x, y))
            .map(|(top_left, bottom_right)| {
                let (left, top) = self.to_px(top_left);
                let (right, bottom) = self.to_px(bottom_right);
                Rect {
                    left: left.round(),
                    top: top.round(),
                    right: right.round(),
                    bottom: bottom.round(),
                }
            })
            .collect()
    }
}

/// Where text goes, relative to a panel's axes box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextPositions {
    /// Baseline of the x tick labels.
    pub x_tick_baseline: f64,
    /// Right end of the y tick labels.
    pub y_tick_right: f64,
    /// Added to a y tick's position to get its label's baseline (centres digits on the tick).
    pub y_tick_shift: f64,
    /// Baseline of the x axis label.
    pub x_label_baseline: f64,
    /// Baseline of the upward y axis label, as an x coordinate.
    pub y_label_baseline: f64,
    /// Baseline of the x multiplier ("1e6"), right-aligned with the axes.
    pub x_multiplier_baseline: f64,
    /// Baseline of the y multiplier, left-aligned with the axes, above them.
    pub y_multiplier_baseline: f64,
    /// Baseline of the title.
    pub title_baseline: f64,
}

/// A legend's frame and rows.
#[derive(Clone, Debug)]
pub struct LegendBox<'a> {
    /// The frame.
    pub rect: Rect,
    /// One row per labelled series.
    pub rows: Vec<LegendRow<'a>>,
}

/// One legend row: a handle drawn in the series' style, then its label.
#[derive(Clone, Debug)]
pub struct LegendRow<'a> {
    /// The series.
    pub series: &'a Series,
    /// Its index in the colour cycle.
    pub color: usize,
    /// The handle's left and right x.
    pub handle: (f64, f64),
    /// Baseline of the row's text.
    pub baseline: f64,
    /// Start of the row's text.
    pub text_x: f64,
}

/// A figure laid out at one pixel density.
#[derive(Clone, Debug)]
pub struct Layout<'a> {
    /// Figure width in pixels.
    pub width: f64,
    /// Figure height in pixels.
    pub height: f64,
    /// Pixels per point.
    pub pt: f64,
    /// The vertical extent of a line of text, in font sizes.
    pub text: LineExtent,
    /// The panels, left to right.
    pub panels: Vec<Panel<'a>>,
}

/// Room around axes boxes, in pixels.
#[derive(Clone, Copy, Debug)]
struct Margins {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl<'a> Layout<'a> {
    /// Lays `figure` out at `scale` times 100 dpi, after checking it.
    pub fn new(figure: &'a Figure, scale: f64) -> Result<Self, PlotError> {
        figure.validate()?;
        let mut layout = Self {
            width: f64::from(figure.width) * scale,
            height: f64::from(figure.height) * scale,
            pt: scale * 100.0 / 72.0,
            text: LineExtent::get(),
            panels: Vec::new(),
        };
        let views = figure
            .panels
            .iter()
            .enumerate()
            .map(|(i, chart)| chart.views(i, ticks::MARGIN))
            .collect::<Result<Vec<_>, _>>()?;
        // First with matplotlib's margins, then with margins wide enough for these ticks.
        let n = figure.panels.len() as f64;
        let default_width =
            layout.width * (SUBPLOT_RIGHT - SUBPLOT_LEFT) / (n + SUBPLOT_WSPACE * (n - 1.0));
        let default_gap = SUBPLOT_WSPACE * default_width;
        let gaps = vec![default_gap; figure.panels.len() - 1];
        let default = Margins {
            left: layout.width * SUBPLOT_LEFT,
            right: layout.width * (1.0 - SUBPLOT_RIGHT),
            top: layout.height * (1.0 - SUBPLOT_TOP),
            bottom: layout.height * SUBPLOT_BOTTOM,
        };
        layout.place(figure, &views, default, &gaps);
        let needs: Vec<Margins> = layout.panels.iter().map(|p| layout.needs(p)).collect();
        let gaps: Vec<f64> = needs
            .windows(2)
            .map(|w| default_gap.max(w[0].right + w[1].left))
            .collect();
        let margins = Margins {
            left: default.left.max(needs[0].left),
            right: default.right.max(needs[needs.len() - 1].right),
            top: needs.iter().map(|n| n.top).fold(default.top, f64::max),
            bottom: needs
                .iter()
                .map(|n| n.bottom)
                .fold(default.bottom, f64::max),
        };
        layout.place(figure, &views, margins, &gaps);
        let font = layout.font();
        let too_small = layout
            .panels
            .iter()
            .any(|p| p.rect.width() < 2.0 * font || p.rect.height() < 2.0 * font);
        if too_small {
            return Err(PlotError::FigureTooSmall {
                width: figure.width,
                height: figure.height,
                panels: figure.panels.len(),
            });
        }
        Ok(layout)
    }

    /// Places the axes boxes with these margins around the figure and gaps between panels, and
    /// sets each panel's ticks for its size.
    fn place(&mut self, figure: &'a Figure, views: &[Views], margins: Margins, gaps: &[f64]) {
        let Margins {
            left,
            right,
            top,
            bottom,
        } = margins;
        let n = figure.panels.len() as f64;
        let panel_width = (self.width - left - right - gaps.iter().sum::<f64>()) / n;
        let frame = FRAME_WIDTH * self.pt;
        let mut x = left;
        self.panels.clear();
        for (i, (chart, view)) in figure.panels.iter().zip(views).enumerate() {
            let rect = Rect {
                left: snap(x, frame),
                top: snap(top, frame),
                right: snap(x + panel_width, frame),
                bottom: snap(self.height - bottom, frame),
            };
            x += panel_width + gaps.get(i).copied().unwrap_or(0.0);
            self.panels.push(Panel {
                chart,
                rect,
                x: Axis::new(view.x, rect.width(), self.pt, true, chart.whole_x),
                y: Axis::new(view.y, rect.height(), self.pt, false, false),
            });
        }
    }

    /// The size of tick labels, axis labels and legend text, in pixels.
    pub fn font(&self) -> f64 {
        FONT_SIZE * self.pt
    }

    /// The size of the title, in pixels.
    pub fn title_font(&self) -> f64 {
        TITLE_SIZE * self.pt
    }

    /// How far tick labels sit from the axes box: tick length plus padding.
    fn tick_out(&self) -> f64 {
        (TICK_LENGTH + TICK_PAD) * self.pt
    }

    /// Where a panel's text goes.
    pub fn text_positions(&self, panel: &Panel) -> TextPositions {
        let font = self.font();
        let (ascent, descent) = (self.text.ascent * font, self.text.descent * font);
        let rect = panel.rect;
        let x_ticks_bottom = rect.bottom + self.tick_out() + ascent + descent;
        let y_ticks_left = rect.left - self.tick_out() - panel.y.widest_label(font);
        TextPositions {
            x_tick_baseline: rect.bottom + self.tick_out() + ascent,
            y_tick_right: rect.left - self.tick_out(),
            y_tick_shift: ascent / 2.0,
            x_label_baseline: x_ticks_bottom + LABEL_PAD * self.pt + ascent,
            y_label_baseline: y_ticks_left - LABEL_PAD * self.pt - descent,
            x_multiplier_baseline: x_ticks_bottom + MULTIPLIER_PAD * self.pt + ascent,
            y_multiplier_baseline: rect.top - MULTIPLIER_PAD * self.pt,
            title_baseline: rect.top - TITLE_PAD * self.pt,
        }
    }

    /// The room a panel's ticks, labels and title take outside its axes box.
    fn needs(&self, panel: &Panel) -> Margins {
        let font = self.font();
        let line = self.text.height() * font;
        let outer = OUTER_PAD * self.pt;
        let chart = panel.chart;
        let y_label = if chart.y_label.is_empty() {
            0.0
        } else {
            LABEL_PAD * self.pt + line
        };
        let x_label = if chart.x_label.is_empty() {
            0.0
        } else {
            LABEL_PAD * self.pt + line
        };
        let x_multiplier = panel
            .x
            .labels
            .multiplier
            .as_ref()
            .map_or(0.0, |_| MULTIPLIER_PAD * self.pt + line);
        let title = if chart.title.is_empty() {
            0.0
        } else {
            TITLE_PAD * self.pt + self.text.ascent * self.title_font()
        };
        let y_multiplier = panel
            .y
            .labels
            .multiplier
            .as_ref()
            .map_or(0.0, |_| MULTIPLIER_PAD * self.pt + self.text.ascent * font);
        let last_x_label = panel
            .x
            .labels
            .text
            .last()
            .map_or(0.0, |t| text_width(t, font));
        let outside_legend = match chart.legend {
            crate::Legend::Outside => self
                .legend_size(&chart.legend_entries())
                .map_or(0.0, |(width, _)| LEGEND_AXES_PAD * font + width),
            _ => 0.0,
        };
        Margins {
            left: self.tick_out() + panel.y.widest_label(font) + y_label + outer,
            right: (last_x_label / 2.0).max(outside_legend) + outer,
            top: title.max(y_multiplier) + outer,
            bottom: self.tick_out() + line + x_label.max(x_multiplier) + outer,
        }
    }

    /// The legend of a panel, placed as its chart asks; `None` when it has no legend.
    pub fn legend<'p>(&self, panel: &Panel<'p>) -> Option<LegendBox<'p>> {
        let entries = panel.chart.legend_entries();
        let (width, height) = self.legend_size(&entries)?;
        let em = self.font();
        let row_height = self.text.height() * em;
        let pad = LEGEND_AXES_PAD * em;
        let area = panel.rect;
        let (left, right) = (area.left + pad, area.right - pad - width);
        let (top, bottom) = (area.top + pad, area.bottom - pad - height);
        let centre_x = (area.left + area.right - width) / 2.0;
        let centre_y = (area.top + area.bottom - height) / 2.0;
        use crate::Legend::{LowerLeft, LowerRight, Outside, UpperLeft, UpperRight};
        // Matplotlib's order of preference for "best"; the first of the least covered wins.
        let best = [
            (right, top),
            (left, top),
            (left, bottom),
            (right, bottom),
            (right, centre_y),
            (left, centre_y),
            (centre_x, bottom),
            (centre_x, top),
            (centre_x, centre_y),
        ];
        let at = |(x, y): (f64, f64)| Rect {
            left: x,
            top: y,
            right: x + width,
            bottom: y + height,
        };
        let rect = match panel.chart.legend {
            UpperLeft => at((left, top)),
            UpperRight => at((right, top)),
            LowerLeft => at((left, bottom)),
            LowerRight => at((right, bottom)),
            Outside => at((area.right + pad, area.top)),
            _ => best
                .iter()
                .map(|&corner| at(corner))
                .min_by_key(|r| covered(panel, r))
                .unwrap_or_else(|| at((left, top))),
        };
        let inner_left = rect.left + LEGEND_BORDER_PAD * em;
        let rows = entries
            .into_iter()
            .enumerate()
            .map(|(i, (color, series))| {
                let row_top = rect.top
                    + LEGEND_BORDER_PAD * em
                    + i as f64 * (row_height + LEGEND_ROW_SPACING * em);
                LegendRow {
                    series,
                    color,
                    handle: (inner_left, inner_left + LEGEND_HANDLE_LENGTH * em),
                    baseline: row_top + self.text.ascent * em,
                    text_x: inner_left + (LEGEND_HANDLE_LENGTH + LEGEND_HANDLE_TEXT_PAD) * em,
                }
            })
            .collect();
        Some(LegendBox { rect, rows })
    }

    /// The width and height of a legend frame holding `entries`, in pixels; `None` for none.
    fn legend_size(&self, entries: &[(usize, &Series)]) -> Option<(f64, f64)> {
        if entries.is_empty() {
            return None;
        }
        let em = self.font();
        let widest = entries
            .iter()
            .map(|(_, s)| text_width(&s.label, em))
            .fold(0.0, f64::max);
        let rows = entries.len() as f64;
        let width =
            em * (2.0 * LEGEND_BORDER_PAD + LEGEND_HANDLE_LENGTH + LEGEND_HANDLE_TEXT_PAD) + widest;
        let height = 2.0 * LEGEND_BORDER_PAD * em
            + rows * self.text.height() * em
            + (rows - 1.0) * LEGEND_ROW_SPACING * em;
        Some((width, height))
    }

    /// The height of a legend handle in pixels: a bar handle's, twice a line handle's height
    /// above the baseline.
    pub fn legend_handle_height(&self) -> f64 {
        LEGEND_HANDLE_HEIGHT * self.font()
    }
}

/// How much data a legend at `rect` would hide: the points inside it, plus one for each line
/// crossing it and each bar under it.
fn covered(panel: &Panel, rect: &Rect) -> usize {
    let mut count = 0;
    for series in &panel.chart.series {
        for run in panel.runs(series) {
            count += run.iter().filter(|p| rect.contains(**p)).count();
            if series.style == Style::Line && run.windows(2).any(|s| rect.meets_segment(s[0], s[1]))
            {
                count += 1;
            }
        }
        count += panel
            .bars(series)
            .iter()
            .filter(|b| b.overlaps(rect))
            .count();
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_meet_rectangles() {
        let r = Rect {
            left: 0.0,
            top: 0.0,
            right: 10.0,
            bottom: 10.0,
        };
        assert!(r.meets_segment((-5.0, 5.0), (15.0, 5.0)));
        assert!(r.meets_segment((5.0, 5.0), (6.0, 6.0)));
        assert!(!r.meets_segment((-5.0, -5.0), (-1.0, 20.0)));
        assert!(!r.meets_segment((11.0, 0.0), (20.0, -9.0)));
    }

    #[test]
    fn snapping_puts_odd_lines_on_pixel_centres() {
        assert_eq!(snap(80.0, 1.11), 80.5);
        assert_eq!(snap(57.6, 1.11), 57.5);
        assert_eq!(snap(57.6, 2.2), 58.0);
    }
}
