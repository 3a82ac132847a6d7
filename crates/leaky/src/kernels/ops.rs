//! The kernels, each written once over any [`Simd`] token, and the loops that run them over
//! slices: a head up to the first cache-line-aligned output element, then four vectors per
//! step, then one, then a masked (or copied) tail, never touching memory outside the slices.

use super::simd::{Simd, SimdF32, Vectorize};
use crate::math::elu::EluParams;
use crate::math::softplus::SoftplusParams;
use crate::{Float, math, scalar};

/// A token usable for every element type: implemented by every tier.
pub trait Token: Simd<f32> + Simd<f64> + SimdF32 + Vectorize {}
impl<S: Simd<f32> + Simd<f64> + SimdF32 + Vectorize> Token for S {}

/// An elementwise `y = f(x)` with a kernel: the activations' forwards that have one.
#[derive(Clone, Copy, Debug)]
pub enum Map<T> {
    /// `x > 0 ? x : α·x`.
    LeakyRelu(T),
    /// `x <= 0 ? 0 : x`.
    Relu,
    /// Sigmoid (vector math in `f32`, the scalar definition in `f64`).
    Sigmoid,
    /// Tanh (vector math in `f32`, the scalar definition in `f64`).
    Tanh,
    /// GELU, exact (`f32` only, as every variant below: `f64` runs the scalar definitions).
    Gelu,
    /// GELU, tanh approximation.
    GeluTanh,
    /// SiLU.
    Silu,
    /// ELU, SELU and CELU (α > 0).
    Elu(EluParams),
    /// Softplus with β = 1 and the `f32` threshold `t` such that `x > t` in `f32` exactly
    /// when `x > threshold` in `f64`.
    Softplus(f32),
    /// Softplus with 2^-20 ≤ β ≤ 2^20, β ≠ 1.
    SoftplusBeta(SoftplusParams),
    /// LogSigmoid.
    LogSigmoid,
    /// Mish.
    Mish,
    /// Softsign.
    Softsign,
    /// Tanhshrink.
    Tanhshrink,
}

/// An elementwise `out = f(a, g)` with a kernel: backward passes, `a` being the input `x` or the
/// output `y` of the forward.
#[derive(Clone, Copy, Debug)]
pub enum Zip<T> {
    /// `x > 0 ? g : g·α` (also from the output when α ≥ 0).
    LeakyReluBackward(T),
    /// `x <= 0 ? 0 : g` (also from the output).
    ReluBackward,
    /// `g·σ'(x)`.
    SigmoidBackward,
    /// `g·tanh'(x)`.
    TanhBackward,
    /// `g·(y·(1 - y))`, exactly the scalar loop's operations.
    SigmoidFromOutput,
    /// `g·(1 - y·y)`, exactly the scalar loop's operations.
    TanhFromOutput,
    /// `g·gelu'(x)` (`f32` only, as every variant below).
    GeluBackward,
    /// `g·gelu_tanh'(x)`.
    GeluTanhBackward,
    /// `g·silu'(x)`.
    SiluBackward,
    /// `g·f'(x)` for ELU, SELU and CELU.
    EluBackward(EluParams),
    /// `x > t ? g : g·σ(x)`, Softplus with β = 1 (`t` as in [`Map::Softplus`]).
    SoftplusBackward(f32),
    /// `β·x > threshold ? g : g·σ(β·x)`, Softplus with 2^-20 ≤ β ≤ 2^20, β ≠ 1.
    SoftplusBetaBackward(SoftplusParams),
    /// `g·σ(-x)`.
    LogSigmoidBackward,
    /// `g·mish'(x)`.
    MishBackward,
    /// `g/(1 + |x|)²`.
    SoftsignBackward,
    /// `g·tanh²(x)`.
    TanhshrinkBackward,
}

/// The closure itself: a place where a closure may carry `#[inline(always)]`.
#[inline(always)]
fn kernel<V, F: Fn(V) -> V>(f: F) -> F {
    f
}

/// Binds `$f` to the `f32` kernel of `$op` (a `Map<f32>`) and runs `$body` with it, compiled for
/// the tier of the token `$s`: one function per kernel (see [`Vectorize::vectorize`]).
macro_rules! with_f32_map {
    ($s:ident, $op:expr, |$f:ident| $body:expr) => {{
        macro_rules! run {
            ($kernel:expr) => {
                $s.vectorize(
                    #[inline(always)]
                    move |$s| {
                        let $f = $kernel;
                        $body
                    },
                )
            };
            (fn $math:path) => {
                run!(kernel(
                    #[inline(always)]
                    |v| $math($s, v)
                ))
            };
        }
        match $op {
            Map::LeakyRelu(alpha) => run!(leaky_relu($s, alpha)),
            Map::Relu => run!(relu::<f32, S>($s)),
            Map::Sigmoid => run!(fn math::sigmoid::sigmoid),
            Map::Tanh => run!(fn math::tanh::tanh),
            Map::Gelu => run!(fn math::gelu::gelu),
            Map::GeluTanh => run!(fn math::gelu_tanh::gelu_tanh),
            Map::Silu => run!(fn math::silu::silu),
            Map::Elu(p) => run!(kernel(
                #[inline(always)]
                move |v| math::elu::elu($s, &p, v)
            )),
            Map::Softplus(t) => run!(kernel(
                #[inline(always)]
                move |v| math::softplus::softplus($s, t, v)
            )),
            Map::SoftplusBeta(p) => run!(kernel(
                #[inline(always)]
                move |v| math::softplus::softplus_beta($s, &p, v)
            )),
            Map::LogSigmoid => run!(fn math::softplus::log_sigmoid),
            Map::Mish => run!(fn math::softplus::mish),
            Map::Softsign => run!(fn math::softsign::softsign),
            Map::Tanhshrink => run!(fn math::tanhshrink::tanhshrink),
        }
    }};
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
    /// `y[i] = op(x[i])`; `y.len() == x.len()`; `stream`: non-temporal stores.
    fn map<S: Token>(s: S, op: Map<Self>, x: &[Self], y: &mut [Self], stream: bool);
    /// `x[i] = op(x[i])`.
    fn map_in_place<S: Token>(s: S, op: Map<Self>, x: &mut [Self]);
    /// `out[i] = op(a[i], g[i])`; all three of one length; `stream`: non-temporal stores.
    fn zip<S: Token>(s: S, op: Zip<Self>, a: &[Self], g: &[Self], out: &mut [Self], stream: bool);
}

impl Element for f32 {
    #[inline(always)]
    fn map<S: Token>(s: S, op: Map<f32>, x: &[f32], y: &mut [f32], stream: bool) {
        with_f32_map!(s, op, |f| map(s, x, y, stream, f))
    }
    #[inline(always)]
    fn map_in_place<S: Token>(s: S, op: Map<f32>, x: &mut [f32]) {
        with_f32_map!(s, op, |f| map_in_place(s, x, f))
    }
    #[inline(always)]
    fn zip<S: Token>(s: S, op: Zip<f32>, a: &[f32], g: &[f32], out: &mut [f32], stream: bool) {
        // `g·f'(x)` for a smooth `f'`.
        macro_rules! times {
            (|$x:ident| $derivative:expr) => {
                vectorized_zip!(s, a, g, out, stream, |$x, g| Simd::<f32>::mul(
                    s,
                    g,
                    $derivative
                ))
            };
        }
        match op {
            Zip::SigmoidBackward => times!(|x| math::sigmoid::sigmoid_derivative(s, x)),
            Zip::TanhBackward => times!(|x| math::tanh::tanh_derivative(s, x)),
            Zip::GeluBackward => times!(|x| math::gelu::gelu_derivative(s, x)),
            Zip::GeluTanhBackward => {
                times!(|x| math::gelu_tanh::gelu_tanh_derivative(s, x))
            }
            Zip::SiluBackward => times!(|x| math::silu::silu_derivative(s, x)),
            Zip::EluBackward(p) => times!(|x| math::elu::elu_derivative(s, &p, x)),
            Zip::SoftplusBackward(t) => vectorized_zip!(s, a, g, out, stream, |x, g| {
                let d = math::sigmoid::sigmoid(s, x);
                let above = Simd::<f32>::gt(s, x, Simd::<f32>::splat(s, t));
                Simd::<f32>::select(s, above, g, Simd::<f32>::mul(s, g, d))
            }),
            Zip::LogSigmoidBackward => times!(|x| math::sigmoid::sigmoid(
                s,
                Simd::<f32>::sub(s, Simd::<f32>::splat(s, 0.0), x)
            )),
            Zip::SoftplusBetaBackward(p) => {
                times!(|x| math::softplus::softplus_beta_derivative(s, &p, x))
            }
            Zip::MishBackward => times!(|x| math::softplus::mish_derivative(s, x)),
            Zip::SoftsignBackward => times!(|x| math::softsign::softsign_derivative(s, x)),
            Zip::TanhshrinkBackward => {
                times!(|x| math::tanhshrink::tanhshrink_derivative(s, x))
            }
            _ => zip_linear(s, op, a, g, out, stream),
        }
    }
}

impl Element for f64 {
    #[inline(always)]
    fn map<S: Token>(s: S, op: Map<f64>, x: &[f64], y: &mut [f64], stream: bool) {
        match op {
            Map::LeakyRelu(alpha) => s.vectorize(
                #[inline(always)]
                move |s| map(s, x, y, stream, leaky_relu(s, alpha)),
            ),
            Map::Relu => s.vectorize(
                #[inline(always)]
                move |s| map(s, x, y, stream, relu::<f64, S>(s)),
            ),
            Map::Sigmoid => scalar_map(x, y, scalar::sigmoid),
            Map::Tanh => scalar_map(x, y, scalar::tanh),
            _ => unreachable!("{op:?} has an f32 kernel only"),
        }
    }
    #[inline(always)]
    fn map_in_place<S: Token>(s: S, op: Map<f64>, x: &mut [f64]) {
        match op {
            Map::LeakyRelu(alpha) => s.vectorize(
                #[inline(always)]
                move |s| map_in_place(s, x, leaky_relu(s, alpha)),
            ),
            Map::Relu => s.vectorize(
                #[inline(always)]
                move |s| map_in_place(s, x, relu::<f64, S>(s)),
            ),
            Map::Sigmoid => x.iter_mut().for_each(|v| *v = scalar::sigmoid(*v)),
            Map::Tanh => x.iter_mut().for_each(|v| *v = scalar::tanh(*v)),
            _ => unreachable!("{op:?} has an f32 kernel only"),
        }
    }
    #[inline(always)]
    fn zip<S: Token>(s: S, op: Zip<f64>, a: &[f64], g: &[f64], out: &mut [f64], stream: bool) {
        match op {
            Zip::SigmoidBackward => scalar_zip(a, g, out, |x, g| g * scalar::sigmoid_derivative(x)),
            Zip::TanhBackward => scalar_zip(a, g, out, |x, g| g * scalar::tanh_derivative(x)),
            Zip::LeakyReluBackward(_)
            | Zip::ReluBackward
            | Zip::SigmoidFromOutput
            | Zip::TanhFromOutput => zip_linear(s, op, a, g, out, stream),
            _ => unreachable!("{op:?} has an f32 kernel only"),
        }
    }
}

/// The backward kernels that are the same few operations in any element type.
#[inline(always)]
fn zip_linear<T: Float, S: Simd<T> + Vectorize>(
    s: S,
    op: Zip<T>,
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
        Zip::LeakyReluBackward(alpha) => {
            run!(|x, g| s.select(s.gt(x, s.splat(T::ZERO)), g, s.mul(g, s.splat(alpha))))
        }
        Zip::ReluBackward => run!(|x, g| s.select(s.le(x, s.splat(T::ZERO)), s.splat(T::ZERO), g)),
        // The scalar loop's `g * (y * (1 - y))`, operation for operation (no fusing), so the
        // results are the same bits.
        Zip::SigmoidFromOutput => run!(|y, g| s.mul(g, s.mul(y, s.sub(s.splat(T::ONE), y)))),
        Zip::TanhFromOutput => run!(|y, g| s.mul(g, s.sub(s.splat(T::ONE), s.mul(y, y)))),
        _ => unreachable!("the element types handle the smooth backward kernels"),
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

/// Stores are aligned to this many bytes (a cache line) after a short head, so that no vector
/// store (nor, for buffers aligned alike, load) straddles two lines.
const ALIGN: usize = 64;

/// How many leading elements of `d` to handle before its first `ALIGN`-aligned element.
#[inline(always)]
fn head_len<T>(d: &[T]) -> usize {
    d.as_ptr().align_offset(ALIGN).min(d.len())
}

/// `y[i] = f(x[i])`, `y.len() == x.len()`.
#[inline(always)]
pub(crate) fn map<T: Float, S: Simd<T>>(
    s: S,
    x: &[T],
    y: &mut [T],
    stream: bool,
    f: impl Fn(S::V) -> S::V,
) {
    let n = S::LANES;
    let y = &mut y[..x.len()];
    let (x_head, x) = x.split_at(head_len(y));
    let (y_head, y) = y.split_at_mut(x_head.len());
    map_short(s, x_head, y_head, &f);
    let mut xs = x.chunks_exact(4 * n);
    let mut ys = y.chunks_exact_mut(4 * n);
    for (x, y) in (&mut xs).zip(&mut ys) {
        let v = [
            f(s.load(&x[..n])),
            f(s.load(&x[n..2 * n])),
            f(s.load(&x[2 * n..3 * n])),
            f(s.load(&x[3 * n..])),
        ];
        for (i, v) in v.into_iter().enumerate() {
            if stream {
                s.store_stream(&mut y[i * n..(i + 1) * n], v);
            } else {
                s.store(&mut y[i * n..(i + 1) * n], v);
            }
        }
    }
    map_short(s, xs.remainder(), ys.into_remainder(), &f);
    if stream {
        s.stream_fence();
    }
}

/// [`map`] for a head or a tail: one vector at a time, then a partial one.
#[inline(always)]
fn map_short<T: Float, S: Simd<T>>(s: S, x: &[T], y: &mut [T], f: &impl Fn(S::V) -> S::V) {
    let mut xs = x.chunks_exact(S::LANES);
    let mut ys = y.chunks_exact_mut(S::LANES);
    for (x, y) in (&mut xs).zip(&mut ys) {
        s.store(y, f(s.load(x)));
    }
    let (x, y) = (xs.remainder(), ys.into_remainder());
    if !x.is_empty() {
        s.store_partial(y, f(s.load_partial(x)));
    }
}

/// `x[i] = f(x[i])`.
#[inline(always)]
pub(crate) fn map_in_place<T: Float, S: Simd<T>>(s: S, x: &mut [T], f: impl Fn(S::V) -> S::V) {
    let n = S::LANES;
    let (head, x) = x.split_at_mut(head_len(x));
    map_in_place_short(s, head, &f);
    let mut xs = x.chunks_exact_mut(4 * n);
    for x in &mut xs {
        let v = [
            f(s.load(&x[..n])),
            f(s.load(&x[n..2 * n])),
            f(s.load(&x[2 * n..3 * n])),
            f(s.load(&x[3 * n..])),
        ];
        for (i, v) in v.into_iter().enumerate() {
            s.store(&mut x[i * n..(i + 1) * n], v);
        }
    }
    map_in_place_short(s, xs.into_remainder(), &f);
}

/// [`map_in_place`] for a head or a tail.
#[inline(always)]
fn map_in_place_short<T: Float, S: Simd<T>>(s: S, x: &mut [T], f: &impl Fn(S::V) -> S::V) {
    let mut xs = x.chunks_exact_mut(S::LANES);
    for x in &mut xs {
        let v = f(s.load(x));
        s.store(x, v);
    }
    let x = xs.into_remainder();
    if !x.is_empty() {
        let v = f(s.load_partial(x));
        s.store_partial(x, v);
    }
}

/// `out[i] = f(a[i], g[i])`, all three of one length.
#[inline(always)]
pub(crate) fn zip<T: Float, S: Simd<T>>(
    s: S,
    a: &[T],
    g: &[T],
    out: &mut [T],
    stream: bool,
    f: impl Fn(S::V, S::V) -> S::V,
) {
    let n = S::LANES;
    let g = &g[..a.len()];
    let out = &mut out[..a.len()];
    let h = head_len(out);
    let ((a_head, a), (g_head, g)) = (a.split_at(h), g.split_at(h));
    let (o_head, out) = out.split_at_mut(h);
    zip_short(s, a_head, g_head, o_head, &f);
    let mut as_ = a.chunks_exact(4 * n);
    let mut gs = g.chunks_exact(4 * n);
    let mut os = out.chunks_exact_mut(4 * n);
    for ((a, g), o) in (&mut as_).zip(&mut gs).zip(&mut os) {
        let v = [
            f(s.load(&a[..n]), s.load(&g[..n])),
            f(s.load(&a[n..2 * n]), s.load(&g[n..2 * n])),
            f(s.load(&a[2 * n..3 * n]), s.load(&g[2 * n..3 * n])),
            f(s.load(&a[3 * n..]), s.load(&g[3 * n..])),
        ];
        for (i, v) in v.into_iter().enumerate() {
            if stream {
                s.store_stream(&mut o[i * n..(i + 1) * n], v);
            } else {
                s.store(&mut o[i * n..(i + 1) * n], v);
            }
        }
    }
    zip_short(s, as_.remainder(), gs.remainder(), os.into_remainder(), &f);
    if stream {
        s.stream_fence();
    }
}

/// [`zip`] for a head or a tail.
#[inline(always)]
fn zip_short<T: Float, S: Simd<T>>(
    s: S,
    a: &[T],
    g: &[T],
    out: &mut [T],
    f: &impl Fn(S::V, S::V) -> S::V,
) {
    let mut as_ = a.chunks_exact(S::LANES);
    let mut gs = g.chunks_exact(S::LANES);
    let mut os = out.chunks_exact_mut(S::LANES);
    for ((a, g), o) in (&mut as_).zip(&mut gs).zip(&mut os) {
        s.store(o, f(s.load(a), s.load(g)));
    }
    let (a, g, o) = (as_.remainder(), gs.remainder(), os.into_remainder());
    if !a.is_empty() {
        s.store_partial(o, f(s.load_partial(a), s.load_partial(g)));
    }
}

/// The scalar loop, for the kernels that are the scalar definition.
#[inline(always)]
pub(crate) fn scalar_map<T: Float>(x: &[T], y: &mut [T], f: impl Fn(T) -> T) {
    for (out, &v) in y.iter_mut().zip(x) {
        *out = f(v);
    }
}

/// The scalar two-input loop, for the kernels that are the scalar definition.
#[inline(always)]
pub(crate) fn scalar_zip<T: Float>(a: &[T], g: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    for ((o, &g), &a) in out.iter_mut().zip(g).zip(a) {
        *o = f(a, g);
    }
}
