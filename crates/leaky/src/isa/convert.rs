//! Conversions between the 16-bit storage types (`half::f16`, `half::bf16`) and `f32`, per tier.
//!
//! Widening is exact. Narrowing rounds to nearest, ties to even, into the subnormals and up to
//! ±inf (a finite `f32` at or beyond the largest value plus half an ULP becomes ±inf, as IEEE 754
//! rounds). A NaN comes out a quiet NaN of its sign, never an infinity.
//!
//! | tier | `f16` | `bf16` |
//! |---|---|---|
//! | AVX-512 | `vcvtph2ps` / `vcvtps2ph` on 16 lanes (AVX-512F) | the integer rounding below, compiled for AVX-512 |
//! | AVX2 | `vcvtph2ps` / `vcvtps2ph` on 8 lanes (F16C) | the integer rounding, compiled for AVX2 |
//! | portable, scalar | the bit arithmetic below, vectorised by the compiler | the integer rounding |
//!
//! `bf16` is the upper half of an `f32`, so narrowing is an integer addition: `bits + 0x7fff +
//! (bit 16)`, then the upper 16 bits. AVX-512 BF16's `vcvtneps2bf16` is not used: it flushes
//! subnormal inputs to zero.

use half::{bf16, f16};

use super::portable::Portable;
use super::simd::Vectorize;

#[cfg(target_arch = "x86_64")]
use super::{avx2::Avx2, avx512::Avx512};
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Widening 16-bit elements to `f32` and narrowing `f32` back, over slices of one length (the
/// destination may be longer: only the source's length is written).
pub trait Convert: Copy {
    /// `dst[i] = src[i]` as `f32`, exactly.
    fn widen_f16(self, src: &[f16], dst: &mut [f32]);
    /// `dst[i] = src[i]` rounded to `f16`.
    fn narrow_f16(self, src: &[f32], dst: &mut [f16]);
    /// `dst[i] = src[i]` as `f32`, exactly.
    fn widen_bf16(self, src: &[bf16], dst: &mut [f32]);
    /// `dst[i] = src[i]` rounded to `bf16`.
    fn narrow_bf16(self, src: &[f32], dst: &mut [bf16]);
}

/// `2^-24`, the step of the `f16` subnormals.
const F16_SUBNORMAL_STEP: f32 = 5.960_464_5e-8;

/// The `f16` with bits `h` as `f32`, exactly. A NaN keeps its sign and payload and comes out
/// quiet.
#[inline(always)]
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let sign = (h & 0x8000) << 16;
    let mag = h & 0x7fff;
    let bits = if mag >= 0x7c00 {
        // ±inf and NaN: the exponent all ones; a NaN gets the quiet bit.
        let quiet = if mag > 0x7c00 { 0x0040_0000 } else { 0 };
        0x7f80_0000 | (mag << 13) | quiet
    } else if mag >= 0x0400 {
        // Normal: the exponent's bias goes from 15 to 127.
        (mag << 13) + ((127 - 15) << 23)
    } else {
        // Zero and subnormal: mag · 2^-24, exact in f32.
        (mag as f32 * F16_SUBNORMAL_STEP).to_bits()
    };
    f32::from_bits(sign | bits)
}

/// `x` rounded to the nearest `f16` (ties to even), as bits. A NaN becomes a quiet NaN with the
/// sign and the top payload bits.
#[inline(always)]
pub(crate) fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = (b >> 16) & 0x8000;
    let a = b & 0x7fff_ffff;
    let mag = if a > 0x7f80_0000 {
        0x7e00 | ((a >> 13) & 0x03ff)
    } else if a >= 0x477f_f000 {
        // 65520 = 65504 + half an ULP and up (a tie, to the even side: inf), and inf.
        0x7c00
    } else if a >= 0x3880_0000 {
        // Normal in f16 (≥ 2^-14): rebias, then round away the 13 low mantissa bits to nearest
        // even (a carry moves into the exponent, as it should).
        let r = a - ((127 - 15) << 23);
        (r + 0x0fff + ((r >> 13) & 1)) >> 13
    } else {
        // Below 2^-14: 0.5 + |x| rounds |x| to a multiple of 2^-24 (the ULP of 0.5, and the step
        // of the f16 subnormals), to nearest even by the hardware; the mantissa is then that
        // multiple, 0x400 (the smallest normal) included.
        (f32::from_bits(a) + 0.5).to_bits() - 0x3f00_0000
    };
    (sign | mag) as u16
}

/// The `bf16` with bits `h` as `f32`: the upper half of its bits, exactly.
#[inline(always)]
pub(crate) fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

/// `x` rounded to the nearest `bf16` (ties to even), as bits. A NaN becomes a quiet NaN with the
/// sign and the top payload bits (an integer rounding could carry it into an infinity).
#[inline(always)]
pub(crate) fn f32_to_bf16(x: f32) -> u16 {
    let b = x.to_bits();
    if b & 0x7fff_ffff > 0x7f80_0000 {
        ((b >> 16) | 0x0040) as u16
    } else {
        ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
    }
}

/// The element loops of the bit arithmetic above: plain loops, which the compiler vectorises for
/// the tier whose `vectorize` they run in.
#[inline(always)]
fn widen_f16_bits(src: &[f16], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = f16_to_f32(s.to_bits());
    }
}

#[inline(always)]
fn narrow_f16_bits(src: &[f32], dst: &mut [f16]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f16::from_bits(f32_to_f16(s));
    }
}

#[inline(always)]
fn widen_bf16_bits(src: &[bf16], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = bf16_to_f32(s.to_bits());
    }
}

#[inline(always)]
fn narrow_bf16_bits(src: &[f32], dst: &mut [bf16]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = bf16::from_bits(f32_to_bf16(s));
    }
}

/// Implements the `bf16` methods of [`Convert`] as the integer loops compiled for the tier.
macro_rules! bf16_by_bits {
    () => {
        fn widen_bf16(self, src: &[bf16], dst: &mut [f32]) {
            self.vectorize(
                #[inline(always)]
                move |_| widen_bf16_bits(src, dst),
            )
        }
        fn narrow_bf16(self, src: &[f32], dst: &mut [bf16]) {
            self.vectorize(
                #[inline(always)]
                move |_| narrow_bf16_bits(src, dst),
            )
        }
    };
}

impl Convert for Portable {
    fn widen_f16(self, src: &[f16], dst: &mut [f32]) {
        self.vectorize(
            #[inline(always)]
            move |_| widen_f16_bits(src, dst),
        )
    }
    fn narrow_f16(self, src: &[f32], dst: &mut [f16]) {
        self.vectorize(
            #[inline(always)]
            move |_| narrow_f16_bits(src, dst),
        )
    }
    bf16_by_bits!();
}

/// `vcvtps2ph`'s rounding: to nearest, ties to even (whatever MXCSR says).
#[cfg(target_arch = "x86_64")]
const ROUND_NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT;

#[cfg(target_arch = "x86_64")]
impl Convert for Avx2 {
    fn widen_f16(self, src: &[f16], dst: &mut [f32]) {
        self.vectorize(
            #[inline(always)]
            move |_| {
                let dst = &mut dst[..src.len()];
                let mut ss = src.chunks_exact(8);
                let mut ds = dst.chunks_exact_mut(8);
                for (s, d) in (&mut ss).zip(&mut ds) {
                    // SAFETY: token ⇒ avx, f16c; 8 elements of 2 bytes readable and 8 of 4
                    // writable (`chunks_exact`); the unaligned forms have no alignment need, and
                    // `f16` is a `u16` (`repr(transparent)`).
                    unsafe {
                        let h = _mm_loadu_si128(s.as_ptr().cast());
                        _mm256_storeu_ps(d.as_mut_ptr(), _mm256_cvtph_ps(h));
                    }
                }
                widen_f16_bits(ss.remainder(), ds.into_remainder());
            },
        )
    }
    fn narrow_f16(self, src: &[f32], dst: &mut [f16]) {
        self.vectorize(
            #[inline(always)]
            move |_| {
                let dst = &mut dst[..src.len()];
                let mut ss = src.chunks_exact(8);
                let mut ds = dst.chunks_exact_mut(8);
                for (s, d) in (&mut ss).zip(&mut ds) {
                    // SAFETY: as in `widen_f16`, the other way.
                    unsafe {
                        let h = _mm256_cvtps_ph::<ROUND_NEAREST>(_mm256_loadu_ps(s.as_ptr()));
                        _mm_storeu_si128(d.as_mut_ptr().cast(), h);
                    }
                }
                narrow_f16_bits(ss.remainder(), ds.into_remainder());
            },
        )
    }
    bf16_by_bits!();
}

#[cfg(target_arch = "x86_64")]
impl Convert for Avx512 {
    fn widen_f16(self, src: &[f16], dst: &mut [f32]) {
        self.vectorize(
            #[inline(always)]
            move |_| {
                let dst = &mut dst[..src.len()];
                let mut ss = src.chunks_exact(16);
                let mut ds = dst.chunks_exact_mut(16);
                for (s, d) in (&mut ss).zip(&mut ds) {
                    // SAFETY: token ⇒ avx512f; 16 elements of 2 bytes readable and 16 of 4
                    // writable (`chunks_exact`); the unaligned forms have no alignment need, and
                    // `f16` is a `u16` (`repr(transparent)`).
                    unsafe {
                        let h = _mm256_loadu_si256(s.as_ptr().cast());
                        _mm512_storeu_ps(d.as_mut_ptr(), _mm512_cvtph_ps(h));
                    }
                }
                widen_f16_bits(ss.remainder(), ds.into_remainder());
            },
        )
    }
    fn narrow_f16(self, src: &[f32], dst: &mut [f16]) {
        self.vectorize(
            #[inline(always)]
            move |_| {
                let dst = &mut dst[..src.len()];
                let mut ss = src.chunks_exact(16);
                let mut ds = dst.chunks_exact_mut(16);
                for (s, d) in (&mut ss).zip(&mut ds) {
                    // SAFETY: as in `widen_f16`, the other way.
                    unsafe {
                        let h = _mm512_cvtps_ph::<ROUND_NEAREST>(_mm512_loadu_ps(s.as_ptr()));
                        _mm256_storeu_si256(d.as_mut_ptr().cast(), h);
                    }
                }
                narrow_f16_bits(ss.remainder(), ds.into_remainder());
            },
        )
    }
    bf16_by_bits!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f32` values that exercise narrowing: every 16-bit value of both types as `f32`, the
    /// midpoints between neighbours and one `f32` ULP either side of each, and a stride through
    /// all `f32` bit patterns.
    fn narrowing_inputs() -> Vec<f32> {
        let mut xs: Vec<f32> = (0..u32::MAX).step_by(4099).map(f32::from_bits).collect();
        for h in 0..=u16::MAX {
            for v in [f16::from_bits(h).to_f32(), bf16::from_bits(h).to_f32()] {
                let b = v.to_bits();
                // Either side of v, at 1 and 2 f32 ULPs, and the midpoints to the f16 and bf16
                // neighbours (at 2^12 and 2^15 f32 ULPs), and one ULP either side of those.
                for d in [1u32, 2, 0x0fff, 0x1000, 0x1001, 0x7fff, 0x8000, 0x8001] {
                    xs.push(f32::from_bits(b.wrapping_add(d)));
                    xs.push(f32::from_bits(b.wrapping_sub(d)));
                }
                xs.push(v);
            }
        }
        xs
    }

    fn check(name: &str, c: impl Convert) {
        let all: Vec<u16> = (0..=u16::MAX).collect();
        let halves: Vec<f16> = all.iter().map(|&h| f16::from_bits(h)).collect();
        let brains: Vec<bf16> = all.iter().map(|&h| bf16::from_bits(h)).collect();
        let mut wide = vec![0.0f32; all.len()];
        c.widen_f16(&halves, &mut wide);
        for (h, w) in halves.iter().zip(&wide) {
            let want = h.to_f32();
            assert!(
                w.to_bits() == want.to_bits() || (w.is_nan() && want.is_nan()),
                "{name}: widen f16 {:#06x}: {w:e}, want {want:e}",
                h.to_bits()
            );
        }
        c.widen_bf16(&brains, &mut wide);
        for (h, w) in brains.iter().zip(&wide) {
            let want = h.to_f32();
            assert!(
                w.to_bits() == want.to_bits() || (w.is_nan() && want.is_nan()),
                "{name}: widen bf16 {:#06x}: {w:e}, want {want:e}",
                h.to_bits()
            );
        }
        let xs = narrowing_inputs();
        let mut narrow = vec![f16::ZERO; xs.len()];
        c.narrow_f16(&xs, &mut narrow);
        for (x, h) in xs.iter().zip(&narrow) {
            let bits = h.to_bits();
            if x.is_nan() {
                let quiet_nan = bits & 0x7e00 == 0x7e00;
                assert!(quiet_nan && bits >> 15 == u16::from(x.is_sign_negative()));
            } else {
                let want = f16::from_f32(*x).to_bits();
                assert_eq!(
                    bits,
                    want,
                    "{name}: narrow {x:e} ({:#010x}) to f16",
                    x.to_bits()
                );
            }
        }
        let mut narrow = vec![bf16::ZERO; xs.len()];
        c.narrow_bf16(&xs, &mut narrow);
        for (x, h) in xs.iter().zip(&narrow) {
            let bits = h.to_bits();
            if x.is_nan() {
                let quiet_nan = bits & 0x7fc0 == 0x7fc0;
                assert!(quiet_nan && bits >> 15 == u16::from(x.is_sign_negative()));
            } else {
                let want = bf16::from_f32(*x).to_bits();
                assert_eq!(
                    bits,
                    want,
                    "{name}: narrow {x:e} ({:#010x}) to bf16",
                    x.to_bits()
                );
            }
        }
    }

    #[test]
    fn every_tier_converts_as_ieee_754_rounds() {
        check("portable", Portable);
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(avx2) = Avx2::new() {
                check("avx2", avx2);
            }
            if let Some(avx512) = Avx512::new() {
                check("avx512", avx512);
            }
        }
    }
}
