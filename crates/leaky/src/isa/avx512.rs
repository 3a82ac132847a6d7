//! The AVX-512 tier (AVX-512F only): 16 `f32` or 8 `f64` lanes, tails by masked loads and stores.
//!
//! Every `unsafe` block here calls an AVX-512F intrinsic. That is sound because a value of
//! [`Avx512`] exists only after [`Avx512::new`] has seen `avx512f` at run time; the pointer
//! intrinsics are further bounded by the slice lengths, checked (or masked) beside each one.

use std::arch::x86_64::*;

use super::simd::{Simd, SimdF32, Vectorize};

/// The AVX-512 tier's token: proof that this processor has AVX-512F.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512 {
    _private: (),
}

impl Avx512 {
    /// The token, if the processor has AVX-512F.
    pub(crate) fn new() -> Option<Self> {
        is_x86_feature_detected!("avx512f").then_some(Avx512 { _private: () })
    }
}

impl Vectorize for Avx512 {
    /// Runs `f` compiled with AVX-512F enabled (`f` and what it calls inline into it).
    #[inline(always)]
    fn vectorize<R>(self, f: impl FnOnce(Self) -> R) -> R {
        #[target_feature(enable = "avx512f")]
        fn with_avx512<R>(token: Avx512, f: impl FnOnce(Avx512) -> R) -> R {
            f(token)
        }
        // SAFETY: the token proves the CPU has avx512f (see `Avx512::new`).
        unsafe { with_avx512(self, f) }
    }
}

/// The mask of the first `n < 32` lanes.
#[inline(always)]
fn first_lanes(n: usize) -> u32 {
    (1u32 << n) - 1
}

impl Simd<f32> for Avx512 {
    type V = __m512;
    type M = __mmask16;
    const LANES: usize = 16;

    #[inline(always)]
    fn splat(self, v: f32) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_set1_ps(v) }
    }
    #[inline(always)]
    fn load(self, s: &[f32]) -> __m512 {
        assert!(s.len() >= 16);
        // SAFETY: token ⇒ avx512f; 16 elements readable (asserted); loadu has no alignment need.
        unsafe { _mm512_loadu_ps(s.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, d: &mut [f32], v: __m512) {
        assert!(d.len() >= 16);
        // SAFETY: token ⇒ avx512f; 16 elements writable (asserted).
        unsafe { _mm512_storeu_ps(d.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_stream(self, d: &mut [f32], v: __m512) {
        assert!(d.len() >= 16);
        if (d.as_ptr() as usize).is_multiple_of(64) {
            // SAFETY: token ⇒ avx512f; 16 elements writable (asserted), 64-byte aligned
            // (checked), as `movntps` requires.
            unsafe { _mm512_stream_ps(d.as_mut_ptr(), v) }
        } else {
            self.store(d, v);
        }
    }
    #[inline(always)]
    fn stream_fence(self) {
        // SAFETY: `sfence` is SSE, part of x86-64.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn load_partial(self, s: &[f32]) -> __m512 {
        debug_assert!(s.len() < 16);
        let m = first_lanes(s.len().min(15)) as __mmask16;
        // SAFETY: token ⇒ avx512f; only the masked lanes (within `s`) are read, and masked-out
        // lanes never fault.
        unsafe { _mm512_maskz_loadu_ps(m, s.as_ptr()) }
    }
    #[inline(always)]
    fn store_partial(self, d: &mut [f32], v: __m512) {
        debug_assert!(d.len() < 16);
        let m = first_lanes(d.len().min(15)) as __mmask16;
        // SAFETY: token ⇒ avx512f; only the masked lanes (within `d`) are written.
        unsafe { _mm512_mask_storeu_ps(d.as_mut_ptr(), m, v) }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn recip(self, a: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f (`vrcp14ps`: relative error below 2^-14).
        unsafe { _mm512_rcp14_ps(a) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_max_ps(a, b) }
    }
    #[inline(always)]
    fn min(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_min_ps(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_abs_ps(a) }
    }
    #[inline(always)]
    fn neg_abs(self, a: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe {
            _mm512_castsi512_ps(_mm512_or_si512(
                _mm512_castps_si512(a),
                _mm512_set1_epi32(i32::MIN),
            ))
        }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m512, sign: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe {
            let sign_bit = _mm512_and_si512(_mm512_castps_si512(sign), _mm512_set1_epi32(i32::MIN));
            _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(mag), sign_bit))
        }
    }
    #[inline(always)]
    fn gt(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __mmask16, a: __m512, b: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f. `mask_blend(k, b, a)` takes `a` where `k` is set.
        unsafe { _mm512_mask_blend_ps(m, b, a) }
    }
}

impl SimdF32 for Avx512 {
    #[inline(always)]
    fn times_pow2i(self, p: __m512, n: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_scalef_ps(p, n) }
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], i: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f; the load reads the 8 elements of `table`. `vpermps` uses the
        // low 4 bits of each index, and indices 0..8 pick the loaded half (NaN converts to
        // i32::MIN, index 0).
        unsafe {
            let t = _mm512_castps256_ps512(_mm256_loadu_ps(table.as_ptr()));
            _mm512_permutexvar_ps(
                _mm512_and_si512(_mm512_cvttps_epi32(i), _mm512_set1_epi32(7)),
                t,
            )
        }
    }
    #[inline(always)]
    fn ldexp(self, p: __m512, n: __m512) -> __m512 {
        // SAFETY: token ⇒ avx512f. `vscalefps` computes p·2^floor(n) with one rounding,
        // subnormal results included.
        unsafe { _mm512_scalef_ps(p, n) }
    }
}

impl Simd<f64> for Avx512 {
    type V = __m512d;
    type M = __mmask8;
    const LANES: usize = 8;

    #[inline(always)]
    fn splat(self, v: f64) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_set1_pd(v) }
    }
    #[inline(always)]
    fn load(self, s: &[f64]) -> __m512d {
        assert!(s.len() >= 8);
        // SAFETY: token ⇒ avx512f; 8 elements readable (asserted).
        unsafe { _mm512_loadu_pd(s.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, d: &mut [f64], v: __m512d) {
        assert!(d.len() >= 8);
        // SAFETY: token ⇒ avx512f; 8 elements writable (asserted).
        unsafe { _mm512_storeu_pd(d.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_stream(self, d: &mut [f64], v: __m512d) {
        assert!(d.len() >= 8);
        if (d.as_ptr() as usize).is_multiple_of(64) {
            // SAFETY: token ⇒ avx512f; 8 elements writable (asserted), 64-byte aligned
            // (checked), as `movntpd` requires.
            unsafe { _mm512_stream_pd(d.as_mut_ptr(), v) }
        } else {
            self.store(d, v);
        }
    }
    #[inline(always)]
    fn stream_fence(self) {
        // SAFETY: `sfence` is SSE, part of x86-64.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn load_partial(self, s: &[f64]) -> __m512d {
        debug_assert!(s.len() < 8);
        let m = first_lanes(s.len().min(7)) as __mmask8;
        // SAFETY: token ⇒ avx512f; only the masked lanes (within `s`) are read.
        unsafe { _mm512_maskz_loadu_pd(m, s.as_ptr()) }
    }
    #[inline(always)]
    fn store_partial(self, d: &mut [f64], v: __m512d) {
        debug_assert!(d.len() < 8);
        let m = first_lanes(d.len().min(7)) as __mmask8;
        // SAFETY: token ⇒ avx512f; only the masked lanes (within `d`) are written.
        unsafe { _mm512_mask_storeu_pd(d.as_mut_ptr(), m, v) }
    }
    #[inline(always)]
    fn add(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_add_pd(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_sub_pd(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_mul_pd(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_div_pd(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_fnmadd_pd(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_max_pd(a, b) }
    }
    #[inline(always)]
    fn min(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_min_pd(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_abs_pd(a) }
    }
    #[inline(always)]
    fn neg_abs(self, a: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe {
            _mm512_castsi512_pd(_mm512_or_si512(
                _mm512_castpd_si512(a),
                _mm512_set1_epi64(i64::MIN),
            ))
        }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m512d, sign: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe {
            let sign_bit = _mm512_and_si512(_mm512_castpd_si512(sign), _mm512_set1_epi64(i64::MIN));
            _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(mag), sign_bit))
        }
    }
    #[inline(always)]
    fn gt(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __mmask8, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: token ⇒ avx512f.
        unsafe { _mm512_mask_blend_pd(m, b, a) }
    }
}
