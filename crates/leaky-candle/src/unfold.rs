//! `unfold` and `fold`: one image's patches as the columns of a matrix, and back, so that a
//! convolution and a transposed convolution are matrix products.
//!
//! For an image of C channels, H×W, a K×K kernel, stride S and zero padding P, the output is
//! Ho×Wo with `Ho = (H + 2P - K) / S + 1` (and `Wo` alike), and
//!
//! ```text
//! unfold(x)[(c, ky, kx), (oy, ox)] = x[c, oy·S + ky - P, ox·S + kx - P]     (0 outside the image)
//! fold(m)[c, y, x] += Σ m[(c, ky, kx), (oy, ox)] over oy·S + ky - P = y, ox·S + kx - P = x
//! ```
//!
//! The columns are `(C·K·K, Ho·Wo)`, row-major: one row per kernel tap, one column per output
//! pixel, so that `W · unfold(x)` with `W` as `(C_out, C·K·K)` is the convolution's output in
//! the images' own layout `(C_out, Ho, Wo)`, with no transposition. `fold` is the adjoint of
//! `unfold`. Both work on a band of output rows at a time (the columns `(C·K·K, rows·Wo)` of
//! those rows), so that a large image's columns need not fit in memory at once and a band's
//! stay in cache. Each row is copied a run of pixels at a time, not element by element (at a
//! stride S > 1 from the input rows split into their S phases first), and only the padding is
//! written as zeros.

use std::ops::Range;

use candle_core::WithDType;

use crate::scratch::{Scratch, with_scratch};

/// The shape of a square-kernel convolution over one image `(C, H, W)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geometry {
    /// Channels C of the image.
    pub(crate) channels: usize,
    /// Image height H.
    pub(crate) height: usize,
    /// Image width W.
    pub(crate) width: usize,
    /// Kernel side K.
    pub(crate) kernel: usize,
    /// Stride S (at least 1).
    pub(crate) stride: usize,
    /// Zero padding P on every side.
    pub(crate) padding: usize,
}

impl Geometry {
    /// Whether the kernel fits the padded image and the stride is positive.
    pub(crate) fn is_valid(&self) -> bool {
        self.stride > 0
            && self.kernel > 0
            && self.height + 2 * self.padding >= self.kernel
            && self.width + 2 * self.padding >= self.kernel
    }

    /// The output height `(H + 2P - K) / S + 1`.
    pub(crate) fn out_height(&self) -> usize {
        (self.height + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// The output width `(W + 2P - K) / S + 1`.
    pub(crate) fn out_width(&self) -> usize {
        (self.width + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Pixels of the output, the columns' width `Ho·Wo`.
    pub(crate) fn out_pixels(&self) -> usize {
        self.out_height() * self.out_width()
    }

    /// Kernel taps, the columns' height `C·K·K`.
    pub(crate) fn taps(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Elements of one image, `C·H·W`.
    pub(crate) fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// For kernel offset `k` along an axis of `len` input and `out` output pixels: the output
    /// range `lo..hi` whose input index `o·S + k - P` falls inside `0..len`.
    fn inside(&self, k: usize, len: usize, out: usize) -> (usize, usize) {
        let (s, p) = (self.stride, self.padding);
        let lo = p.saturating_sub(k).div_ceil(s).min(out);
        let hi = (len + p).saturating_sub(k).div_ceil(s).clamp(lo, out);
        (lo, hi)
    }

    /// How many output rows a band holds so that its columns (`C·K·K × rows·Wo`) take about
    /// `elements` elements, at least one row and at most all of them.
    pub(crate) fn band_rows(&self, elements: usize) -> usize {
        let per_row = (self.taps() * self.out_width()).max(1);
        (elements / per_row).clamp(1, self.out_height().max(1))
    }

    /// The output rows in bands of `rows` rows (the last may be shorter), in order.
    pub(crate) fn bands(&self, rows: usize) -> impl Iterator<Item = Range<usize>> {
        let ho = self.out_height();
        (0..ho)
            .step_by(rows.max(1))
            .map(move |start| start..(start + rows).min(ho))
    }

    /// Calls `f(column, run)` for every kernel tap `(c, ky, kx)` and every output row `oy` of
    /// `rows`: the row's `Wo` columns start at index `column` of the band's columns
    /// (`tap·n + (oy - rows.start)·Wo` with `n = rows.len()·Wo`), and `run` is
    /// `Some((lo, hi, pixel))` when the output pixels `lo..hi` of the row read the input pixels
    /// `pixel + (o - lo)·S` (the others fall on padding), `None` when the whole row does.
    fn for_each_row(
        &self,
        rows: Range<usize>,
        mut f: impl FnMut(usize, Option<(usize, usize, usize)>),
    ) {
        let (wo, k) = (self.out_width(), self.kernel);
        let n = rows.len() * wo;
        for c in 0..self.channels {
            for ky in 0..k {
                let (y_lo, y_hi) = self.inside(ky, self.height, self.out_height());
                for kx in 0..k {
                    let (x_lo, x_hi) = self.inside(kx, self.width, wo);
                    let tap = (c * k + ky) * k + kx;
                    for oy in rows.clone() {
                        let column = tap * n + (oy - rows.start) * wo;
                        if !(y_lo..y_hi).contains(&oy) || x_lo == x_hi {
                            f(column, None);
                            continue;
                        }
                        let y = oy * self.stride + ky - self.padding;
                        let x = x_lo * self.stride + kx - self.padding;
                        let pixel = (c * self.height + y) * self.width + x;
                        f(column, Some((x_lo, x_hi, pixel)));
                    }
                }
            }
        }
    }
}

/// Writes the output rows `rows` of `unfold(image)` into `columns` (`C·K·K × rows.len()·Wo`;
/// every element written, padding as zeros).
pub(crate) fn unfold_rows<T: WithDType + Scratch>(
    g: &Geometry,
    image: &[T],
    rows: Range<usize>,
    columns: &mut [T],
) {
    assert_eq!(image.len(), g.image_len(), "unfold: image size");
    assert!(rows.end <= g.out_height(), "unfold: rows");
    let wo = g.out_width();
    assert_eq!(
        columns.len(),
        g.taps() * rows.len() * wo,
        "unfold: columns size"
    );
    if g.stride == 1 && wo == g.width {
        unfold_rows_same_width(g, image, rows, columns);
        return;
    }
    if g.stride == 1 {
        copy_runs(g, rows, columns, |pixel| &image[pixel..]);
        return;
    }
    // At stride S > 1 the runs are copied from the input rows split into their phases.
    let phases = Phases::of(g, &rows);
    with_scratch(phases.buffer_len(g), |buffer: &mut [T]| {
        phases.split(g, image, buffer);
        let buffer = &*buffer;
        copy_runs(g, rows, columns, |pixel| &buffer[phases.start(g, pixel)..]);
    });
}

/// Writes the output rows `rows` of the columns as [`unfold_rows`] does, each tap's run of
/// pixels inside the image copied from `source(pixel)` (which starts with the run's elements,
/// consecutive), the padding as zeros.
fn copy_runs<'a, T: WithDType>(
    g: &Geometry,
    rows: Range<usize>,
    columns: &mut [T],
    source: impl Fn(usize) -> &'a [T],
) {
    let wo = g.out_width();
    g.for_each_row(rows, |column, run| {
        let row = &mut columns[column..column + wo];
        let Some((lo, hi, pixel)) = run else {
            row.fill(T::zero());
            return;
        };
        zero_padding(&mut row[..lo]);
        zero_padding(&mut row[hi..]);
        row[lo..hi].copy_from_slice(&source(pixel)[..hi - lo]);
    });
}

/// The input rows that the output rows `rows` read, split into their S phases (stride S > 1):
/// phase `r` of a row holds its pixels `r, r + S, r + 2S, ...`, so that a tap's row, which
/// reads every S-th pixel of an input row, is a contiguous run of one phase.
struct Phases {
    /// The first input row held.
    first_row: usize,
    /// How many input rows are held (of each channel).
    rows: usize,
    /// The length of a phase, `⌈W / S⌉`.
    len: usize,
}

impl Phases {
    fn of(g: &Geometry, rows: &Range<usize>) -> Phases {
        let (s, p, h) = (g.stride, g.padding, g.height);
        // Output row `oy` reads the input rows `oy·S - P .. oy·S - P + K`, those inside the image.
        let first_row = (rows.start * s).saturating_sub(p).min(h);
        let end = ((rows.end.max(1) - 1) * s + g.kernel)
            .saturating_sub(p)
            .min(h);
        Phases {
            first_row,
            rows: end.saturating_sub(first_row),
            len: g.width.div_ceil(s),
        }
    }

    /// Elements of the buffer: `C · rows · S · len`.
    fn buffer_len(&self, g: &Geometry) -> usize {
        g.channels * self.rows * g.stride * self.len
    }

    /// Where the run of the image's elements `pixel, pixel + S, ...` starts in the buffer.
    fn start(&self, g: &Geometry, pixel: usize) -> usize {
        let (row, x) = (pixel / g.width, pixel % g.width);
        let (c, y) = (row / g.height, row % g.height);
        ((c * self.rows + y - self.first_row) * g.stride + x % g.stride) * self.len + x / g.stride
    }

    /// Writes the phases of the rows held of `image` into `buffer`.
    fn split<T: Copy>(&self, g: &Geometry, image: &[T], buffer: &mut [T]) {
        self.for_each_row(g, buffer, |start, row_phases| {
            let row = &image[start..start + g.width];
            for (r, phase) in row_phases.chunks_exact_mut(self.len).enumerate() {
                for (o, &v) in phase.iter_mut().zip(row[r..].iter().step_by(g.stride)) {
                    *o = v;
                }
            }
        });
    }

    /// Calls `f(row, phases)` for each input row held and its `S` phases in the buffer.
    fn for_each_row<'b, T>(
        &self,
        g: &Geometry,
        buffer: &'b mut [T],
        mut f: impl FnMut(usize, &'b mut [T]),
    ) {
        let per_row = g.stride * self.len;
        let mut rows = buffer.chunks_exact_mut(per_row);
        for c in 0..g.channels {
            for y in self.first_row..self.first_row + self.rows {
                let phases = rows.next().expect("a buffer row per input row");
                f((c * g.height + y) * g.width, phases);
            }
        }
    }
}

/// [`unfold_rows`] at stride 1 with the output as wide as the input (`2P = K - 1`, "same"
/// padding): a tap's rows then follow each other in the columns as in the image, so the tap
/// is one copy of consecutive input rows, shifted by `kx - P`, whose pixels that wrapped
/// around from the row before or after (the padding columns) are then set to zero.
fn unfold_rows_same_width<T: WithDType>(
    g: &Geometry,
    image: &[T],
    rows: Range<usize>,
    columns: &mut [T],
) {
    let (height, width, k, p) = (g.height, g.width, g.kernel, g.padding);
    let n = rows.len() * width;
    let plane = height * width;
    for c in 0..g.channels {
        let channel = &image[c * plane..(c + 1) * plane];
        for ky in 0..k {
            // The band's rows whose input row `oy + ky - P` is inside the image.
            let (y_lo, y_hi) = g.inside(ky, height, g.out_height());
            let lo = y_lo.clamp(rows.start, rows.end);
            let hi = y_hi.clamp(lo, rows.end);
            let (inside_lo, inside_hi) = ((lo - rows.start) * width, (hi - rows.start) * width);
            for kx in 0..k {
                let tap = (c * k + ky) * k + kx;
                let out = &mut columns[tap * n..(tap + 1) * n];
                out[..inside_lo].fill(T::zero());
                out[inside_hi..].fill(T::zero());
                if lo == hi {
                    continue;
                }
                // Output pixel (oy, ox) reads input index (oy + ky - P)·W + ox + kx - P of the
                // channel: consecutive outputs read consecutive inputs.
                let first = ((lo + ky - p) * width + kx) as isize - p as isize;
                let inside = &mut out[inside_lo..inside_hi];
                let src_lo = first.max(0) as usize;
                let src_hi = (first + inside.len() as isize).min(plane as isize) as usize;
                let dst_lo = (src_lo as isize - first) as usize;
                let dst_hi = dst_lo + (src_hi - src_lo);
                zero_padding(&mut inside[..dst_lo]);
                inside[dst_lo..dst_hi].copy_from_slice(&channel[src_lo..src_hi]);
                zero_padding(&mut inside[dst_hi..]);
                let (x_lo, x_hi) = g.inside(kx, width, width);
                for row in inside.chunks_exact_mut(width) {
                    zero_padding(&mut row[..x_lo]);
                    zero_padding(&mut row[x_hi..]);
                }
            }
        }
    }
}

/// [`fold_add_rows`] at stride 1 with the output as wide as the input (as
/// [`unfold_rows_same_width`]): a tap's rows are added to the image as one run, shifted by
/// `kx - P`, once its elements on the padding columns (which would wrap around to the row
/// before or after) are set to -0, instead of a short addition per row. Each image element gets
/// the taps' values in the same order as row by row, and `v + (-0) = v` for every `v` (-0 and
/// NaN included), so the result is the same, bit for bit.
fn fold_add_rows_same_width<T: WithDType>(
    g: &Geometry,
    columns: &mut [T],
    rows: Range<usize>,
    image: &mut [T],
) {
    let (height, width, k, p) = (g.height, g.width, g.kernel, g.padding);
    let n = rows.len() * width;
    let plane = height * width;
    let negative_zero = T::from_f64(-0.0);
    for c in 0..g.channels {
        let channel = &mut image[c * plane..(c + 1) * plane];
        for ky in 0..k {
            // The band's rows whose input row `oy + ky - P` is inside the image.
            let (y_lo, y_hi) = g.inside(ky, height, g.out_height());
            let lo = y_lo.clamp(rows.start, rows.end);
            let hi = y_hi.clamp(lo, rows.end);
            if lo == hi {
                continue;
            }
            let (inside_lo, inside_hi) = ((lo - rows.start) * width, (hi - rows.start) * width);
            let first_row = (lo + ky - p) * width;
            for kx in 0..k {
                let tap = (c * k + ky) * k + kx;
                let run = &mut columns[tap * n..(tap + 1) * n][inside_lo..inside_hi];
                let (x_lo, x_hi) = g.inside(kx, width, width);
                for row in run.chunks_exact_mut(width) {
                    row[..x_lo].fill(negative_zero);
                    row[x_hi..].fill(negative_zero);
                }
                // Output pixel (oy, ox) adds to input index (oy + ky - P)·W + ox + kx - P of the
                // channel: consecutive outputs to consecutive inputs.
                let first = (first_row + kx) as isize - p as isize;
                let image_lo = first.max(0) as usize;
                let image_hi = (first + run.len() as isize).min(plane as isize) as usize;
                let run_lo = (image_lo as isize - first) as usize;
                for (sum, &v) in channel[image_lo..image_hi].iter_mut().zip(&run[run_lo..]) {
                    *sum += v;
                }
            }
        }
    }
}

/// Writes zeros over `run`, a stretch of padding: mostly one or two elements (a 3x3 kernel's),
/// which are stored directly instead of through a call of `memset` each.
fn zero_padding<T: WithDType>(run: &mut [T]) {
    match run {
        [] => {}
        [a] => *a = T::zero(),
        [a, b] => (*a, *b) = (T::zero(), T::zero()),
        run => run.fill(T::zero()),
    }
}

/// Adds `fold(columns)` to `image` (`C × H × W`), for the output rows `rows` that `columns`
/// holds (`C·K·K × rows.len()·Wo`, as [`unfold_rows`] writes them); the elements of `columns`
/// that fall on the padding may be set to -0 on the way. At stride S > 1 the sums are made in
/// the input rows' phases ([`Phases`], contiguous runs) and added to the image at the end, one
/// pass, instead of adding to every S-th element tap by tap.
pub(crate) fn fold_add_rows<T: WithDType + Scratch>(
    g: &Geometry,
    columns: &mut [T],
    rows: Range<usize>,
    image: &mut [T],
) {
    assert_eq!(image.len(), g.image_len(), "fold: image size");
    assert!(rows.end <= g.out_height(), "fold: rows");
    let (s, w) = (g.stride, g.width);
    assert_eq!(
        columns.len(),
        g.taps() * rows.len() * g.out_width(),
        "fold: columns size"
    );
    let add = |sums: &mut [T], values: &[T]| {
        for (sum, &v) in sums.iter_mut().zip(values) {
            *sum += v;
        }
    };
    if s == 1 && g.out_width() == w {
        fold_add_rows_same_width(g, columns, rows, image);
        return;
    }
    if s == 1 {
        g.for_each_row(rows, |column, run| {
            if let Some((lo, hi, pixel)) = run {
                add(
                    &mut image[pixel..pixel + (hi - lo)],
                    &columns[column + lo..column + hi],
                );
            }
        });
        return;
    }
    let phases = Phases::of(g, &rows);
    with_scratch(phases.buffer_len(g), |buffer: &mut [T]| {
        buffer.fill(T::zero());
        g.for_each_row(rows, |column, run| {
            if let Some((lo, hi, pixel)) = run {
                let start = phases.start(g, pixel);
                add(
                    &mut buffer[start..start + (hi - lo)],
                    &columns[column + lo..column + hi],
                );
            }
        });
        phases.for_each_row(g, buffer, |start, row_phases| {
            let row = &mut image[start..start + w];
            for (r, phase) in row_phases.chunks_exact(phases.len).enumerate() {
                for (i, &v) in row[r..].iter_mut().step_by(s).zip(phase) {
                    *i += v;
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `unfold` by the definition, element by element.
    fn unfold_naive(g: &Geometry, image: &[f64]) -> Vec<f64> {
        let (ho, wo, k) = (g.out_height(), g.out_width(), g.kernel);
        let mut out = Vec::new();
        for c in 0..g.channels {
            for ky in 0..k {
                for kx in 0..k {
                    for oy in 0..ho {
                        for ox in 0..wo {
                            let y = (oy * g.stride + ky) as isize - g.padding as isize;
                            let x = (ox * g.stride + kx) as isize - g.padding as isize;
                            let inside = (0..g.height as isize).contains(&y)
                                && (0..g.width as isize).contains(&x);
                            out.push(if inside {
                                image[(c * g.height + y as usize) * g.width + x as usize]
                            } else {
                                0.0
                            });
                        }
                    }
                }
            }
        }
        out
    }

    fn geometries() -> Vec<Geometry> {
        let mut all = Vec::new();
        for (channels, height, width) in [(1, 5, 5), (2, 4, 7), (3, 1, 3), (2, 6, 5)] {
            for kernel in 1..=4 {
                for stride in 1..=3 {
                    for padding in 0..=2 {
                        let g = Geometry {
                            channels,
                            height,
                            width,
                            kernel,
                            stride,
                            padding,
                        };
                        if g.is_valid() {
                            all.push(g);
                        }
                    }
                }
            }
        }
        all
    }

    #[test]
    fn unfold_matches_the_definition_band_by_band() {
        for g in geometries() {
            let image: Vec<f64> = (0..g.image_len()).map(|i| i as f64 + 1.0).collect();
            let expected = unfold_naive(&g, &image);
            let (taps, wo, n) = (g.taps(), g.out_width(), g.out_pixels());
            for rows in 1..=g.out_height() {
                for band in g.bands(rows) {
                    let len = band.len() * wo;
                    let mut columns = vec![f64::NAN; taps * len];
                    unfold_rows(&g, &image, band.clone(), &mut columns);
                    for tap in 0..taps {
                        let start = tap * n + band.start * wo;
                        assert_eq!(
                            columns[tap * len..(tap + 1) * len],
                            expected[start..start + len],
                            "{g:?}, rows {band:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fold_is_the_adjoint_of_unfold_band_by_band() {
        // <unfold(x), m> = <x, fold(m)> for any x and m, with integers so that sums are exact.
        for g in geometries() {
            let x: Vec<f64> = (0..g.image_len()).map(|i| (i % 7) as f64 - 3.0).collect();
            for rows in [1, 2, g.out_height()] {
                let (mut left, mut folded) = (0.0, vec![0.0; x.len()]);
                for band in g.bands(rows) {
                    let len = g.taps() * band.len() * g.out_width();
                    let m: Vec<f64> = (0..len).map(|i| (i % 5) as f64 - 2.0).collect();
                    let mut columns = vec![0.0; len];
                    unfold_rows(&g, &x, band.clone(), &mut columns);
                    left += columns.iter().zip(&m).map(|(a, b)| a * b).sum::<f64>();
                    fold_add_rows(&g, &mut m.clone(), band, &mut folded);
                }
                let right: f64 = x.iter().zip(&folded).map(|(a, b)| a * b).sum();
                assert_eq!(left, right, "{g:?}, {rows} rows");
            }
        }
    }

    #[test]
    fn bands_hold_about_the_elements_asked_for() {
        let g = Geometry {
            channels: 3,
            height: 320,
            width: 320,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        // 27 taps × 320 pixels a row: 8640 elements a row.
        assert_eq!(g.band_rows(64 * 1024), 7);
        assert_eq!(g.band_rows(1), 1);
        assert_eq!(g.band_rows(usize::MAX), 320);
    }

    #[test]
    fn a_kernel_larger_than_the_padded_image_is_invalid() {
        let g = Geometry {
            channels: 1,
            height: 2,
            width: 2,
            kernel: 5,
            stride: 1,
            padding: 1,
        };
        assert!(!g.is_valid());
        assert!(!Geometry { stride: 0, ..g }.is_valid());
    }
}
