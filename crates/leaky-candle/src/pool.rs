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

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor, WithDType, bail,
};
use rayon::prelude::*;

/// `max_pool2d(x, 2)` of `(n, C, H, W)` images, with gradient (see the module documentation).
pub fn max_pool2(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(MaxPool2)
}

/// The forward op.
struct MaxPool2;

/// The backward op: `(x, grad_y)` to `grad_x`.
struct MaxPool2Grad;

/// The sizes of the pooling: `(n·C, H, W)` in, `H/2 × W/2` out.
#[derive(Clone, Copy)]
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

/// `b` if it is larger than `a` or NaN, else `a`: the first maximum of `[a, b]`, or the first NaN.
fn first_max<T: PartialOrd + Copy>(a: T, b: T) -> T {
    #[allow(clippy::eq_op)] // b != b: b is NaN
    let take_b = b > a || (b != b && a == a);
    if take_b { b } else { a }
}

/// The maximum of a window `[[t0, t1], [b0, b1]]`, or its first NaN in row-major order.
fn window_max<T: PartialOrd + Copy>(t0: T, t1: T, b0: T, b1: T) -> T {
    first_max(first_max(t0, t1), first_max(b0, b1))
}

fn pool<T: WithDType>(p: &Planes, x: &[T]) -> Vec<T> {
    let (h, w, ho, wo) = (p.height, p.width, p.height / 2, p.width / 2);
    let mut y = vec![T::zero(); p.out_len()];
    // One plane per task: planes are independent, so the thread count changes no result.
    let planes = x
        .par_chunks_exact(h * w)
        .zip(y.par_chunks_exact_mut(ho * wo));
    planes.for_each(|(plane, out)| {
        for (i, out) in out.chunks_exact_mut(wo).enumerate() {
            let (top, bottom) = plane[2 * i * w..(2 * i + 2) * w].split_at(w);
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for (y, (t, b)) in out.iter_mut().zip(windows) {
                *y = window_max(t[0], t[1], b[0], b[1]);
            }
        }
    });
    y
}

/// Each window's gradient goes to its first maximum (or first NaN); the rest of it gets 0.
fn unpool<T: WithDType>(p: &Planes, x: &[T], grad_y: &[T]) -> Vec<T> {
    let (h, w, ho, wo, zero) = (p.height, p.width, p.height / 2, p.width / 2, T::zero());
    let mut grad_x = vec![zero; x.len()];
    let planes = x
        .par_chunks_exact(h * w)
        .zip(grad_x.par_chunks_exact_mut(h * w))
        .zip(grad_y.par_chunks_exact(ho * wo));
    planes.for_each(|((plane, grad_plane), grad_out)| {
        for (i, g) in grad_out.chunks_exact(wo).enumerate() {
            let (top, bottom) = plane[2 * i * w..(2 * i + 2) * w].split_at(w);
            let (gt, gb) = grad_plane[2 * i * w..(2 * i + 2) * w].split_at_mut(w);
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            let targets = gt.chunks_exact_mut(2).zip(gb.chunks_exact_mut(2));
            for ((&g, (t, b)), (gt, gb)) in g.iter().zip(windows).zip(targets) {
                let m = window_max(t[0], t[1], b[0], b[1]);
                #[allow(clippy::eq_op)] // v != v: v is NaN
                let hit = |v: T| v == m || v != v;
                let (h0, h1, h2) = (hit(t[0]), hit(t[1]), hit(b[0]));
                gt[0] = if h0 { g } else { zero };
                gt[1] = if h1 && !h0 { g } else { zero };
                gb[0] = if h2 && !h0 && !h1 { g } else { zero };
                gb[1] = if !h0 && !h1 && !h2 { g } else { zero };
            }
        }
    });
    grad_x
}

/// The contiguous elements of `layout` in `storage`.
fn elements<'a, T>(data: &'a [T], layout: &Layout) -> &'a [T] {
    let start = layout.start_offset();
    &data[start..start + layout.shape().elem_count()]
}

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "max-pool-2x2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let p = Planes::of(self.name(), layout)?;
        let y = match storage {
            CpuStorage::F32(x) => CpuStorage::F32(pool(&p, elements(x, layout))),
            CpuStorage::F64(x) => CpuStorage::F64(pool(&p, elements(x, layout))),
            other => bail!("{}: unsupported dtype {:?}", self.name(), other.dtype()),
        };
        Ok((y, p.out_shape(layout)?))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, grad_y: &Tensor) -> Result<Option<Tensor>> {
        x.apply_op2_no_bwd(&grad_y.contiguous()?, &MaxPool2Grad)
            .map(Some)
    }
}

impl CustomOp2 for MaxPool2Grad {
    fn name(&self) -> &'static str {
        "max-pool-2x2-backward"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        grad_y: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let p = Planes::of(self.name(), x_layout)?;
        if !grad_layout.is_contiguous() || grad_layout.shape() != &p.out_shape(x_layout)? {
            bail!(
                "{}: the gradient {:?} does not match the pooled shape of {:?}",
                self.name(),
                grad_layout.shape(),
                x_layout.shape()
            );
        }
        let grad_x = match (x, grad_y) {
            (CpuStorage::F32(x), CpuStorage::F32(g)) => {
                CpuStorage::F32(unpool(&p, elements(x, x_layout), elements(g, grad_layout)))
            }
            (CpuStorage::F64(x), CpuStorage::F64(g)) => {
                CpuStorage::F64(unpool(&p, elements(x, x_layout), elements(g, grad_layout)))
            }
            (x, g) => bail!(
                "{}: unsupported dtypes {:?} and {:?}",
                self.name(),
                x.dtype(),
                g.dtype()
            ),
        };
        Ok((grad_x, x_layout.shape().clone()))
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
