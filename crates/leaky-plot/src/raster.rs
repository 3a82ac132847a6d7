//! PNG output: the SVG rasterised by resvg (anti-aliased, sub-pixel precise) with the embedded
//! font as the only font, so images are the same on every machine.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::font::{FAMILY, FONT};
use crate::{Figure, PlotError, svg};

/// A font database holding only the embedded font, also answering for "sans-serif".
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_font_data(FONT.to_vec());
            db.set_sans_serif_family(FAMILY);
            Arc::new(db)
        })
        .clone()
}

/// The figure as a PNG of `width·scale` x `height·scale` pixels.
pub fn render_png(figure: &Figure) -> Result<Vec<u8>, PlotError> {
    let document = svg::render(figure, figure.scale)?;
    let options = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree =
        usvg::Tree::from_str(&document, &options).map_err(|e| PlotError::Render(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).ok_or_else(|| {
        PlotError::Render(format!(
            "cannot allocate a {}x{} image",
            size.width(),
            size.height()
        ))
    })?;
    resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| PlotError::Render(e.to_string()))
}
