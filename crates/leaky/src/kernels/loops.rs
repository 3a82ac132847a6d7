//! The loops that run a kernel over slices: a head up to the first cache-line-aligned output
//! element, then four vectors per step, then one, then a masked (or copied) tail, never touching
//! memory outside the slices.

use crate::Float;
use crate::isa::Simd;

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
            s.store(&mut x[i * n..(i + 1) * n], s.opaque(v));
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
        s.store(x, s.opaque(v));
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
