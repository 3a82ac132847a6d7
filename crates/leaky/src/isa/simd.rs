//! The vector abstraction every kernel is written against, once.
//!
//! A tier is a zero-sized *token* (`Portable`, `Avx2`, `Avx512`) that can only be built when the
//! processor has the instructions it needs, and that implements [`Simd<T>`] for `f32` and `f64`.
//! A kernel is a generic `#[inline(always)]` function over `S: Simd<T>`; the tier's
//! [`Vectorize::vectorize`] runs it inside a `#[target_feature]` function, so the whole body is
//! compiled for that tier.

use crate::Float;

/// Running code compiled for a tier.
pub trait Vectorize: Copy {
    /// Runs `f` (an `#[inline(always)]` closure) inside a function compiled with the tier's
    /// target features, into which `f` and the kernels it calls inline.
    ///
    /// Every call site gets a function of its own: call it once per kernel, not around a `match`
    /// of kernels. An unoptimised build keeps every local of a function in its frame, and one
    /// function holding every kernel took 2.3 MB of stack, more than a spawned thread's 2 MiB.
    fn vectorize<R>(self, f: impl FnOnce(Self) -> R) -> R;
}

/// Vector operations on `LANES` elements of `T` for one instruction set.
///
/// Comparisons are IEEE *ordered* comparisons: false when either side is NaN, as `>` and `<=`
/// are in Rust. Every method is `#[inline(always)]` in the implementations.
pub trait Simd<T: Float>: Copy {
    /// A vector of `LANES` elements.
    type V: Copy;
    /// The result of a comparison, one boolean per lane.
    type M: Copy;
    /// How many elements one vector holds.
    const LANES: usize;

    /// Every lane `v`.
    fn splat(self, v: T) -> Self::V;
    /// Loads the first `LANES` elements of `s`. Panics if `s` is shorter.
    fn load(self, s: &[T]) -> Self::V;
    /// Stores into the first `LANES` elements of `d`. Panics if `d` is shorter.
    fn store(self, d: &mut [T], v: Self::V);
    /// As [`Simd::store`], but a non-temporal store (bypassing the caches) where the tier has one
    /// and `d` is aligned to the vector's size; a plain store otherwise, so that consecutive
    /// stores to one cache line are all non-temporal or all plain. Follow with
    /// [`Simd::stream_fence`].
    #[inline(always)]
    fn store_stream(self, d: &mut [T], v: Self::V) {
        self.store(d, v);
    }
    /// `v`, hidden from the optimizer (no instruction), for a store back to where `v`'s input
    /// was loaded. Otherwise LLVM turns `store(select(m, a, load(p)), p)` (ReLU and LeakyReLU
    /// in place) into a masked store, which AVX2 has only as `vmaskmov`: slow on AMD's cores
    /// (in-place ReLU ran at 0.12x of a copy on an AMD EPYC). Identity where that cannot happen.
    #[inline(always)]
    fn opaque(self, v: Self::V) -> Self::V {
        v
    }
    /// Orders the non-temporal stores before anything that follows (`sfence`); no-op without them.
    #[inline(always)]
    fn stream_fence(self) {}
    /// Loads `s.len() < LANES` elements without touching memory past `s`; the other lanes are 0.
    fn load_partial(self, s: &[T]) -> Self::V;
    /// Stores the first `d.len() < LANES` lanes without touching memory past `d`.
    fn store_partial(self, d: &mut [T], v: Self::V);

    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a / b`, correctly rounded.
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · b + c`, fused (one rounding) where the tier has FMA, two roundings otherwise.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `c - a · b`, fused where the tier has FMA.
    fn neg_mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `1/a`, either correctly rounded or (AVX-512, `vrcp14`) within a relative 2^-14: for use
    /// with a correction step.
    #[inline(always)]
    fn recip(self, a: Self::V) -> Self::V {
        self.div(self.splat(T::ONE), a)
    }
    /// `a > b ? a : b` (x86 `max`): NaN in `b` passes through, NaN in `a` gives `b`.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a < b ? a : b` (x86 `min`): NaN in `b` passes through, NaN in `a` gives `b`.
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// `|a|` (clears the sign bit, NaN stays NaN).
    fn abs(self, a: Self::V) -> Self::V;
    /// `-|a|` (sets the sign bit).
    fn neg_abs(self, a: Self::V) -> Self::V;
    /// The sign bit of `sign` on the magnitude `mag` (`mag` must have a clear sign bit).
    fn or_sign(self, mag: Self::V, sign: Self::V) -> Self::V;

    /// `a > b`, false for NaN.
    fn gt(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a <= b`, false for NaN.
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a < b`, false for NaN.
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    /// `m ? a : b`, lane by lane.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;
}

/// `f32` exponent manipulation, for the vector exponential.
pub trait SimdF32: Simd<f32> {
    /// `p·2^n` for integer-valued `n`, exact where `p` and the result are normal floats: `n` is
    /// added to `p`'s exponent field.
    fn times_pow2i(self, p: Self::V, n: Self::V) -> Self::V;

    /// `table[i]` lane by lane, for `i` in `[0, 8)` (truncated to an integer; NaN reads
    /// `table[0]`): a per-lane choice among eight constants, such as piecewise coefficients.
    fn lookup8(self, table: &[f32; 8], i: Self::V) -> Self::V;

    /// `p · 2^n` rounded once (also into the subnormals), for `p` in `[0.5, 2)` and
    /// integer-valued `n` in `[-160, 92]`. By default `(p·2^(n+35))·2^-35`: the first product is
    /// exact and normal (an integer addition), the second exact while the result is normal and
    /// rounding once below, with no per-lane choice.
    #[inline(always)]
    fn ldexp(self, p: Self::V, n: Self::V) -> Self::V {
        let up = self.times_pow2i(p, self.add(n, self.splat(35.0)));
        self.mul(up, self.splat(f32::from_bits(0x2e00_0000))) // 2^-35
    }
}
