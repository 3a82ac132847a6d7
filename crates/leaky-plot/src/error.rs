//! The one error type of the crate: every message says what was wrong and how to fix it.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What went wrong when building or drawing a figure.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlotError {
    /// The figure has no panels.
    NoPanels,
    /// A panel has no finite point to draw.
    NoData {
        /// The panel's position in the figure, from 0.
        panel: usize,
        /// The panel's title.
        title: String,
    },
    /// The figure's size or scale is zero, negative, non-finite or too large.
    InvalidSize {
        /// The requested width in pixels at scale 1.
        width: u32,
        /// The requested height in pixels at scale 1.
        height: u32,
        /// The requested pixel density.
        scale: f64,
    },
    /// The figure is too small for its panels, their ticks and labels.
    FigureTooSmall {
        /// The figure's width in pixels at scale 1.
        width: u32,
        /// The figure's height in pixels at scale 1.
        height: u32,
        /// The number of panels.
        panels: usize,
    },
    /// A series or histogram cannot be built or drawn as given.
    InvalidSeries {
        /// The series' label.
        label: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The data of a panel spans more than an `f64` can represent.
    RangeTooLarge {
        /// The panel's position in the figure, from 0.
        panel: usize,
        /// `'x'` or `'y'`.
        axis: char,
    },
    /// The terminal area is too small to draw the figure, or absurdly large.
    TerminalSize {
        /// The columns given.
        cols: usize,
        /// The rows given.
        rows: usize,
        /// The fewest columns that work for this figure.
        min_cols: usize,
        /// The fewest rows that work for this figure.
        min_rows: usize,
    },
    /// The file name does not end in `.svg` or `.png`.
    UnsupportedFormat {
        /// The path as given.
        path: PathBuf,
    },
    /// Writing the file failed.
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Rasterising the SVG failed (a bug in this crate if it ever happens).
    Render(String),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPanels => write!(f, "the figure has no panels: add at least one chart"),
            Self::NoData { panel, title } => write!(
                f,
                "panel {panel} ({title:?}) has no finite point to draw: give it a series with at least one point whose x and y are finite"
            ),
            Self::InvalidSize {
                width,
                height,
                scale,
            } => write!(
                f,
                "invalid figure size {width}x{height} px at scale {scale}: width and height must be {}..={} px, scale {}..={}, and the image at most {} px a side",
                crate::figure::MIN_SIDE,
                crate::figure::MAX_SIDE,
                crate::figure::MIN_SCALE,
                crate::figure::MAX_SCALE,
                crate::figure::MAX_SIDE,
            ),
            Self::FigureTooSmall {
                width,
                height,
                panels,
            } => write!(
                f,
                "a {width}x{height} px figure is too small for {panels} panel(s) with their ticks and labels: make it larger"
            ),
            Self::InvalidSeries { label, reason } => write!(f, "series {label:?}: {reason}"),
            Self::RangeTooLarge { panel, axis } => write!(
                f,
                "the {axis} data of panel {panel} spans more than an f64 can represent: drop the extreme values"
            ),
            Self::TerminalSize {
                cols,
                rows,
                min_cols,
                min_rows,
            } => write!(
                f,
                "cannot draw this figure in {cols}x{rows} characters: it needs {min_cols}..={max} columns and {min_rows}..={max} rows",
                max = crate::terminal::MAX_SIDE,
            ),
            Self::UnsupportedFormat { path } => write!(
                f,
                "cannot tell the image format of {}: the file name must end in .svg or .png",
                path.display()
            ),
            Self::Io { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Self::Render(message) => write!(f, "cannot rasterise the figure: {message}"),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
