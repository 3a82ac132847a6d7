//! The 3x3, stride-1, "same"-padded convolution computed directly, with AVX-512, where the CPU
//! has it: no unfolded columns and no matrix product. The forward pass is below; the input's
//! gradient is the same pass over the output's gradient with the kernel flipped
//! ([`Direct::for_input_gradient`]); the weights' gradient has a pass of its own
//! ([`WeightGradient`]).
//!
//! Each input channel `c` is first copied three times, shifted by one column for each `kx`
//! (`s[c, kx, r, ox] = x[c, r - 1, ox + kx - 1]`, `H + 2` rows of `W`, zero outside the image).
//! Then for tap `(c, ky, kx)` the output pixels `q..q + 16` (counted row after row, `q = oy·W +
//! ox`) read 16 consecutive elements of `s[c, kx]`, from row `ky`'s start plus `q`: one
//! unaligned vector load, every lane a pixel of the output, across row ends too. A tile of 8
//! output channels × 3 such vectors (24 accumulators, started at the bias) goes through every
//! tap, `c` then `ky` then `kx`, one fused multiply-add per channel and vector, and is stored
//! (the plane's last vector with a mask). So each output is
//!
//! ```text
//! z[o, oy, ox] = bias[o] + Σ_c Σ_ky Σ_kx w[o, c, ky, kx] · x[c, oy + ky - 1, ox + kx - 1]
//! ```
//!
//! added in that order, one rounding per term, whatever the number of threads.
//!
//! Used by [`crate::conv`] for `f32` on CPUs with AVX-512F (whatever `leaky`'s kernel tier: the
//! results depend on the CPU's features, as `gemm`'s do, never on a setting), the forward pass
//! when the output channels are a multiple of 8, the input's gradient when the input channels
//! are, the weights' gradient when the output channels are a multiple of 16; on other CPUs and
//! shapes the convolution unfolds its columns for a matrix product instead.

use std::mem::MaybeUninit;

use crate::cpu::{as_uninit, assume_written};
use crate::matmul::{Real, transpose, transpose_into};
use crate::scratch::with_scratch;
use crate::unfold::Geometry;

/// Output channels in a tile.
const CHANNELS: usize = 8;
/// Vectors (16 consecutive pixels each) in a full tile.
const VECTORS: usize = 3;
/// Pixels in a vector.
const LANES: usize = 16;

/// Up to 16 consecutive pixels of an output plane.
#[derive(Clone, Copy, Debug)]
struct Vector {
    /// The first pixel, `oy·W + ox`.
    start: usize,
    /// The lanes inside the plane.
    mask: u16,
}

/// A convolution's weights and bias, laid out for the direct forward pass.
#[derive(Debug)]
pub(crate) struct Direct {
    /// `(C·9, C_out)`: tap by tap, each tap's weight for every output channel.
    weights: Vec<f32>,
    /// `C_out` (zeros without a bias).
    bias: Vec<f32>,
    /// Every vector of an output plane, in order.
    vectors: Vec<Vector>,
    channels: usize,
    height: usize,
    width: usize,
}

impl Direct {
    /// The direct pass for weights `w` `(C_out, C, 3, 3)` and `bias`, or `None` where it does
    /// not apply (another element type, kernel, stride or padding, no input channels, output
    /// channels that are not a multiple of 8, or a CPU without AVX-512F).
    pub(crate) fn new<T: Real>(
        g: &Geometry,
        others: usize,
        w: &[T],
        bias: Option<&[T]>,
    ) -> Option<Direct> {
        if !applies(g) || g.channels == 0 || !others.is_multiple_of(CHANNELS) {
            return None;
        }
        let weights = transpose(T::f32_slice(w)?, others, g.taps());
        let bias = match bias {
            Some(b) => T::f32_slice(b)?.to_vec(),
            None => vec![0.0; others],
        };
        Some(Direct::with(g, weights, bias))
    }

    /// The direct pass that gives the input's gradient of the convolution `g` with weights `w`
    /// `(C_out, C, 3, 3)` from the output's: `grad_x = conv(grad_z, w')` with `w'[c, o, ky, kx]
    /// = w[o, c, 2 - ky, 2 - kx]` (the same padding), summed over `o`, `ky`, `kx` in that order.
    /// `None` where it does not apply, as for [`Direct::new`] with the roles of `C` and `C_out`
    /// exchanged.
    pub(crate) fn for_input_gradient<T: Real>(
        g: &Geometry,
        others: usize,
        w: &[T],
    ) -> Option<Direct> {
        let channels = g.channels;
        if !applies(g) || others == 0 || !channels.is_multiple_of(CHANNELS) {
            return None;
        }
        let w = T::f32_slice(w)?;
        // Tap `(o, ky, kx)` of `w'`, for input channel `c`, is `w[o, c, 2 - ky, 2 - kx]`.
        let mut weights = vec![0.0; others * 9 * channels];
        for (o, per_out) in w.chunks_exact(channels * 9).enumerate() {
            for (c, kernel) in per_out.chunks_exact(9).enumerate() {
                for (tap, &v) in kernel.iter().rev().enumerate() {
                    weights[(o * 9 + tap) * channels + c] = v;
                }
            }
        }
        let flipped = Geometry {
            channels: others,
            ..*g
        };
        Some(Direct::with(&flipped, weights, vec![0.0; channels]))
    }

    /// The pass over images of geometry `g` with tap-major `weights` and `bias`.
    fn with(g: &Geometry, weights: Vec<f32>, bias: Vec<f32>) -> Direct {
        let pixels = g.height * g.width;
        let vectors = (0..pixels)
            .step_by(LANES)
            .map(|start| Vector {
                start,
                mask: (((1u32 << (pixels - start).min(LANES)) - 1) & 0xffff) as u16,
            })
            .collect();
        Direct {
            weights,
            bias,
            vectors,
            channels: g.channels,
            height: g.height,
            width: g.width,
        }
    }

    /// One image's `z = conv(x, w) + bias` (`x` `(C, H, W)`, `z` `(C_out, H, W)`). Writes every
    /// element.
    pub(crate) fn image<'z, T: Real>(&self, x: &[T], z: &'z mut [MaybeUninit<T>]) -> &'z mut [T] {
        let x = T::f32_slice(x).expect("a direct convolution is built for f32 only");
        let out = T::f32_slice_uninit(z).expect("a direct convolution is built for f32 only");
        with_shifted(x, self.height, self.width, |shifted| {
            convolve(self, shifted, out)
        });
        // SAFETY: `convolve` stored every vector of every output channel: all of `z`.
        unsafe { assume_written(z) }
    }
}

/// The weights' gradient of a 3x3 "same" convolution computed directly, with AVX-512, one image
/// at a time: for tap `(c, ky, kx)` and output channel `o`,
///
/// ```text
/// grad_w[o, c, ky, kx] = Σ_q grad_z[o, q] · s[c, kx, ky·W + q]     (q = oy·W + ox, in order)
/// ```
///
/// with the shifted planes `s` of the module's forward pass: a tile of 6 taps × 16·`V` output
/// channels (the output's gradient transposed to `(H·W, C_out)`, a vector of channels a load)
/// goes through the pixels, one fused multiply-add per tap and vector.
#[derive(Debug)]
pub(crate) struct WeightGradient {
    channels: usize,
    height: usize,
    width: usize,
    others: usize,
}

impl WeightGradient {
    /// The direct weights' gradient for the convolution `g` with `others` output channels, or
    /// `None` where it does not apply (another element type, kernel, stride or padding, output
    /// channels that are not a multiple of 16, or a CPU without AVX-512F).
    pub(crate) fn new<T: Real>(g: &Geometry, others: usize) -> Option<WeightGradient> {
        let is_f32 = T::f32_slice(&[]).is_some();
        if !is_f32 || !applies(g) || others == 0 || !others.is_multiple_of(LANES) {
            return None;
        }
        Some(WeightGradient {
            channels: g.channels,
            height: g.height,
            width: g.width,
            others,
        })
    }

    /// Writes one image's weights' gradient, tap-major (`(C·9, C_out)`), to `grad_w_t`, from the
    /// image `x` `(C, H, W)` and the output's gradient `grad_z` `(C_out, H, W)`.
    pub(crate) fn image<T: Real>(&self, x: &[T], grad_z: &[T], grad_w_t: &mut [T]) {
        const F32: &str = "a direct weights' gradient is built for f32 only";
        let x = T::f32_slice(x).expect(F32);
        let grad_z = T::f32_slice(grad_z).expect(F32);
        // SAFETY: `weight_gradient` writes values only.
        let out = T::f32_slice_uninit(unsafe { as_uninit(grad_w_t) }).expect(F32);
        let pixels = self.height * self.width;
        with_scratch(pixels * self.others, |grad_z_t: &mut [f32]| {
            transpose_into(grad_z, self.others, pixels, grad_z_t);
            with_shifted(x, self.height, self.width, |shifted| {
                weight_gradient(self, shifted, grad_z_t, out);
            });
        });
    }
}

/// Whether the direct passes can compute the convolution `g`: a 3x3 kernel, stride 1, padding
/// 1, on a CPU with AVX-512F (the first call asks the CPU; the standard library keeps the
/// answer).
fn applies(g: &Geometry) -> bool {
    #[cfg(target_arch = "x86_64")]
    let avx512 = std::arch::is_x86_feature_detected!("avx512f");
    #[cfg(not(target_arch = "x86_64"))]
    let avx512 = false;
    (g.kernel, g.stride, g.padding) == (3, 1, 1) && avx512
}

/// Calls `f` with the shifted planes of the image `x` (`C` planes of `H × W`):
/// `s[c, kx, r, ox] = x[c, r - 1, ox + kx - 1]`, `H + 2` rows of `W` each, zero outside the
/// image, and a vector's worth of zeros after the last, which a plane's last vector may read
/// (into lanes that are never stored).
fn with_shifted<R>(x: &[f32], h: usize, w: usize, f: impl FnOnce(&[f32]) -> R) -> R {
    let len = shifted_len(x.len() / (h * w), h, w);
    with_scratch(len, |shifted: &mut [f32]| {
        let (planes, after) = shifted.split_at_mut(len - LANES);
        after.fill(0.0);
        let channels = x
            .chunks_exact(h * w)
            .zip(planes.chunks_exact_mut(3 * (h + 2) * w));
        for (channel, shifted) in channels {
            for (kx, plane) in shifted.chunks_exact_mut((h + 2) * w).enumerate() {
                let (top, rest) = plane.split_at_mut(w);
                let (rows, bottom) = rest.split_at_mut(h * w);
                top.fill(0.0);
                bottom.fill(0.0);
                shift_plane(channel, w, kx, rows);
            }
        }
        f(shifted)
    })
}

/// The elements of the shifted planes of `channels` planes `h × w`, the vector after them included.
fn shifted_len(channels: usize, h: usize, w: usize) -> usize {
    channels * 3 * (h + 2) * w + LANES
}

/// Each row of `to` is the row of `from` (`w` wide) shifted: `to[oy, ox] = from[oy, ox + kx - 1]`,
/// zero outside the row. The plane is copied at once, then the column that came from the row
/// before or after is set to zero.
fn shift_plane(from: &[f32], w: usize, kx: usize, to: &mut [f32]) {
    let n = from.len();
    match kx {
        0 => {
            to[1..].copy_from_slice(&from[..n - 1]);
            to.iter_mut().step_by(w).for_each(|v| *v = 0.0);
        }
        1 => to.copy_from_slice(from),
        _ => {
            to[..n - 1].copy_from_slice(&from[1..]);
            to.iter_mut().skip(w - 1).step_by(w).for_each(|v| *v = 0.0);
        }
    }
}

/// Writes all of `out` from the shifted planes.
#[cfg(target_arch = "x86_64")]
fn convolve(d: &Direct, shifted: &[f32], out: &mut [MaybeUninit<f32>]) {
    // SAFETY: `Direct::new` returned a value only where the CPU has AVX-512F;
    // `convolve` checks the sizes.
    unsafe { avx512::convolve(d, shifted, out) }
}

#[cfg(not(target_arch = "x86_64"))]
fn convolve(_: &Direct, _: &[f32], _: &mut [MaybeUninit<f32>]) {
    unreachable!("AVX-512 exists on x86-64 only")
}

/// Writes all of `out` (`(C·9, C_out)`) from the shifted planes and the transposed gradient.
#[cfg(target_arch = "x86_64")]
fn weight_gradient(
    d: &WeightGradient,
    shifted: &[f32],
    grad_z_t: &[f32],
    out: &mut [MaybeUninit<f32>],
) {
    // SAFETY: `WeightGradient::new` returned a value only where the CPU has AVX-512F;
    // `weight_gradient` checks the sizes.
    unsafe { avx512::weight_gradient(d, shifted, grad_z_t, out) }
}

#[cfg(not(target_arch = "x86_64"))]
fn weight_gradient(_: &WeightGradient, _: &[f32], _: &[f32], _: &mut [MaybeUninit<f32>]) {
    unreachable!("AVX-512 exists on x86-64 only")
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    use super::{CHANNELS, Direct, LANES, VECTORS, Vector, WeightGradient, shifted_len};

    /// Writes all of `out` (`C_out` planes of `H·W`) from the shifted planes.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn convolve(d: &Direct, shifted: &[f32], out: &mut [MaybeUninit<f32>]) {
        let others = d.bias.len();
        let pixels = d.height * d.width;
        assert_eq!(out.len(), others * pixels, "direct: output size");
        let expected = shifted_len(d.channels, d.height, d.width);
        assert_eq!(shifted.len(), expected, "direct: shifted size");
        let out = out.as_mut_ptr().cast::<f32>();
        for group in d.vectors.chunks(VECTORS) {
            for o in (0..others).step_by(CHANNELS) {
                // SAFETY: the CPU has AVX-512F, the sizes are as checked above, and
                // `o + 8 <= C_out` (a multiple of 8).
                unsafe {
                    match group {
                        [a, b, c] => tile([*a, *b, *c], d, shifted, o, out),
                        [a, b] => tile([*a, *b], d, shifted, o, out),
                        [a] => tile([*a], d, shifted, o, out),
                        _ => unreachable!("chunks of one to three vectors"),
                    }
                }
            }
        }
    }

    /// Output channels `o..o + 8` at the `V` vectors `at`.
    ///
    /// # Safety
    /// The CPU has AVX-512F, `shifted` is as [`convolve`] checks it, `o + 8 <= C_out` and `out`
    /// points at `C_out · H · W` elements.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn tile<const V: usize>(
        at: [Vector; V],
        d: &Direct,
        shifted: &[f32],
        o: usize,
        out: *mut f32,
    ) {
        let others = d.bias.len();
        let (w, plane) = (d.width, (d.height + 2) * d.width);
        let mut acc = [[_mm512_setzero_ps(); V]; CHANNELS];
        for (r, row) in acc.iter_mut().enumerate() {
            *row = [_mm512_set1_ps(d.bias[o + r]); V];
        }
        let mut weights = d.weights[o..].as_ptr();
        let x = shifted.as_ptr();
        for c in 0..d.channels {
            for ky in 0..3 {
                for kx in 0..3 {
                    let start = (3 * c + kx) * plane + ky * w;
                    // SAFETY: a vector's lanes read `start + q .. start + q + 16` with
                    // `q < H·W`: inside plane `(c, kx)`'s rows `ky .. ky + H` or, for the last
                    // plane, the 16 elements after it; the tap's 8 weights are in bounds.
                    unsafe {
                        let xs: [__m512; V] =
                            std::array::from_fn(|v| _mm512_loadu_ps(x.add(start + at[v].start)));
                        for (r, row) in acc.iter_mut().enumerate() {
                            let wr = _mm512_set1_ps(*weights.add(r));
                            for (a, &xv) in row.iter_mut().zip(&xs) {
                                *a = _mm512_fmadd_ps(wr, xv, *a);
                            }
                        }
                        weights = weights.add(others);
                    }
                }
            }
        }
        let pixels = d.height * d.width;
        for (r, row) in acc.iter().enumerate() {
            for (vector, &a) in at.iter().zip(row) {
                // SAFETY: the mask keeps the lanes inside channel `o + r`'s output plane.
                unsafe {
                    let to = out.add((o + r) * pixels + vector.start);
                    _mm512_mask_storeu_ps(to, vector.mask, a);
                }
            }
        }
    }

    /// Taps in a tile of the weights' gradient.
    const TAPS: usize = 6;

    /// Writes all of `out` (`(C·9, C_out)`, tap-major) from the shifted planes and the output's
    /// gradient transposed, `(H·W, C_out)`.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn weight_gradient(
        d: &WeightGradient,
        shifted: &[f32],
        grad_z_t: &[f32],
        out: &mut [MaybeUninit<f32>],
    ) {
        let (others, pixels) = (d.others, d.height * d.width);
        let taps = d.channels * 9;
        assert_eq!(out.len(), taps * others, "direct: weights' gradient size");
        assert_eq!(grad_z_t.len(), pixels * others, "direct: gradient size");
        let expected = shifted_len(d.channels, d.height, d.width);
        assert_eq!(shifted.len(), expected, "direct: shifted size");
        let out = out.as_mut_ptr().cast::<f32>();
        let plane = (d.height + 2) * d.width;
        // Where tap `(c, ky, kx)`'s values start in the shifted planes.
        let start = |tap: usize| {
            let (c, ky, kx) = (tap / 9, tap / 3 % 3, tap % 3);
            (3 * c + kx) * plane + ky * d.width
        };
        let vectors = if others.is_multiple_of(4 * LANES) {
            4
        } else if others.is_multiple_of(2 * LANES) {
            2
        } else {
            1
        };
        for first in (0..taps).step_by(TAPS) {
            let n = TAPS.min(taps - first);
            // A short last tile repeats its first tap, whose sums are not stored twice.
            let starts: [usize; TAPS] = std::array::from_fn(|t| start(first + t % n));
            for o in (0..others).step_by(vectors * LANES) {
                let at = Tile {
                    starts,
                    taps: first..first + n,
                    o,
                };
                // SAFETY: the CPU has AVX-512F, the sizes are as checked above, and the tile's
                // output channels `o .. o + 16·V` are inside `C_out` (a multiple of 16·V).
                unsafe {
                    match vectors {
                        4 => gradient_tile::<4>(&at, d, shifted, grad_z_t, out),
                        2 => gradient_tile::<2>(&at, d, shifted, grad_z_t, out),
                        _ => gradient_tile::<1>(&at, d, shifted, grad_z_t, out),
                    }
                }
            }
        }
    }

    /// A tile of the weights' gradient: 6 taps (the last tile's repeated) and `16·V` output
    /// channels from `o`.
    struct Tile {
        /// Where each tap's values start in the shifted planes.
        starts: [usize; TAPS],
        /// The taps whose sums are stored.
        taps: std::ops::Range<usize>,
        o: usize,
    }

    /// # Safety
    /// As [`weight_gradient`]'s, with the tile inside the output.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn gradient_tile<const V: usize>(
        at: &Tile,
        d: &WeightGradient,
        shifted: &[f32],
        grad_z_t: &[f32],
        out: *mut f32,
    ) {
        let others = d.others;
        let mut acc = [[_mm512_setzero_ps(); V]; TAPS];
        let (x, g) = (shifted.as_ptr(), grad_z_t[at.o..].as_ptr());
        for q in 0..d.height * d.width {
            // SAFETY: pixel `q` of a tap is inside its shifted plane, and the `16·V` gradients
            // of pixel `q` from channel `o` are inside row `q` of `grad_z_t`.
            unsafe {
                let gs: [__m512; V] =
                    std::array::from_fn(|v| _mm512_loadu_ps(g.add(q * others + v * LANES)));
                for (row, &start) in acc.iter_mut().zip(&at.starts) {
                    let s = _mm512_set1_ps(*x.add(start + q));
                    for (a, &gv) in row.iter_mut().zip(&gs) {
                        *a = _mm512_fmadd_ps(s, gv, *a);
                    }
                }
            }
        }
        for (tap, row) in at.taps.clone().zip(&acc) {
            for (v, &a) in row.iter().enumerate() {
                // SAFETY: tap `tap`'s row of the output holds channels `o .. o + 16·V`.
                unsafe { _mm512_storeu_ps(out.add(tap * others + at.o + v * LANES), a) };
            }
        }
    }
}
