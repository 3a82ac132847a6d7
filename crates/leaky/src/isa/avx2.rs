//! The AVX2 + FMA tier: 8 `f32` or 4 `f64` lanes, tails by masked loads and stores
//! (`vmaskmov`, which never touches the masked-out lanes' memory).
//!
//! Every `unsafe` block here calls an AVX, AVX2 or FMA intrinsic. That is sound because a value
//! of [`Avx2`] exists only after [`Avx2::new`] has seen `avx2`, `fma` and `f16c` at run time; the pointer
//! intrinsics are further bounded by the slice lengths, checked (or masked) beside each one.

use std::arch::x86_64::*;

use super::simd::{Simd, SimdF32, Vectorize};

/// The AVX2 tier's token: proof that this processor has AVX2, FMA and F16C (the `f16`
/// conversions; every processor with AVX2 has it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2 {
    _private: (),
}

impl Avx2 {
    /// The token, if the processor has AVX2, FMA and F16C.
    pub(crate) fn new() -> Option<Self> {
        (is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("f16c"))
        .then_some(Avx2 { _private: () })
    }
}

impl Vectorize for Avx2 {
    /// Runs `f` compiled with AVX2, FMA and F16C enabled (`f` and what it calls inline into it).
    #[inline(always)]
    fn vectorize<R>(self, f: impl FnOnce(Self) -> R) -> R {
        #[target_feature(enable = "avx2,fma,f16c")]
        fn with_avx2<R>(token: Avx2, f: impl FnOnce(Avx2) -> R) -> R {
            f(token)
        }
        // SAFETY: the token proves the CPU has avx2, fma and f16c (see `Avx2::new`).
        unsafe { with_avx2(self, f) }
    }
}

impl Simd<f32> for Avx2 {
    type V = __m256;
    type M = __m256;
    const LANES: usize = 8;

    #[inline(always)]
    fn splat(self, v: f32) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_set1_ps(v) }
    }
    #[inline(always)]
    fn load(self, s: &[f32]) -> __m256 {
        assert!(s.len() >= 8);
        // SAFETY: token ⇒ avx; 8 elements readable (asserted); loadu has no alignment need.
        unsafe { _mm256_loadu_ps(s.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, d: &mut [f32], v: __m256) {
        assert!(d.len() >= 8);
        // SAFETY: token ⇒ avx; 8 elements writable (asserted).
        unsafe { _mm256_storeu_ps(d.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_stream(self, d: &mut [f32], v: __m256) {
        assert!(d.len() >= 8);
        // 32-byte aligned, the vector's size: then every store of a cache line is
        // non-temporal or none is (a line written half streamed, half cached is flushed
        // half-written and read back: 100 times slower, measured on an AMD EPYC).
        if (d.as_ptr() as usize).is_multiple_of(32) {
            // SAFETY: token ⇒ avx; 8 elements writable (asserted), 32-byte aligned
            // (checked), as `movntps` requires.
            unsafe { _mm256_stream_ps(d.as_mut_ptr(), v) }
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
    fn opaque(self, v: __m256) -> __m256 {
        // SAFETY: token ⇒ avx (see `opaque_ps`).
        unsafe { opaque_ps(v) }
    }
    #[inline(always)]
    fn load_partial(self, s: &[f32]) -> __m256 {
        debug_assert!(s.len() < 8);
        // SAFETY: token ⇒ avx2; only the lanes whose mask is set (those within `s`) are read,
        // and masked-out lanes never fault.
        unsafe { _mm256_maskload_ps(s.as_ptr(), lanes_below_32(s.len())) }
    }
    #[inline(always)]
    fn store_partial(self, d: &mut [f32], v: __m256) {
        debug_assert!(d.len() < 8);
        // SAFETY: token ⇒ avx2; only the lanes whose mask is set (those within `d`) are written.
        unsafe { _mm256_maskstore_ps(d.as_mut_ptr(), lanes_below_32(d.len()), v) }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: token ⇒ fma.
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: token ⇒ fma.
        unsafe { _mm256_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_max_ps(a, b) }
    }
    #[inline(always)]
    fn min(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_min_ps(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), a) }
    }
    #[inline(always)]
    fn neg_abs(self, a: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_or_ps(a, _mm256_set1_ps(-0.0)) }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m256, sign: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_or_ps(mag, _mm256_and_ps(sign, _mm256_set1_ps(-0.0))) }
    }
    #[inline(always)]
    fn gt(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_cmp_ps::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __m256, a: __m256, b: __m256) -> __m256 {
        // SAFETY: token ⇒ avx. `blendv(b, a, m)` takes `a` where `m` is set.
        unsafe { _mm256_blendv_ps(b, a, m) }
    }
}

impl SimdF32 for Avx2 {
    #[inline(always)]
    fn times_pow2i(self, p: __m256, n: __m256) -> __m256 {
        // SAFETY: token ⇒ avx2.
        unsafe {
            let exponent = _mm256_slli_epi32::<23>(_mm256_cvtps_epi32(n));
            _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), exponent))
        }
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], i: __m256) -> __m256 {
        // SAFETY: token ⇒ avx2; the load reads the 8 elements of `table`; `vpermps` uses the
        // low 3 bits of each index (NaN converts to i32::MIN, index 0).
        unsafe { _mm256_permutevar8x32_ps(_mm256_loadu_ps(table.as_ptr()), _mm256_cvttps_epi32(i)) }
    }
}

/// The `vmaskmovps` mask of the first `n < 8` lanes.
#[inline(always)]
fn lanes_below_32(n: usize) -> __m256i {
    // SAFETY: only called from the `Avx2` methods above, so the CPU has avx2.
    unsafe {
        _mm256_cmpgt_epi32(
            _mm256_set1_epi32(n as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        )
    }
}

/// The `vmaskmovpd` mask of the first `n < 4` lanes.
#[inline(always)]
fn lanes_below_64(n: usize) -> __m256i {
    // SAFETY: only called from the `Avx2` methods below, so the CPU has avx2.
    unsafe { _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), _mm256_setr_epi64x(0, 1, 2, 3)) }
}

impl Simd<f64> for Avx2 {
    type V = __m256d;
    type M = __m256d;
    const LANES: usize = 4;

    #[inline(always)]
    fn splat(self, v: f64) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_set1_pd(v) }
    }
    #[inline(always)]
    fn load(self, s: &[f64]) -> __m256d {
        assert!(s.len() >= 4);
        // SAFETY: token ⇒ avx; 4 elements readable (asserted).
        unsafe { _mm256_loadu_pd(s.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, d: &mut [f64], v: __m256d) {
        assert!(d.len() >= 4);
        // SAFETY: token ⇒ avx; 4 elements writable (asserted).
        unsafe { _mm256_storeu_pd(d.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_stream(self, d: &mut [f64], v: __m256d) {
        assert!(d.len() >= 4);
        // 32-byte aligned, the vector's size (see the `f32` store).
        if (d.as_ptr() as usize).is_multiple_of(32) {
            // SAFETY: token ⇒ avx; 4 elements writable (asserted), 32-byte aligned
            // (checked), as `movntpd` requires.
            unsafe { _mm256_stream_pd(d.as_mut_ptr(), v) }
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
    fn opaque(self, v: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx (see `opaque_pd`).
        unsafe { opaque_pd(v) }
    }
    #[inline(always)]
    fn load_partial(self, s: &[f64]) -> __m256d {
        debug_assert!(s.len() < 4);
        // SAFETY: token ⇒ avx2; only the lanes within `s` are read.
        unsafe { _mm256_maskload_pd(s.as_ptr(), lanes_below_64(s.len())) }
    }
    #[inline(always)]
    fn store_partial(self, d: &mut [f64], v: __m256d) {
        debug_assert!(d.len() < 4);
        // SAFETY: token ⇒ avx2; only the lanes within `d` are written.
        unsafe { _mm256_maskstore_pd(d.as_mut_ptr(), lanes_below_64(d.len()), v) }
    }
    #[inline(always)]
    fn add(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_add_pd(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_sub_pd(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_mul_pd(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_div_pd(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: token ⇒ fma.
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: token ⇒ fma.
        unsafe { _mm256_fnmadd_pd(a, b, c) }
    }
    #[inline(always)]
    fn max(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_max_pd(a, b) }
    }
    #[inline(always)]
    fn min(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_min_pd(a, b) }
    }
    #[inline(always)]
    fn abs(self, a: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_andnot_pd(_mm256_set1_pd(-0.0), a) }
    }
    #[inline(always)]
    fn neg_abs(self, a: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_or_pd(a, _mm256_set1_pd(-0.0)) }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m256d, sign: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_or_pd(mag, _mm256_and_pd(sign, _mm256_set1_pd(-0.0))) }
    }
    #[inline(always)]
    fn gt(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_cmp_pd::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn le(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_cmp_pd::<_CMP_LE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_cmp_pd::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __m256d, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: token ⇒ avx.
        unsafe { _mm256_blendv_pd(b, a, m) }
    }
}

/// `v` through an empty `asm!` block: no instruction, but the optimizer no longer sees what
/// `v` is made of ([`Simd::opaque`]). A function of its own because a `ymm` operand needs
/// `avx` enabled where the block is; it inlines into the AVX2 kernels, which have it.
#[target_feature(enable = "avx")]
#[inline]
fn opaque_ps(mut v: __m256) -> __m256 {
    // SAFETY: the block is empty: it reads and writes only `v`'s register, no memory, stack
    // or flags.
    unsafe {
        std::arch::asm!("/* {0} */", inout(ymm_reg) v, options(pure, nomem, nostack, preserves_flags))
    };
    v
}

/// [`opaque_ps`] for `f64` lanes.
#[target_feature(enable = "avx")]
#[inline]
fn opaque_pd(mut v: __m256d) -> __m256d {
    // SAFETY: as in `opaque_ps`.
    unsafe {
        std::arch::asm!("/* {0} */", inout(ymm_reg) v, options(pure, nomem, nostack, preserves_flags))
    };
    v
}
