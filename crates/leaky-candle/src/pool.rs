//! 2×2 max pooling with stride 2 as a candle op: one pass forward and one pass backward, where
//! candle's own `max_pool2d` gradient takes seven (upsample, compare, convert, average-pool,
//! multiply, upsample, multiply).
//!
//! For images `(n, C, H, W)` the output is `(n, C, H/2, W/2)` (a trailing odd row or column is
//! dropped, as in candle) with
//!
//! ```text
//! y[b, c, i, j] = max(x[b, c, 2i + u, 2j + v] for u, v in {0, 1})
//! ```
//!
//! The gradient of each window goes to its first maximum in row-major order (PyTorch's choice).
//! candle 0.11 instead scales it by the fraction of the window at its maximum: a window's single
//! maximum gets a quarter of the gradient, each of two tied maxima a half. A window holding NaN
//! gives NaN, and its gradient goes to its first NaN.

use std::mem::MaybeUninit;

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, Device, Layout, Result, Shape, Storage, Tensor, WithDType, bail,
};
use rayon::prelude::*;

use crate::cpu::Saved;

/// `max_pool2d(x, 2)` of `(n, C, H, W)` images, with gradient (see the module documentation).
pub fn max_pool2(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(MaxPool2 {
        winners: Saved::new(),
    })
}

/// The op. The forward pass keeps, for each window, which of its four elements it took (0 top
/// left, 1 top right, 2 bottom left, 3 bottom right); the backward pass sends each gradient
/// there, without reading the input again.
struct MaxPool2 {
    winners: Saved<Winners>,
}

/// What a forward pass keeps for the backward pass: the input's shape and each window's winner.
pub(crate) struct Winners {
    shape: Shape,
    planes: Planes,
    won: Vec<u8>,
}

/// The images as planes of `height × width`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Planes {
    planes: usize,
    height: usize,
    width: usize,
}

impl Planes {
    fn of(op: &str, layout: &Layout) -> Result<Self> {
        let (n, c, height, width) = layout.shape().dims4()?;
        if !layout.is_contiguous() {
            bail!("{op}: expected a contiguous tensor");
        }
        if height < 2 || width < 2 {
            bail!("{op}: a {height}x{width} image is smaller than the 2x2 window");
        }
        Ok(Planes {
            planes: n * c,
            height,
            width,
        })
    }

    fn out_shape(&self, layout: &Layout) -> Result<Shape> {
        let (n, c, _, _) = layout.shape().dims4()?;
        Ok((n, c, self.height / 2, self.width / 2).into())
    }

    fn out_len(&self) -> usize {
        self.planes * (self.height / 2) * (self.width / 2)
    }
}

/// Whether a running maximum `a` gives way to `b`: `b` is larger, or `b` is the first NaN.
/// Ties keep `a`, so the first maximum wins.
fn gives_way<T: PartialOrd + Copy>(a: T, b: T) -> bool {
    #[allow(clippy::eq_op)] // b != b: b is NaN
    let nan = b != b && a == a;
    b > a || nan
}

/// The window's maximum and its winner: the first maximum in row-major order (or the first
/// NaN), found as the larger of the two rows' maxima, each the larger of its pair.
fn window<T: PartialOrd + Copy>(t0: T, t1: T, b0: T, b1: T) -> (T, u8) {
    let (top_right, bottom_right) = (gives_way(t0, t1), gives_way(b0, b1));
    let top = if top_right { t1 } else { t0 };
    let bottom = if bottom_right { b1 } else { b0 };
    if gives_way(top, bottom) {
        (bottom, 2 + u8::from(bottom_right))
    } else {
        (top, u8::from(top_right))
    }
}

/// Whether `v` is NaN.
fn is_nan<T: PartialOrd + Copy>(v: T) -> bool {
    #[allow(clippy::eq_op)] // v != v: v is NaN
    let nan = v != v;
    nan
}

fn pool<T: WithDType>(p: &Planes, x: &[T]) -> (Vec<T>, Vec<u8>) {
    let (h, w, ho, wo, len) = (p.height, p.width, p.height / 2, p.width / 2, p.out_len());
    // Every output and winner is written once below (no zeroing first): the `Ho` row pairs of
    // each plane, `Wo` windows each.
    let mut y = Vec::with_capacity(len);
    let mut winners = Vec::with_capacity(len);
    // One plane per task: planes are independent, so the thread count changes no result.
    let planes = x
        .par_chunks_exact(h * w)
        .zip(y.spare_capacity_mut()[..len].par_chunks_exact_mut(ho * wo))
        .zip(winners.spare_capacity_mut()[..len].par_chunks_exact_mut(ho * wo));
    planes.for_each(|((plane, out), won)| pool_plane(plane, w, out, won));
    // SAFETY: the loop above wrote all `len` outputs and winners: each plane's `Ho` rows of
    // `Wo` windows.
    unsafe {
        y.set_len(len);
        winners.set_len(len);
    }
    (y, winners)
}

/// Pools each `height × width` plane of `planes` into `out` and `won` (`⌊H/2⌋·⌊W/2⌋` windows
/// a plane, each written), as [`max_pool2`]'s forward pass does: for an op that pools its own
/// output image by image while it is in cache.
pub(crate) fn pool_planes<T: PartialOrd + Copy>(
    planes: &[T],
    (height, width): (usize, usize),
    out: &mut [MaybeUninit<T>],
    won: &mut [MaybeUninit<u8>],
) {
    let windows = (height / 2) * (width / 2);
    let each = planes
        .chunks_exact(height * width)
        .zip(out.chunks_exact_mut(windows))
        .zip(won.chunks_exact_mut(windows));
    for ((plane, out), won) in each {
        pool_plane(plane, width, out, won);
    }
}

/// Pools one plane `w` wide into `out` and `won`.
fn pool_plane<T: PartialOrd + Copy>(
    plane: &[T],
    w: usize,
    out: &mut [MaybeUninit<T>],
    won: &mut [MaybeUninit<u8>],
) {
    // Without NaN, `gives_way(a, b)` is `b > a`: plain comparisons that the compiler turns
    // into vector code (the NaN test in every comparison kept it scalar, 7x slower).
    if plane.iter().fold(false, |nan, &v| nan | is_nan(v)) {
        pool_windows(plane, w, out, won, window);
    } else {
        pool_windows(plane, w, out, won, window_without_nan);
    }
}

/// Writes the maxima `out` and winners `won` of a plane `w` wide, window by window with
/// `choose` (a function item, so that each caller's loop is compiled with it inlined).
fn pool_windows<T: Copy>(
    plane: &[T],
    w: usize,
    out: &mut [MaybeUninit<T>],
    won: &mut [MaybeUninit<u8>],
    choose: impl Fn(T, T, T, T) -> (T, u8),
) {
    let wo = w / 2;
    let rows = plane.chunks_exact(2 * w).zip(out.chunks_exact_mut(wo));
    for ((pair, out), won) in rows.zip(won.chunks_exact_mut(wo)) {
        let (top, bottom) = (&pair[..2 * wo], &pair[w..w + 2 * wo]);
        let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
        for ((t, b), (out, won)) in windows.zip(out.iter_mut().zip(won)) {
            let (max, winner) = choose(t[0], t[1], b[0], b[1]);
            out.write(max);
            won.write(winner);
        }
    }
}

/// [`window`] for values that are not NaN.
fn window_without_nan<T: PartialOrd + Copy>(t0: T, t1: T, b0: T, b1: T) -> (T, u8) {
    let (top_right, bottom_right) = (t1 > t0, b1 > b0);
    let top = if top_right { t1 } else { t0 };
    let bottom = if bottom_right { b1 } else { b0 };
    let down = bottom > top;
    let winner = u8::from(down) << 1 | u8::from(if down { bottom_right } else { top_right });
    (if down { bottom } else { top }, winner)
}

fn unpool<T: WithDType>(p: &Planes, winners: &[u8], grad_y: &[T]) -> Vec<T> {
    let (h, w, windows) = (p.height, p.width, (p.height / 2) * (p.width / 2));
    let len = p.planes * h * w;
    // Every element is written once below (no zeroing first).
    let mut grad_x: Vec<T> = Vec::with_capacity(len);
    let planes = grad_x.spare_capacity_mut()[..len]
        .par_chunks_exact_mut(h * w)
        .zip(grad_y.par_chunks_exact(windows))
        .zip(winners.par_chunks_exact(windows));
    planes.for_each(|((grad_plane, grad_out), won)| {
        unpool_plane((h, w), won, grad_out, grad_plane);
    });
    // SAFETY: `unpool_plane` wrote all of every plane, `len` elements in all.
    unsafe { grad_x.set_len(len) };
    grad_x
}

/// The gradient of each `height × width` plane pooled by [`pool_planes`] into `grad_x`, from
/// the gradient `grad_y` of its windows and their winners `won`: each window's to its winner,
/// zero elsewhere. Every element of `grad_x` is written.
pub(crate) fn unpool_planes<T: WithDType>(
    (height, width): (usize, usize),
    won: &[u8],
    grad_y: &[T],
    grad_x: &mut [T],
) {
    let windows = (height / 2) * (width / 2);
    // SAFETY: `MaybeUninit<T>` has `T`'s layout, and only initialised values are written
    // through this view, so `grad_x` stays initialised.
    let grad_x: &mut [MaybeUninit<T>] = unsafe { &mut *(grad_x as *mut [T] as *mut _) };
    let each = grad_x
        .chunks_exact_mut(height * width)
        .zip(grad_y.chunks_exact(windows))
        .zip(won.chunks_exact(windows));
    for ((grad_plane, grad_out), won) in each {
        unpool_plane((height, width), won, grad_out, grad_plane);
    }
}

/// Writes all of `grad_plane`, a plane `h × w`: each window's gradient from `grad_out` to its
/// winner in `won`, zeros elsewhere (a trailing odd row or column gets no gradient).
fn unpool_plane<T: WithDType>(
    (h, w): (usize, usize),
    won: &[u8],
    grad_out: &[T],
    grad_plane: &mut [MaybeUninit<T>],
) {
    let (wo, zero) = (w / 2, T::zero());
    let (pairs, odd_row) = grad_plane.split_at_mut(2 * (h / 2) * w);
    odd_row.fill(MaybeUninit::new(zero));
    let rows = pairs.chunks_exact_mut(2 * w).zip(grad_out.chunks_exact(wo));
    for ((pair, g), won) in rows.zip(won.chunks_exact(wo)) {
        let (top, bottom) = pair.split_at_mut(w);
        top[2 * wo..].fill(MaybeUninit::new(zero));
        bottom[2 * wo..].fill(MaybeUninit::new(zero));
        let windows = top.chunks_exact_mut(2).zip(bottom.chunks_exact_mut(2));
        for ((top, bottom), (&g, &won)) in windows.zip(g.iter().zip(won)) {
            let to = |k: u8| MaybeUninit::new(if won == k { g } else { zero });
            (top[0], top[1]) = (to(0), to(1));
            (bottom[0], bottom[1]) = (to(2), to(3));
        }
    }
}

fn elements<'a, T>(data: &'a [T], layout: &Layout) -> &'a [T] {
    let start = layout.start_offset();
    &data[start..start + layout.shape().elem_count()]
}

/// `max_pool2d(x, 2)` of the `(n, C, H, W)` images in `storage` (contiguous, `f32` or `f64`),
/// with what its backward pass needs; `op` names the op in errors.
pub(crate) fn pool_storage(
    op: &str,
    storage: &CpuStorage,
    layout: &Layout,
) -> Result<(CpuStorage, Shape, Winners)> {
    let planes = Planes::of(op, layout)?;
    let (y, won) = match storage {
        CpuStorage::F32(x) => {
            let (y, won) = pool(&planes, elements(x, layout));
            (CpuStorage::F32(y), won)
        }
        CpuStorage::F64(x) => {
            let (y, won) = pool(&planes, elements(x, layout));
            (CpuStorage::F64(y), won)
        }
        other => bail!("{op}: unsupported dtype {:?}", other.dtype()),
    };
    let shape = layout.shape().clone();
    Ok((y, planes.out_shape(layout)?, Winners { shape, planes, won }))
}

/// The gradient of the pooled images' input from the gradient `grad_y` of its output: each
/// window's to its winner, zero elsewhere.
pub(crate) fn unpool_gradient(op: &str, winners: &Winners, grad_y: &Tensor) -> Result<Tensor> {
    let grad_y = grad_y.contiguous()?;
    let (storage, layout) = grad_y.storage_and_layout();
    let Storage::Cpu(storage) = &*storage else {
        bail!("{op}: the backward pass runs on the CPU only");
    };
    let Winners { shape, planes, won } = winners;
    let cpu = &Device::Cpu;
    match storage {
        CpuStorage::F32(g) => {
            Tensor::from_vec(unpool(planes, won, elements(g, layout)), shape, cpu)
        }
        CpuStorage::F64(g) => {
            Tensor::from_vec(unpool(planes, won, elements(g, layout)), shape, cpu)
        }
        other => bail!("{op}: unsupported dtype {:?}", other.dtype()),
    }
}

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "max-pool-2x2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (y, shape, winners) = pool_storage(self.name(), storage, layout)?;
        self.winners.put(winners);
        Ok((y, shape))
    }

    fn bwd(&self, _x: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        let grad_x = self.winners.with(self.name(), |winners| {
            unpool_gradient(self.name(), winners, grad_y)
        });
        grad_x.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn images(values: &[f32], shape: (usize, usize, usize, usize)) -> Tensor {
        Tensor::from_slice(values, shape, &Device::Cpu).unwrap()
    }

    /// The gradient of `loss` with respect to `x`, flattened.
    fn gradient<T: WithDType>(loss: &Tensor, x: &Var) -> Vec<T> {
        let grads = loss.backward().unwrap();
        grads
            .get(x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    /// `Σ max_pool2(x) · weights`, a loss that weights every output differently.
    fn weighted(x: &Tensor, weights: &Tensor) -> Tensor {
        (max_pool2(x).unwrap() * weights)
            .unwrap()
            .sum_all()
            .unwrap()
    }

    #[test]
    fn forward_matches_candle_and_drops_an_odd_row_and_column() {
        let values: Vec<f32> = (0..2 * 3 * 5 * 7)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let x = images(&values, (2, 3, 5, 7));
        let ours = max_pool2(&x).unwrap();
        assert_eq!(ours.dims(), &[2, 3, 2, 3]);
        let candle = x.max_pool2d(2).unwrap();
        let diff: f32 = (ours - candle)
            .unwrap()
            .abs()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar()
            .unwrap();
        assert_eq!(diff, 0.0);
    }

    #[test]
    fn gradient_goes_to_the_first_maximum_of_each_window() {
        // One 2x4 image, two windows: [1, 3 / 3, 0] (tie: the first 3 wins) and [-1, -2 / -5, -1].
        let x =
            Var::from_tensor(&images(&[1., 3., -1., -2., 3., 0., -5., -1.], (1, 1, 2, 4))).unwrap();
        let y = max_pool2(x.as_tensor()).unwrap();
        assert_eq!(
            y.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            [3., -1.]
        );
        let weights = images(&[10., 20.], (1, 1, 1, 2));
        let g: Vec<f32> = gradient(&weighted(x.as_tensor(), &weights), &x);
        assert_eq!(g, [0., 10., 20., 0., 0., 0., 0., 0.]);
    }

    #[test]
    fn the_window_without_nan_agrees_with_the_window_on_ties_zeros_and_infinities() {
        let values = [f32::NEG_INFINITY, -1.0, -0.0, 0.0, 1.0, f32::INFINITY];
        for t0 in values {
            for t1 in values {
                for b0 in values {
                    for b1 in values {
                        let (fast, won_fast) = window_without_nan(t0, t1, b0, b1);
                        let (exact, won_exact) = window(t0, t1, b0, b1);
                        assert_eq!(
                            (fast.to_bits(), won_fast),
                            (exact.to_bits(), won_exact),
                            "window [{t0}, {t1} / {b0}, {b1}]"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_plane_with_nan_does_not_change_the_others() {
        // Two planes of 2x2: the first holds NaN, the second ties and a larger bottom right.
        let x = Var::from_tensor(&images(
            &[1., f32::NAN, 5., 2., 4., 4., 3., 6.],
            (1, 2, 2, 2),
        ))
        .unwrap();
        let y = max_pool2(x.as_tensor()).unwrap();
        let y = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(y[0].is_nan());
        assert_eq!(y[1], 6.0);
        let sum = max_pool2(x.as_tensor()).unwrap().sum_all().unwrap();
        let g: Vec<f32> = gradient(&sum, &x);
        assert_eq!(g, [0., 1., 0., 0., 0., 0., 0., 1.]);
    }

    #[test]
    fn a_dropped_odd_row_and_column_get_no_gradient() {
        let x =
            Var::from_tensor(&images(&[1., 2., 9., 4., 5., 9., 9., 9., 9.], (1, 1, 3, 3))).unwrap();
        let y = max_pool2(x.as_tensor()).unwrap();
        let g: Vec<f32> = gradient(&(y * 7.0).unwrap().sum_all().unwrap(), &x);
        assert_eq!(g, [0., 0., 0., 0., 7., 0., 0., 0., 0.]);
    }

    #[test]
    fn a_window_with_nan_gives_nan_and_its_gradient_goes_there() {
        let x = Var::from_tensor(&images(&[1., f32::NAN, 5., 2.], (1, 1, 2, 2))).unwrap();
        let y = max_pool2(x.as_tensor()).unwrap();
        assert!(y.flatten_all().unwrap().to_vec1::<f32>().unwrap()[0].is_nan());
        let g: Vec<f32> = gradient(&y.sum_all().unwrap(), &x);
        assert_eq!(g, [0., 1., 0., 0.]);
    }

    #[test]
    fn gradient_matches_finite_differences_in_f64() {
        let values: Vec<f64> = (0..2 * 2 * 4 * 6)
            .map(|i| ((i * 53 % 97) as f64 - 48.0) / 9.0)
            .collect();
        let x = Tensor::from_slice(&values, (2, 2, 4, 6), &Device::Cpu).unwrap();
        let weights: Vec<f64> = (0..2 * 2 * 2 * 3)
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let weights = Tensor::from_slice(&weights, (2, 2, 2, 3), &Device::Cpu).unwrap();
        let loss = |x: &Tensor| -> f64 { weighted(x, &weights).to_scalar().unwrap() };
        let var = Var::from_tensor(&x).unwrap();
        let analytic: Vec<f64> = gradient(&weighted(var.as_tensor(), &weights), &var);
        let h = 1e-6;
        for i in 0..values.len() {
            let mut shifted = values.clone();
            shifted[i] += h;
            let up = loss(&Tensor::from_slice(&shifted, (2, 2, 4, 6), &Device::Cpu).unwrap());
            shifted[i] -= 2.0 * h;
            let down = loss(&Tensor::from_slice(&shifted, (2, 2, 4, 6), &Device::Cpu).unwrap());
            let numeric = (up - down) / (2.0 * h);
            assert!(
                (numeric - analytic[i]).abs() < 1e-6,
                "element {i}: {numeric} vs {}",
                analytic[i]
            );
        }
    }

    #[test]
    fn bad_shapes_and_dtypes_are_errors() {
        let small = images(&[1.0, 2.0], (1, 1, 1, 2));
        assert!(max_pool2(&small).is_err());
        let flat = Tensor::zeros((4, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(max_pool2(&flat).is_err());
        let ints = Tensor::zeros((1, 1, 2, 2), candle_core::DType::U32, &Device::Cpu).unwrap();
        assert!(max_pool2(&ints).is_err());
    }
}
