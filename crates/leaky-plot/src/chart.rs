//! What a panel shows: series of points, their style, the title, axis labels and legend.

use crate::{PlotError, ticks};

/// The most bins [`Series::histogram`] accepts.
pub const MAX_BINS: usize = 10_000;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// A line through the points in order; a non-finite point breaks it.
    Line,
    /// A filled circle at each point, no line.
    Markers,
    /// A bar from y = 0 to each point's y, centred on its x, `width` wide in data units.
    Bars {
        /// The width of every bar, in x units; finite and positive.
        width: f64,
    },
    /// A filled area between two lines, light (a fifth of the colour's opacity), as
    /// matplotlib's `fill_between(..., alpha=0.2)`: the points are the polygon's outline (see
    /// [`Series::band`]).
    Band,
    /// A filled `width` x `height` rectangle centred on each point: a heatmap of the cells that
    /// are set (the others stay white).
    Cells {
        /// The width of every cell, in x units; finite and positive.
        width: f64,
        /// The height of every cell, in y units; finite and positive.
        height: f64,
    },
}

/// One set of points drawn in one colour (by default the next one of matplotlib's tab10 cycle).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The text in the legend; an empty label keeps the series out of the legend.
    pub label: String,
    /// The `(x, y)` points in drawing order; points with a NaN or infinite coordinate are skipped.
    pub points: Vec<(f64, f64)>,
    /// How the points are drawn.
    pub style: Style,
    /// Its colour as an index into the tab10 cycle (modulo 10); `None` for the series' own
    /// position in its chart. How a band takes the colour of the line it surrounds.
    pub color: Option<usize>,
}

impl Series {
    /// A line through `points`.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self::styled(label, points, Style::Line)
    }

    /// A marker at each of `points`.
    pub fn markers(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self::styled(label, points, Style::Markers)
    }

    /// The area between a low and a high line, from `(x, low, high)` triples in x order (a
    /// spread over seeds, say); triples with a non-finite value are left out.
    pub fn band(label: impl Into<String>, points: &[(f64, f64, f64)]) -> Self {
        let finite: Vec<(f64, f64, f64)> = points
            .iter()
            .copied()
            .filter(|(x, lo, hi)| x.is_finite() && lo.is_finite() && hi.is_finite())
            .collect();
        let low = finite.iter().map(|&(x, lo, _)| (x, lo));
        let high = finite.iter().rev().map(|&(x, _, hi)| (x, hi));
        Self::styled(label, low.chain(high).collect(), Style::Band)
    }

    /// A heatmap: a `width` x `height` cell centred on each of `points`.
    pub fn cells(
        label: impl Into<String>,
        points: Vec<(f64, f64)>,
        width: f64,
        height: f64,
    ) -> Self {
        Self::styled(label, points, Style::Cells { width, height })
    }

    /// The series drawn in colour `color` of the tab10 cycle (modulo 10).
    pub fn with_color(mut self, color: usize) -> Self {
        self.color = Some(color);
        self
    }

    fn styled(label: impl Into<String>, points: Vec<(f64, f64)>, style: Style) -> Self {
        Self {
            label: label.into(),
            points,
            style,
            color: None,
        }
    }

    /// A line through `f` sampled at `n` evenly spaced x from `x_min` to `x_max` inclusive, like
    /// `np.linspace(x_min, x_max, n)`: `n = 1` samples `x_min` only, `n = 0` gives no points.
    pub fn from_fn(
        label: impl Into<String>,
        x_min: f64,
        x_max: f64,
        n: usize,
        f: impl Fn(f64) -> f64,
    ) -> Self {
        let step = (x_max - x_min) / (n.max(2) - 1) as f64;
        let points = (0..n)
            .map(|i| {
                let x = if i + 1 == n && n > 1 {
                    x_max
                } else {
                    x_min + step * i as f64
                };
                (x, f(x))
            })
            .collect();
        Self::line(label, points)
    }

    /// A histogram of the finite `values` in `bins` equal bins spanning their range, drawn as
    /// touching bars like matplotlib's `hist` (a range of zero width becomes `value ± 0.5`).
    /// The last bin includes its right edge. Non-finite values are ignored.
    pub fn histogram(
        label: impl Into<String>,
        values: &[f64],
        bins: usize,
    ) -> Result<Self, PlotError> {
        let label = label.into();
        let invalid = |reason: String| PlotError::InvalidSeries {
            label: label.clone(),
            reason,
        };
        if !(1..=MAX_BINS).contains(&bins) {
            return Err(invalid(format!(
                "a histogram needs 1..={MAX_BINS} bins, not {bins}"
            )));
        }
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite
            .clone()
            .fold(None, |acc: Option<(f64, f64)>, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
            .ok_or_else(|| invalid("a histogram needs at least one finite value".into()))?;
        let (lo, hi) = if lo == hi {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        };
        let width = (hi - lo) / bins as f64;
        if !width.is_finite() || width <= 0.0 {
            return Err(invalid(format!(
                "the values span [{lo}, {hi}], too wide or too narrow for {bins} bins"
            )));
        }
        let mut counts = vec![0_u64; bins];
        for v in finite {
            let bin = (((v - lo) / width) as usize).min(bins - 1);
            counts[bin] += 1;
        }
        let points = counts
            .iter()
            .enumerate()
            .map(|(i, &count)| (lo + width * (i as f64 + 0.5), count as f64))
            .collect();
        Ok(Self::styled(label, points, Style::Bars { width }))
    }

    /// The points with both coordinates finite.
    pub(crate) fn finite_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }

    /// Checks what the constructors cannot: the bar and cell sizes.
    pub(crate) fn validate(&self) -> Result<(), PlotError> {
        let size_ok = |v: f64| v.is_finite() && v > 0.0;
        let reason = match self.style {
            Style::Bars { width } if !size_ok(width) => {
                format!("bar width must be finite and positive, not {width}")
            }
            Style::Cells { width, height } if !(size_ok(width) && size_ok(height)) => {
                format!("cell sizes must be finite and positive, not {width} x {height}")
            }
            _ => return Ok(()),
        };
        Err(PlotError::InvalidSeries {
            label: self.label.clone(),
            reason,
        })
    }

    /// Its colour's index in the tab10 cycle, given its position in its chart.
    pub(crate) fn color_index(&self, position: usize) -> usize {
        self.color.unwrap_or(position)
    }
}

/// Where a chart's legend goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Legend {
    /// At the best spot when the chart has two or more series, otherwise none.
    #[default]
    Auto,
    /// No legend.
    Hidden,
    /// The corner or edge centre that hides the fewest data points, as matplotlib's `loc="best"`.
    Best,
    /// Inside the axes, top left.
    UpperLeft,
    /// Inside the axes, top right.
    UpperRight,
    /// Inside the axes, bottom left.
    LowerLeft,
    /// Inside the axes, bottom right.
    LowerRight,
    /// Outside the axes, right of them at the top: it hides no data (the figure's right margin,
    /// or the gap to the next panel, widens to hold it).
    Outside,
}

/// One panel: a pair of axes with its series, title, axis labels and legend.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    /// The text above the axes.
    pub title: String,
    /// The text under the x axis.
    pub x_label: String,
    /// The text left of the y axis, written upwards.
    pub y_label: String,
    /// The series, drawn in order, coloured by matplotlib's tab10 cycle.
    pub series: Vec<Series>,
    /// Where the legend goes, if anywhere; only labelled series appear in it.
    pub legend: Legend,
    /// Ticks only at whole numbers on the x axis (an axis of epochs, say): 1 and 2, not 1.0, 1.2,
    /// ..., 2.0.
    pub whole_x: bool,
}

/// The smallest box holding a chart's finite points (and bar extents), and whether bars want the
/// y range to stop at 0 rather than add a margin beyond it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Extent {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub has_bars: bool,
}

/// The data intervals a chart's axes show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Views {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Chart {
    /// A chart with no series yet and an automatic legend.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            legend: Legend::Auto,
            whole_x: false,
        }
    }

    /// The chart with ticks only at whole numbers on its x axis.
    pub fn with_whole_x(mut self) -> Self {
        self.whole_x = true;
        self
    }

    /// The chart with `series` added after the others.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// The series that appear in the legend, with their colour's index in the tab10 cycle;
    /// empty when the legend is hidden.
    pub(crate) fn legend_entries(&self) -> Vec<(usize, &Series)> {
        let shown = match self.legend {
            Legend::Hidden => false,
            Legend::Auto => self.series.len() > 1,
            _ => true,
        };
        if !shown {
            return Vec::new();
        }
        self.series
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.label.is_empty())
            .map(|(i, s)| (s.color_index(i), s))
            .collect()
    }

    /// The extent of the finite data, or `None` when there is none.
    pub(crate) fn extent(&self) -> Option<Extent> {
        let mut extent: Option<Extent> = None;
        for series in &self.series {
            let (half, half_y, bars) = match series.style {
                Style::Bars { width } => (width / 2.0, 0.0, true),
                Style::Cells { width, height } => (width / 2.0, height / 2.0, false),
                _ => (0.0, 0.0, false),
            };
            for (x, y) in series.finite_points() {
                let (y0, y1) = if bars {
                    (y.min(0.0), y.max(0.0))
                } else {
                    (y - half_y, y + half_y)
                };
                let e = extent.get_or_insert(Extent {
                    x: (x - half, x + half),
                    y: (y0, y1),
                    has_bars: false,
                });
                e.x = (e.x.0.min(x - half), e.x.1.max(x + half));
                e.y = (e.y.0.min(y0), e.y.1.max(y1));
                e.has_bars |= bars;
            }
        }
        extent
    }

    /// The axes' intervals: the data widened by `margin` of its range on each side, except that
    /// bars keep standing on y = 0. `index` is the chart's panel, for error messages.
    pub(crate) fn views(&self, index: usize, margin: f64) -> Result<Views, PlotError> {
        let extent = self.extent().ok_or_else(|| PlotError::NoData {
            panel: index,
            title: self.title.clone(),
        })?;
        let sticky = extent.has_bars.then_some(0.0);
        let too_large = |axis| PlotError::RangeTooLarge { panel: index, axis };
        Ok(Views {
            x: ticks::view_limits(extent.x.0, extent.x.1, margin, None)
                .ok_or_else(|| too_large('x'))?,
            y: ticks::view_limits(extent.y.0, extent.y.1, margin, sticky)
                .ok_or_else(|| too_large('y'))?,
        })
    }
}
