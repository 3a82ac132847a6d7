//! The portable tier: fixed-size arrays and plain loops that the compiler vectorises for the
//! baseline of the target (SSE2 on x86-64, NEON on aarch64). No `unsafe`, runs everywhere.
//!
//! `mul_add` on `f32` goes through `f64`, where the product of two `f32` is exact, so it rounds
//! (almost always) as a fused multiply-add would, without a slow software `fma`; the vector math
//! relies on that for its error bounds. On `f64` it is a multiply and an add.

use super::simd::{Simd, SimdF32, Vectorize};

/// The portable tier's token. Always available.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Vectorize for Portable {
    /// Runs `f` with the token, in a function of its own (no target features to enable).
    #[inline(always)]
    fn vectorize<R>(self, f: impl FnOnce(Self) -> R) -> R {
        fn with_portable<R>(token: Portable, f: impl FnOnce(Portable) -> R) -> R {
            f(token)
        }
        with_portable(self, f)
    }
}

#[inline(always)]
fn map<T: Copy, const N: usize>(a: [T; N], f: impl Fn(T) -> T) -> [T; N] {
    let mut out = a;
    for o in &mut out {
        *o = f(*o);
    }
    out
}

#[inline(always)]
fn zip<T: Copy, U: Copy + Default, const N: usize>(
    a: [T; N],
    b: [T; N],
    f: impl Fn(T, T) -> U,
) -> [U; N] {
    let mut out = [U::default(); N];
    for i in 0..N {
        out[i] = f(a[i], b[i]);
    }
    out
}

macro_rules! portable_impl {
    ($t:ty, $n:literal, $bits:ty, $wide:ty) => {
        impl Simd<$t> for Portable {
            type V = [$t; $n];
            type M = [bool; $n];
            const LANES: usize = $n;

            #[inline(always)]
            fn splat(self, v: $t) -> Self::V {
                [v; $n]
            }
            #[inline(always)]
            fn load(self, s: &[$t]) -> Self::V {
                s[..$n].try_into().expect("slice has LANES elements")
            }
            #[inline(always)]
            fn store(self, d: &mut [$t], v: Self::V) {
                d[..$n].copy_from_slice(&v);
            }
            #[inline(always)]
            fn load_partial(self, s: &[$t]) -> Self::V {
                let mut v = [0.0; $n];
                v[..s.len()].copy_from_slice(s);
                v
            }
            #[inline(always)]
            fn store_partial(self, d: &mut [$t], v: Self::V) {
                let n = d.len();
                d.copy_from_slice(&v[..n]);
            }
            #[inline(always)]
            fn add(self, a: Self::V, b: Self::V) -> Self::V {
                zip(a, b, |a, b| a + b)
            }
            #[inline(always)]
            fn sub(self, a: Self::V, b: Self::V) -> Self::V {
                zip(a, b, |a, b| a - b)
            }
            #[inline(always)]
            fn mul(self, a: Self::V, b: Self::V) -> Self::V {
                zip(a, b, |a, b| a * b)
            }
            #[inline(always)]
            fn div(self, a: Self::V, b: Self::V) -> Self::V {
                zip(a, b, |a, b| a / b)
            }
            #[inline(always)]
            fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V {
                let p = zip(a, b, |a, b| <$wide>::from(a) * <$wide>::from(b));
                let mut out = c;
                for i in 0..$n {
                    out[i] = (p[i] + <$wide>::from(c[i])) as $t;
                }
                out
            }
            #[inline(always)]
            fn neg_mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V {
                let p = zip(a, b, |a, b| <$wide>::from(a) * <$wide>::from(b));
                let mut out = c;
                for i in 0..$n {
                    out[i] = (<$wide>::from(c[i]) - p[i]) as $t;
                }
                out
            }
            #[inline(always)]
            fn max(self, a: Self::V, b: Self::V) -> Self::V {
                zip(a, b, |a, b| if a > b { a } else { b })
            }
            #[inline(always)]
            fn min(self, a: Self::V, b: Self::V) -> Self::V {
                zip(a, b, |a, b| if a < b { a } else { b })
            }
            #[inline(always)]
            fn abs(self, a: Self::V) -> Self::V {
                map(a, |a| {
                    <$t>::from_bits(a.to_bits() & !(1 << (<$bits>::BITS - 1)))
                })
            }
            #[inline(always)]
            fn neg_abs(self, a: Self::V) -> Self::V {
                map(a, |a| {
                    <$t>::from_bits(a.to_bits() | (1 << (<$bits>::BITS - 1)))
                })
            }
            #[inline(always)]
            fn or_sign(self, mag: Self::V, sign: Self::V) -> Self::V {
                zip(mag, sign, |m, s| {
                    <$t>::from_bits(m.to_bits() | (s.to_bits() & (1 << (<$bits>::BITS - 1))))
                })
            }
            #[inline(always)]
            fn gt(self, a: Self::V, b: Self::V) -> Self::M {
                zip(a, b, |a, b| a > b)
            }
            #[inline(always)]
            fn le(self, a: Self::V, b: Self::V) -> Self::M {
                zip(a, b, |a, b| a <= b)
            }
            #[inline(always)]
            fn lt(self, a: Self::V, b: Self::V) -> Self::M {
                zip(a, b, |a, b| a < b)
            }
            #[inline(always)]
            fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V {
                let mut out = b;
                for i in 0..$n {
                    if m[i] {
                        out[i] = a[i];
                    }
                }
                out
            }
        }
    };
}

portable_impl!(f32, 8, u32, f64);
portable_impl!(f64, 4, u64, f64);

impl SimdF32 for Portable {
    #[inline(always)]
    fn times_pow2i(self, p: Self::V, n: Self::V) -> Self::V {
        zip(p, n, |p, n| {
            f32::from_bits(p.to_bits().wrapping_add((n as i32 as u32) << 23))
        })
    }
    #[inline(always)]
    fn lookup8(self, table: &[f32; 8], i: Self::V) -> Self::V {
        // `as usize` truncates (NaN gives 0); the mask keeps the index in bounds.
        map(i, |i| table[(i as usize) & 7])
    }
}
