//! Line charts at matplotlib quality, with no system fonts needed: SVG written here, PNG
//! rasterised by resvg with an embedded DejaVu Sans, and a text preview for terminals.
//!
//! The defaults are matplotlib's: a 640x480 figure (6.4x4.8 in at 100 dpi), the tab10 colours,
//! 1.5 pt lines, 5% data margins, ticks at 1, 2, 2.5 or 5 × 10^k with a real minus sign, and a
//! legend where it hides the least data. The crate takes plain data: `(x, y)` points.
//!
//! ```
//! use leaky_plot::{Chart, Figure, Series};
//!
//! let leaky_relu = |x: f64| if x > 0.0 { x } else { 0.01 * x };
//! let chart = Chart::new("Leaky ReLU Activation Function", "x", "f(x)")
//!     .with_series(Series::from_fn("leaky_relu", -2.0, 2.0, 100, leaky_relu));
//! let figure = Figure::from(chart);
//! let svg = figure.to_svg()?;
//! assert!(svg.contains("Leaky ReLU Activation Function"));
//! let png = figure.to_png()?;
//! assert_eq!(&png[1..4], b"PNG");
//! println!("{}", figure.to_terminal(60, 16)?);
//! # Ok::<(), leaky_plot::PlotError>(())
//! ```

mod chart;
mod error;
mod figure;
mod font;
mod layout;
mod raster;
mod svg;
mod terminal;
mod ticks;

pub use chart::{Chart, Legend, MAX_BINS, Series, Style};
pub use error::PlotError;
pub use figure::{Figure, MAX_SCALE, MAX_SIDE, MIN_SCALE, MIN_SIDE};
