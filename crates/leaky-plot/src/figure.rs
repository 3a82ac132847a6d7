//! A figure: one or more charts side by side, and the ways to output it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Chart, PlotError, raster, svg, terminal};

/// The smallest figure width or height accepted, in pixels at scale 1.
pub const MIN_SIDE: u32 = 32;
/// The largest image width or height, in pixels after scaling.
pub const MAX_SIDE: u32 = 10_000;
/// The smallest pixel density accepted.
pub const MIN_SCALE: f64 = 0.1;
/// The largest pixel density accepted.
pub const MAX_SCALE: f64 = 10.0;

/// Charts drawn side by side in one image, laid out like matplotlib's `plt.subplots(1, n)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// The charts, left to right.
    pub panels: Vec<Chart>,
    /// Width in pixels at scale 1 (matplotlib's 100 dpi: 640 is its default 6.4 in).
    pub width: u32,
    /// Height in pixels at scale 1 (480 is matplotlib's default 4.8 in).
    pub height: u32,
    /// Pixel density of the PNG: 1.0 draws at 100 dpi, 2.0 at 200 dpi with the same layout.
    pub scale: f64,
}

impl Figure {
    /// A figure of `panels` at matplotlib's default size: 640x480 per panel, scale 1.
    pub fn new(panels: Vec<Chart>) -> Self {
        let n = panels.len().max(1) as u32;
        Self {
            panels,
            width: (640 * n).min(MAX_SIDE),
            height: 480,
            scale: 1.0,
        }
    }

    /// The figure as an SVG document, `width` x `height` user units, text in DejaVu Sans.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        svg::render(self, 1.0)
    }

    /// The figure as a PNG image of `width·scale` x `height·scale` pixels, rendered with the
    /// embedded font only, so it is the same on every machine.
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        raster::render_png(self)
    }

    /// A text preview for a terminal, `cols` characters wide and `rows` lines high, panels side
    /// by side. One series is drawn in braille dots; several get one marker character each.
    pub fn to_terminal(&self, cols: usize, rows: usize) -> Result<String, PlotError> {
        terminal::render(self, cols, rows)
    }

    /// Writes the figure to `path` as SVG or PNG, chosen by its extension (any case). The file is
    /// written to a temporary file in the same directory and renamed into place, so `path` is
    /// never left half written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let bytes = match extension.as_deref() {
            Some("svg") => self.to_svg()?.into_bytes(),
            Some("png") => self.to_png()?,
            _ => {
                return Err(PlotError::UnsupportedFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        write_atomically(path, &bytes)
    }

    /// Checks that there is something to draw: panels, and finite points in each.
    pub(crate) fn validate_data(&self) -> Result<(), PlotError> {
        if self.panels.is_empty() {
            return Err(PlotError::NoPanels);
        }
        for (panel, chart) in self.panels.iter().enumerate() {
            for series in &chart.series {
                series.validate()?;
            }
            if chart.extent().is_none() {
                return Err(PlotError::NoData {
                    panel,
                    title: chart.title.clone(),
                });
            }
        }
        Ok(())
    }

    /// Checks the size and scale, and the data.
    pub(crate) fn validate(&self) -> Result<(), PlotError> {
        let side_ok = |side: u32| {
            (MIN_SIDE..=MAX_SIDE).contains(&side)
                && f64::from(side) * self.scale <= f64::from(MAX_SIDE)
        };
        if !((MIN_SCALE..=MAX_SCALE).contains(&self.scale)
            && side_ok(self.width)
            && side_ok(self.height))
        {
            return Err(PlotError::InvalidSize {
                width: self.width,
                height: self.height,
                scale: self.scale,
            });
        }
        self.validate_data()
    }
}

impl From<Chart> for Figure {
    fn from(chart: Chart) -> Self {
        Self::new(vec![chart])
    }
}

/// Writes `bytes` to a new temporary file beside `path`, then renames it to `path`; removes the
/// temporary file if anything fails.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let io_error = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        io_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path does not name a file",
        ))
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp: PathBuf = path.with_file_name(temp_name);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(io_error)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let written = written.and_then(|()| fs::rename(&temp, path));
    if let Err(source) = written {
        // Best effort: the error to report is the one that stopped the write.
        let _ = fs::remove_file(&temp);
        return Err(io_error(source));
    }
    Ok(())
}
