//! A text preview of a figure for terminals: panels side by side, each with its title, y label,
//! the data between the axis limits written at the ends of the axes, and a legend line. A single
//! series is drawn in braille dots (2x4 per character); several get one marker character each,
//! so they stay apart without colour.

use crate::chart::{Chart, Style, Views};
use crate::ticks;
use crate::{Figure, PlotError};

/// The marker characters of series 1, 2, 3, ... when a panel has several.
const MARKERS: [char; 8] = ['*', '+', 'o', 'x', '#', '%', '@', '='];
/// The legend marker of a series drawn in braille.
const BRAILLE_MARKER: char = '⣿';
/// The most columns or rows accepted.
pub const MAX_SIDE: usize = 1000;
/// Spaces between panels.
const GAP: usize = 3;
/// The fewest characters across the data area.
const MIN_PLOT_COLS: usize = 8;
/// The fewest lines in the data area.
const MIN_PLOT_ROWS: usize = 2;

/// The figure in `cols` x `rows` characters, lines separated by `\n`, trailing spaces trimmed.
pub fn render(figure: &Figure, cols: usize, rows: usize) -> Result<String, PlotError> {
    figure.validate_data()?;
    let panels: Vec<Panel> = figure
        .panels
        .iter()
        .enumerate()
        .map(|(i, chart)| Panel::new(i, chart))
        .collect::<Result<_, _>>()?;
    let n = panels.len();
    let min_cols = panels.iter().map(Panel::min_cols).max().unwrap_or(0) * n + GAP * (n - 1);
    let min_rows = panels.iter().map(Panel::min_rows).max().unwrap_or(0);
    if !(min_cols..=MAX_SIDE).contains(&cols) || !(min_rows..=MAX_SIDE).contains(&rows) {
        return Err(PlotError::TerminalSize {
            cols,
            rows,
            min_cols,
            min_rows,
        });
    }
    let panel_cols = (cols - GAP * (n - 1)) / n;
    let drawn: Vec<Vec<String>> = panels.iter().map(|p| p.draw(panel_cols, rows)).collect();
    let mut out = String::new();
    for row in 0..rows {
        let line: Vec<String> = drawn
            .iter()
            .map(|lines| pad(&lines[row], panel_cols))
            .collect();
        out.push_str(line.join(&" ".repeat(GAP)).trim_end());
        out.push('\n');
    }
    Ok(out)
}

/// A panel's data range and axis texts, ready to draw at any size.
struct Panel<'a> {
    chart: &'a Chart,
    x: (f64, f64),
    y: (f64, f64),
    /// Labels of the low and high ends of each axis, and the axis titles with any multiplier.
    x_ends: (String, String),
    y_ends: (String, String),
    x_title: String,
    y_title: String,
}

impl<'a> Panel<'a> {
    fn new(index: usize, chart: &'a Chart) -> Result<Self, PlotError> {
        let Views { x, y } = chart.views(index, 0.0)?;
        let (x_ends, x_title) = ends(x, &chart.x_label);
        let (y_ends, y_title) = ends(y, &chart.y_label);
        Ok(Self {
            chart,
            x,
            y,
            x_ends,
            y_ends,
            x_title,
            y_title,
        })
    }

    fn label_width(&self) -> usize {
        width(&self.y_ends.0).max(width(&self.y_ends.1))
    }

    fn has_legend(&self) -> bool {
        !self.chart.legend_entries().is_empty()
    }

    fn min_cols(&self) -> usize {
        self.label_width() + 1 + MIN_PLOT_COLS
    }

    /// Title, y title, data, axis line, x labels, and the legend line if any.
    fn min_rows(&self) -> usize {
        4 + MIN_PLOT_ROWS + usize::from(self.has_legend())
    }

    fn draw(&self, cols: usize, rows: usize) -> Vec<String> {
        let label_width = self.label_width();
        let plot_cols = cols - label_width - 1;
        let plot_rows = rows + MIN_PLOT_ROWS - self.min_rows();
        let braille = self.chart.series.len() == 1;
        let grid = self.grid(plot_cols, plot_rows, braille);
        let mut lines = vec![
            centre(&self.chart.title, cols),
            truncate(&self.y_title, cols),
        ];
        for (row, cells) in grid.into_iter().enumerate() {
            let (label, axis) = match row {
                0 => (self.y_ends.1.as_str(), '┤'),
                r if r + 1 == plot_rows => (self.y_ends.0.as_str(), '┤'),
                _ => ("", '│'),
            };
            lines.push(format!("{label:>label_width$}{axis}{cells}"));
        }
        lines.push(format!(
            "{}└{}",
            " ".repeat(label_width),
            "─".repeat(plot_cols)
        ));
        lines.push(format!(
            "{} {}",
            " ".repeat(label_width),
            self.x_labels(plot_cols)
        ));
        if self.has_legend() {
            let entries: Vec<String> = self
                .chart
                .legend_entries()
                .iter()
                .map(|(i, s)| {
                    let marker = if braille {
                        BRAILLE_MARKER
                    } else {
                        MARKERS[i % MARKERS.len()]
                    };
                    format!("{marker} {}", s.label)
                })
                .collect();
            lines.push(truncate(&entries.join("   "), cols));
        }
        lines
    }

    /// The low and high x labels at the ends of the axis, the x title centred between them when
    /// it fits.
    fn x_labels(&self, cols: usize) -> String {
        let mut line: Vec<char> = vec![' '; cols];
        let mut put = |start: usize, text: &str| {
            for (i, c) in text.chars().enumerate() {
                if let Some(cell) = line.get_mut(start + i) {
                    *cell = c;
                }
            }
        };
        let (lo, hi) = (&self.x_ends.0, &self.x_ends.1);
        put(0, lo);
        put(cols.saturating_sub(width(hi)), hi);
        let title = width(&self.x_title);
        let free = cols.saturating_sub(width(lo) + width(hi));
        if title > 0 && title + 2 <= free {
            put(width(lo) + (free - title) / 2, &self.x_title);
        }
        line.into_iter().collect()
    }

    /// The data area as text lines: braille dots, or each series' marker per character.
    fn grid(&self, cols: usize, rows: usize, braille: bool) -> Vec<String> {
        let (sx, sy) = if braille { (2, 4) } else { (1, 1) };
        let mut canvas = Canvas::new(cols * sx, rows * sy, self.x, self.y);
        for (i, series) in self.chart.series.iter().enumerate() {
            let mark = series.color_index(i) + 1;
            match series.style {
                // A band's light fill has no character of its own: the preview leaves it out.
                Style::Band => {}
                Style::Cells { width, height } => {
                    for (x, y) in series.finite_points() {
                        let (left, top) = canvas.to_dot(x - width / 2.0, y + height / 2.0);
                        let (right, bottom) = canvas.to_dot(x + width / 2.0, y - height / 2.0);
                        for col in left..=right {
                            canvas.segment((col, top), (col, bottom), mark);
                        }
                    }
                }
                Style::Line => {
                    let mut previous = None;
                    for &(x, y) in &series.points {
                        if !(x.is_finite() && y.is_finite()) {
                            previous = None;
                            continue;
                        }
                        let here = canvas.to_dot(x, y);
                        canvas.segment(previous.unwrap_or(here), here, mark);
                        previous = Some(here);
                    }
                }
                Style::Markers => {
                    for (x, y) in series.finite_points() {
                        let dot = canvas.to_dot(x, y);
                        canvas.set(dot, mark);
                    }
                }
                Style::Bars { width } => {
                    for (x, y) in series.finite_points() {
                        let (left, top) = canvas.to_dot(x - width / 2.0, y.max(0.0));
                        let (right, bottom) = canvas.to_dot(x + width / 2.0, y.min(0.0));
                        for col in left..=right {
                            canvas.segment((col, top), (col, bottom), mark);
                        }
                    }
                }
            }
        }
        (0..rows)
            .map(|row| {
                (0..cols)
                    .map(|col| {
                        if braille {
                            canvas.braille(col, row)
                        } else {
                            match canvas.get(col, row) {
                                0 => ' ',
                                mark => MARKERS[(mark - 1) % MARKERS.len()],
                            }
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Dots in a grid, each empty (0) or holding the number of the series that set it last.
struct Canvas {
    width: usize,
    height: usize,
    x: (f64, f64),
    y: (f64, f64),
    dots: Vec<usize>,
}

impl Canvas {
    fn new(width: usize, height: usize, x: (f64, f64), y: (f64, f64)) -> Self {
        Self {
            width,
            height,
            x,
            y,
            dots: vec![0; width * height],
        }
    }

    /// The dot nearest a data point inside the view, column from the left and row from the top.
    fn to_dot(&self, x: f64, y: f64) -> (usize, usize) {
        let fraction = |v: f64, (lo, hi): (f64, f64)| ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        let col = fraction(x, self.x) * (self.width - 1) as f64;
        let row = (1.0 - fraction(y, self.y)) * (self.height - 1) as f64;
        (col.round() as usize, row.round() as usize)
    }

    fn set(&mut self, (col, row): (usize, usize), mark: usize) {
        if col < self.width && row < self.height {
            self.dots[row * self.width + col] = mark;
        }
    }

    fn get(&self, col: usize, row: usize) -> usize {
        self.dots[row * self.width + col]
    }

    /// Sets the dots along the straight segment from `a` to `b`.
    fn segment(&mut self, a: (usize, usize), b: (usize, usize), mark: usize) {
        let (dx, dy) = (b.0 as f64 - a.0 as f64, b.1 as f64 - a.1 as f64);
        let steps = dx.abs().max(dy.abs()).max(1.0) as usize;
        for k in 0..=steps {
            let t = k as f64 / steps as f64;
            let col = (a.0 as f64 + t * dx).round() as usize;
            let row = (a.1 as f64 + t * dy).round() as usize;
            self.set((col, row), mark);
        }
    }

    /// The braille character for the 2x4 dots of character cell (`col`, `row`); a space if none.
    fn braille(&self, col: usize, row: usize) -> char {
        // Unicode braille: bit of each dot, by column then row within the cell.
        const BITS: [[u32; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        let mut bits = 0;
        for (dx, column) in BITS.iter().enumerate() {
            for (dy, bit) in column.iter().enumerate() {
                if self.get(col * 2 + dx, row * 4 + dy) != 0 {
                    bits |= bit;
                }
            }
        }
        if bits == 0 {
            ' '
        } else {
            char::from_u32(0x2800 + bits).unwrap_or(' ')
        }
    }
}

/// Labels for the two ends of an axis, and the axis title with the ends' multiplier if any.
fn ends(view: (f64, f64), title: &str) -> ((String, String), String) {
    let labels = ticks::labels(&[view.0, view.1], view);
    let [lo, hi]: [String; 2] = labels.text.try_into().unwrap_or_default();
    let title = match labels.multiplier {
        Some(m) if title.is_empty() => format!("×{m}"),
        Some(m) => format!("{title} (×{m})"),
        None => title.to_string(),
    };
    ((lo, hi), title)
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn truncate(text: &str, cols: usize) -> String {
    text.chars().take(cols).collect()
}

fn pad(text: &str, cols: usize) -> String {
    format!("{text:<cols$}")
}

fn centre(text: &str, cols: usize) -> String {
    let text = truncate(text, cols);
    format!("{}{text}", " ".repeat((cols - width(&text)) / 2))
}
