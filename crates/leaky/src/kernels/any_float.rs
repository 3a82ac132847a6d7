//! The kernels that every element type has: LeakyReLU and ReLU (compare and blend, the scalar
//! definitions' bits in every tier), sigmoid and tanh (the `f32` vector math, the scalar
//! definitions in `f64`), and the backward passes of those four. The `f32`-only kernels of the
//! other smooth activations are [`VectorMath`](crate::math::VectorMath) types, run by
//! [`Plan`](super::Plan) on `f32` slices only.

use super::loops::{map, map_in_place, scalar_map, scalar_zip, zip};
use super::thresholds;
use crate::isa::{Simd, Token, Vectorize};
use crate::math::VectorMath;
use crate::math::sigmoid::Sigmoid;
use crate::math::tanh::Tanh;
use crate::{Float, scalar};

/// An elementwise `y = f(x)` with a kernel in every element type.
#[derive(Clone, Copy, Debug)]
pub enum Map<T> {
    /// The same operations in every type and tier, the scalar definitions' bits.
    Exact(ExactMap<T>),
    /// Sigmoid (vector math in `f32`, the scalar definition in `f64`).
    Sigmoid,
    /// Tanh (vector math in `f32`, the scalar definition in `f64`).
    Tanh,
}

/// The forward kernels that are the same few operations in any element type.
#[derive(Clone, Copy, Debug)]
pub enum ExactMap<T> {
    /// `x > 0 ? x : α·x`.
    LeakyRelu(T),
    /// `x <= 0 ? 0 : x`.
    Relu,
}

/// An elementwise `out = f(a, g)` with a kernel in every element type: backward passes, `a`
/// being the input `x` or the output `y` of the forward.
#[derive(Clone, Copy, Debug)]
pub enum Zip<T> {
    /// The same operations in every type and tier, the scalar loops' bits.
    Exact(ExactZip<T>),
    /// `g·σ'(x)` (vector math in `f32`, the scalar definition in `f64`).
    SigmoidBackward,
    /// `g·tanh'(x)` (vector math in `f32`, the scalar definition in `f64`).
    TanhBackward,
}

/// The backward kernels that are the same few operations in any element type.
#[derive(Clone, Copy, Debug)]
pub enum ExactZip<T> {
    /// `x > 0 ? g : g·α` (also from the output when α ≥ 0).
    LeakyReluBackward(T),
    /// `x <= 0 ? 0 : g` (also from the output).
    ReluBackward,
    /// `g·(y·(1 - y))`, exactly the scalar loop's operations.
    SigmoidFromOutput,
    /// `g·(1 - y·y)`, exactly the scalar loop's operations.
    TanhFromOutput,
}

impl<T: Element> Map<T> {
    /// Below this length one thread does the whole slice.
    pub(crate) fn min_parallel_len(&self) -> usize {
        match self {
            Map::Exact(_) => thresholds::CHEAP,
            Map::Sigmoid | Map::Tanh => T::MATH_MIN_PARALLEL_LEN,
        }
    }
}

impl<T: Element> Zip<T> {
    /// Below this length one thread does the whole slice.
    pub(crate) fn min_parallel_len(&self) -> usize {
        match self {
            Zip::Exact(_) => thresholds::CHEAP,
            Zip::SigmoidBackward | Zip::TanhBackward => T::MATH_MIN_PARALLEL_LEN,
        }
    }
}

/// Runs [`zip`] over `$a`, `$g`, `$out` with the kernel `|$x, $y| $f`, compiled for the tier of
/// the token `$s`: one function per kernel (see [`Vectorize::vectorize`]).
macro_rules! vectorized_zip {
    ($s:ident, $a:ident, $g:ident, $out:ident, $stream:ident, |$x:ident, $y:ident| $f:expr) => {
        $s.vectorize(
            #[inline(always)]
            move |$s| {
                zip(
                    $s,
                    $a,
                    $g,
                    $out,
                    $stream,
                    #[inline(always)]
                    |$x, $y| $f,
                )
            },
        )
    };
}

/// The element types the kernels run on, with the kernel bodies for each [`Map`] and [`Zip`].
pub trait Element: Copy + Send + Sync + 'static {
    /// Below this length one thread runs a smooth function's kernel: the vector math in `f32`,
    /// a libm call per element in `f64`.
    const MATH_MIN_PARALLEL_LEN: usize;
    /// The slice as `f32` elements where `Self` is `f32`, else `None`: how the `f32`-only
    /// kernels are chosen, by type.
    fn as_f32(x: &[Self]) -> Option<&[f32]>;
    /// [`Element::as_f32`] for a mutable slice.
    fn as_f32_mut(x: &mut [Self]) -> Option<&mut [f32]>;
    /// `y[i] = op(x[i])`; `y.len() == x.len()`; `stream`: non-temporal stores.
    fn map<S: Token>(s: S, op: Map<Self>, x: &[Self], y: &mut [Self], stream: bool);
    /// `x[i] = op(x[i])`.
    fn map_in_place<S: Token>(s: S, op: Map<Self>, x: &mut [Self]);
    /// `out[i] = op(a[i], g[i])`; all three of one length; `stream`: non-temporal stores.
    fn zip<S: Token>(s: S, op: Zip<Self>, a: &[Self], g: &[Self], out: &mut [Self], stream: bool);
}

impl Element for f32 {
    const MATH_MIN_PARALLEL_LEN: usize = thresholds::VECTOR_MATH;
    fn as_f32(x: &[f32]) -> Option<&[f32]> {
        Some(x)
    }
    fn as_f32_mut(x: &mut [f32]) -> Option<&mut [f32]> {
        Some(x)
    }
    #[inline(always)]
    fn map<S: Token>(s: S, op: Map<f32>, x: &[f32], y: &mut [f32], stream: bool) {
        match op {
            Map::Exact(op) => exact_map(s, op, x, y, stream),
            Map::Sigmoid => s.vectorize(
                #[inline(always)]
                move |s| {
                    map(
                        s,
                        x,
                        y,
                        stream,
                        #[inline(always)]
                        |v| Sigmoid.forward(s, v),
                    )
                },
            ),
            Map::Tanh => s.vectorize(
                #[inline(always)]
                move |s| {
                    map(
                        s,
                        x,
                        y,
                        stream,
                        #[inline(always)]
                        |v| Tanh.forward(s, v),
                    )
                },
            ),
        }
    }
    #[inline(always)]
    fn map_in_place<S: Token>(s: S, op: Map<f32>, x: &mut [f32]) {
        match op {
            Map::Exact(op) => exact_map_in_place(s, op, x),
            Map::Sigmoid => s.vectorize(
                #[inline(always)]
                move |s| {
                    map_in_place(
                        s,
                        x,
                        #[inline(always)]
                        |v| Sigmoid.forward(s, v),
                    )
                },
            ),
            Map::Tanh => s.vectorize(
                #[inline(always)]
                move |s| {
                    map_in_place(
                        s,
                        x,
                        #[inline(always)]
                        |v| Tanh.forward(s, v),
                    )
                },
            ),
        }
    }
    #[inline(always)]
    fn zip<S: Token>(s: S, op: Zip<f32>, a: &[f32], g: &[f32], out: &mut [f32], stream: bool) {
        match op {
            Zip::Exact(op) => exact_zip(s, op, a, g, out, stream),
            Zip::SigmoidBackward => {
                vectorized_zip!(s, a, g, out, stream, |x, g| Sigmoid.backward(s, x, g))
            }
            Zip::TanhBackward => {
                vectorized_zip!(s, a, g, out, stream, |x, g| Tanh.backward(s, x, g))
            }
        }
    }
}

impl Element for f64 {
    const MATH_MIN_PARALLEL_LEN: usize = thresholds::LIBM;
    fn as_f32(_: &[f64]) -> Option<&[f32]> {
        None
    }
    fn as_f32_mut(_: &mut [f64]) -> Option<&mut [f32]> {
        None
    }
    #[inline(always)]
    fn map<S: Token>(s: S, op: Map<f64>, x: &[f64], y: &mut [f64], stream: bool) {
        match op {
            Map::Exact(op) => exact_map(s, op, x, y, stream),
            Map::Sigmoid => scalar_map(x, y, scalar::sigmoid),
            Map::Tanh => scalar_map(x, y, scalar::tanh),
        }
    }
    #[inline(always)]
    fn map_in_place<S: Token>(s: S, op: Map<f64>, x: &mut [f64]) {
        match op {
            Map::Exact(op) => exact_map_in_place(s, op, x),
            Map::Sigmoid => x.iter_mut().for_each(|v| *v = scalar::sigmoid(*v)),
            Map::Tanh => x.iter_mut().for_each(|v| *v = scalar::tanh(*v)),
        }
    }
    #[inline(always)]
    fn zip<S: Token>(s: S, op: Zip<f64>, a: &[f64], g: &[f64], out: &mut [f64], stream: bool) {
        match op {
            Zip::Exact(op) => exact_zip(s, op, a, g, out, stream),
            Zip::SigmoidBackward => scalar_zip(a, g, out, |x, g| g * scalar::sigmoid_derivative(x)),
            Zip::TanhBackward => scalar_zip(a, g, out, |x, g| g * scalar::tanh_derivative(x)),
        }
    }
}

/// The [`ExactMap`] kernels, in any element type.
#[inline(always)]
fn exact_map<T: Float, S: Simd<T> + Vectorize>(
    s: S,
    op: ExactMap<T>,
    x: &[T],
    y: &mut [T],
    stream: bool,
) {
    match op {
        ExactMap::LeakyRelu(alpha) => s.vectorize(
            #[inline(always)]
            move |s| map(s, x, y, stream, leaky_relu(s, alpha)),
        ),
        ExactMap::Relu => s.vectorize(
            #[inline(always)]
            move |s| map(s, x, y, stream, relu::<T, S>(s)),
        ),
    }
}

/// The [`ExactMap`] kernels in place, in any element type.
#[inline(always)]
fn exact_map_in_place<T: Float, S: Simd<T> + Vectorize>(s: S, op: ExactMap<T>, x: &mut [T]) {
    match op {
        ExactMap::LeakyRelu(alpha) => s.vectorize(
            #[inline(always)]
            move |s| map_in_place(s, x, leaky_relu(s, alpha)),
        ),
        ExactMap::Relu => s.vectorize(
            #[inline(always)]
            move |s| map_in_place(s, x, relu::<T, S>(s)),
        ),
    }
}

/// The [`ExactZip`] kernels, in any element type.
#[inline(always)]
fn exact_zip<T: Float, S: Simd<T> + Vectorize>(
    s: S,
    op: ExactZip<T>,
    a: &[T],
    g: &[T],
    out: &mut [T],
    stream: bool,
) {
    macro_rules! run {
        (|$x:ident, $y:ident| $f:expr) => {
            vectorized_zip!(s, a, g, out, stream, |$x, $y| $f)
        };
    }
    match op {
        ExactZip::LeakyReluBackward(alpha) => {
            run!(|x, g| s.select(s.gt(x, s.splat(T::ZERO)), g, s.mul(g, s.splat(alpha))))
        }
        ExactZip::ReluBackward => {
            run!(|x, g| s.select(s.le(x, s.splat(T::ZERO)), s.splat(T::ZERO), g))
        }
        // The scalar loop's `g * (y * (1 - y))`, operation for operation (no fusing), so the
        // results are the same bits.
        ExactZip::SigmoidFromOutput => run!(|y, g| s.mul(g, s.mul(y, s.sub(s.splat(T::ONE), y)))),
        ExactZip::TanhFromOutput => run!(|y, g| s.mul(g, s.sub(s.splat(T::ONE), s.mul(y, y)))),
    }
}

/// LeakyReLU as a compare and a blend: `x > 0 ? x : x·α` (NaN fails `>` and gives NaN·α = NaN).
#[inline(always)]
fn leaky_relu<T: Float, S: Simd<T>>(s: S, alpha: T) -> impl Fn(S::V) -> S::V {
    let alpha = s.splat(alpha);
    let zero = s.splat(T::ZERO);
    #[inline(always)]
    move |x| s.select(s.gt(x, zero), x, s.mul(x, alpha))
}

/// ReLU as a compare and a blend: `x <= 0 ? +0 : x` (NaN fails `<=` and stays NaN).
#[inline(always)]
fn relu<T: Float, S: Simd<T>>(s: S) -> impl Fn(S::V) -> S::V {
    let zero = s.splat(T::ZERO);
    #[inline(always)]
    move |x| s.select(s.le(x, zero), zero, x)
}
