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
//! `unfold`. Each row is copied a run of pixels at a time (one `copy_from_slice` per output row
//! at stride 1), not element by element.

use std::ops::AddAssign;

use candle_core::WithDType;

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

    /// Calls `f(column, pixel, lo, hi)` for every output row `oy` of every kernel tap
    /// `(c, ky, kx)` whose input row is inside the image: the output pixels `lo..hi` of that row,
    /// which start at index `column` of the columns, read the input pixels `pixel + (o - lo)·S`.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        let (ho, wo, k) = (self.out_height(), self.out_width(), self.kernel);
        let n = ho * wo;
        for c in 0..self.channels {
            for ky in 0..k {
                let (y_lo, y_hi) = self.inside(ky, self.height, ho);
                for kx in 0..k {
                    let (x_lo, x_hi) = self.inside(kx, self.width, wo);
                    if x_lo == x_hi {
                        continue;
                    }
                    let tap = (c * k + ky) * k + kx;
                    for oy in y_lo..y_hi {
                        let y = oy * self.stride + ky - self.padding;
                        let x = x_lo * self.stride + kx - self.padding;
                        let start = (c * self.height + y) * self.width + x;
                        f(tap * n + oy * wo + x_lo, start, x_lo, x_hi);
                    }
                }
            }
        }
    }
}

/// Writes `unfold(image)` into `columns` (`C·K·K × Ho·Wo`, every element written).
pub(crate) fn unfold<T: WithDType>(g: &Geometry, image: &[T], columns: &mut [T]) {
    assert_eq!(image.len(), g.image_len(), "unfold: image size");
    assert_eq!(
        columns.len(),
        g.taps() * g.out_pixels(),
        "unfold: columns size"
    );
    // Zero only what padding leaves uncovered: with P = 0 nothing is zeroed.
    if g.padding > 0 {
        columns.fill(T::zero());
    }
    let s = g.stride;
    g.for_each_run(|col, start, lo, hi| {
        let out = &mut columns[col..col + (hi - lo)];
        if s == 1 {
            out.copy_from_slice(&image[start..start + (hi - lo)]);
        } else {
            for (o, v) in out.iter_mut().zip(image[start..].iter().step_by(s)) {
                *o = *v;
            }
        }
    });
}

/// Adds `fold(columns)` to `image` (`C × H × W`).
pub(crate) fn fold_add<T: Copy + AddAssign>(g: &Geometry, columns: &[T], image: &mut [T]) {
    assert_eq!(image.len(), g.image_len(), "fold: image size");
    assert_eq!(
        columns.len(),
        g.taps() * g.out_pixels(),
        "fold: columns size"
    );
    let s = g.stride;
    g.for_each_run(|col, start, lo, hi| {
        let run = &columns[col..col + (hi - lo)];
        if s == 1 {
            for (i, v) in image[start..start + run.len()].iter_mut().zip(run) {
                *i += *v;
            }
        } else {
            for (i, v) in image[start..].iter_mut().step_by(s).zip(run) {
                *i += *v;
            }
        }
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
    fn unfold_matches_the_definition() {
        for g in geometries() {
            let image: Vec<f64> = (0..g.image_len()).map(|i| i as f64 + 1.0).collect();
            let mut columns = vec![f64::NAN; g.taps() * g.out_pixels()];
            unfold(&g, &image, &mut columns);
            assert_eq!(columns, unfold_naive(&g, &image), "{g:?}");
        }
    }

    #[test]
    fn fold_is_the_adjoint_of_unfold() {
        // <unfold(x), m> = <x, fold(m)> for any x and m, with integers so that sums are exact.
        for g in geometries() {
            let x: Vec<f64> = (0..g.image_len()).map(|i| (i % 7) as f64 - 3.0).collect();
            let m: Vec<f64> = (0..g.taps() * g.out_pixels())
                .map(|i| (i % 5) as f64 - 2.0)
                .collect();
            let mut columns = vec![0.0; m.len()];
            unfold(&g, &x, &mut columns);
            let mut folded = vec![0.0; x.len()];
            fold_add(&g, &m, &mut folded);
            let left: f64 = columns.iter().zip(&m).map(|(a, b)| a * b).sum();
            let right: f64 = x.iter().zip(&folded).map(|(a, b)| a * b).sum();
            assert_eq!(left, right, "{g:?}");
        }
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
