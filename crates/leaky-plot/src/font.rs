//! The embedded font (DejaVu Sans, matplotlib's default) and the text measurements layout needs.

use skrifa::prelude::{FontRef, LocationRef, MetadataProvider, Size};

/// DejaVu Sans 2.37 cut to Latin, Greek and a few symbols; see `fonts/README.md`.
pub const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");

/// The family name the SVG asks for, which the embedded font provides.
pub const FAMILY: &str = "DejaVu Sans";

fn font() -> FontRef<'static> {
    FontRef::new(FONT).expect("the embedded font is a valid TrueType file")
}

/// A character the embedded font has, standing in for a common one it lacks: primes and curly
/// quotes become ASCII quotes, hyphens and bullets their Latin-1 forms. Others are unchanged.
pub fn stand_in(c: char) -> char {
    match c {
        '\u{2032}' | '\u{2018}' | '\u{2019}' | '\u{201a}' => '\'',
        '\u{2033}' | '\u{201c}' | '\u{201d}' | '\u{201e}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' => '-',
        '\u{2022}' | '\u{22c5}' => '\u{b7}',
        c => c,
    }
}

/// The advance width of `text` in pixels at `size` pixels per em, without kerning.
pub fn text_width(text: &str, size: f64) -> f64 {
    let font = font();
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size as f32), LocationRef::default());
    text.chars()
        .map(|c| {
            let glyph = charmap.map(stand_in(c)).unwrap_or_default();
            f64::from(metrics.advance_width(glyph).unwrap_or(0.0))
        })
        .sum()
}

/// How far a line of text reaches above and below its baseline, as fractions of the font size.
/// Matplotlib aligns text by the ink of "lp": the top of `l` and the bottom of `p`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineExtent {
    /// Height of `l` above the baseline.
    pub ascent: f64,
    /// Depth of `p` below the baseline, positive.
    pub descent: f64,
}

impl LineExtent {
    /// The extent of DejaVu Sans.
    pub fn get() -> Self {
        let font = font();
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let em = f64::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let bounds = |c: char| {
            charmap
                .map(c)
                .and_then(|g| metrics.bounds(g))
                .unwrap_or_default()
        };
        Self {
            ascent: f64::from(bounds('l').y_max) / em,
            descent: -f64::from(bounds('p').y_min) / em,
        }
    }

    /// The height of a line, top of `l` to bottom of `p`, in fractions of the font size.
    pub fn height(self) -> f64 {
        self.ascent + self.descent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_measures_like_dejavu_sans() {
        // DejaVu Sans: 2048 units per em, digits 1303 wide, 'l' 1556 high, 'p' 426 deep.
        let digit = 1303.0 / 2048.0 * 20.0;
        assert!((text_width("10", 20.0) - 2.0 * digit).abs() < 1e-3);
        assert!((text_width("\u{2212}", 10.0) - text_width("+", 10.0)).abs() < 1e-3);
        assert_eq!(text_width("f\u{2032}", 10.0), text_width("f'", 10.0));
        let e = LineExtent::get();
        assert!((e.ascent - 1556.0 / 2048.0).abs() < 1e-6, "{e:?}");
        assert!((e.descent - 426.0 / 2048.0).abs() < 1e-6, "{e:?}");
    }
}
