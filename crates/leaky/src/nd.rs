//! Activations on [`ndarray`] arrays (feature `ndarray`): extension methods that run the slice
//! kernels on the array's memory when it is contiguous, and copy into a contiguous buffer first
//! when it is not (views with steps, broadcast or permuted axes), so any layout gives the same
//! results as the slices.
//!
//! ```
//! use leaky::Activation;
//! use leaky::nd::{ArrayActivationExt, ArrayActivationMutExt};
//! use ndarray::array;
//!
//! let x = array![[-1.0_f32, 2.0], [0.5, -4.0]];
//! let y = x.activation(&Activation::DEFAULT)?;
//! assert_eq!(y, array![[-0.01, 2.0], [0.5, -0.04]]);
//! let g = x.activation_backward(&Activation::Relu, &array![[1.0, 1.0], [1.0, 1.0]])?;
//! assert_eq!(g, array![[0.0, 1.0], [1.0, 0.0]]);
//! let mut z = x.t().to_owned(); // Fortran order: still one contiguous slice
//! z.activation_inplace(&Activation::Relu)?;
//! assert_eq!(z, array![[0.0, 0.5], [2.0, 0.0]]);
//! # Ok::<(), leaky::Error>(())
//! ```

use ndarray::{Array, ArrayBase, Data, DataMut, Dimension, ShapeBuilder};

use crate::{Activation, Error, Float};

/// Activation methods on any array of `f32` or `f64`.
pub trait ArrayActivationExt<T: Float, D: Dimension> {
    /// `f(x)` elementwise, in a new array of the same shape (and the same memory order when the
    /// input is C- or Fortran-contiguous; C order otherwise).
    fn activation(&self, activation: &Activation) -> Result<Array<T, D>, Error>;

    /// `grad_out · f'(x)` elementwise (see [`Activation::backward`]), `grad_out` of the same shape,
    /// in a new array in C order.
    fn activation_backward<S2: Data<Elem = T>>(
        &self,
        activation: &Activation,
        grad_out: &ArrayBase<S2, D>,
    ) -> Result<Array<T, D>, Error>;
}

/// In-place activation on arrays that own or borrow their elements mutably.
pub trait ArrayActivationMutExt<T: Float> {
    /// Replaces every element `x` with `f(x)`.
    fn activation_inplace(&mut self, activation: &Activation) -> Result<(), Error>;
}

impl<T: Float, S: Data<Elem = T>, D: Dimension> ArrayActivationExt<T, D> for ArrayBase<S, D> {
    fn activation(&self, activation: &Activation) -> Result<Array<T, D>, Error> {
        let fortran = !self.is_standard_layout() && self.t().is_standard_layout();
        if let (true, Some(x)) = (
            self.is_standard_layout() || fortran,
            self.as_slice_memory_order(),
        ) {
            let mut out = Array::from_elem(self.raw_dim().set_f(fortran), T::ZERO);
            let y = out
                .as_slice_memory_order_mut()
                .expect("a new array is contiguous");
            activation.forward_slice(x, y)?;
            return Ok(out);
        }
        let x = self.as_standard_layout();
        let mut out = Array::from_elem(self.raw_dim(), T::ZERO);
        activation.forward_slice(
            x.as_slice().expect("standard layout is contiguous"),
            out.as_slice_mut().expect("a new array is contiguous"),
        )?;
        Ok(out)
    }

    fn activation_backward<S2: Data<Elem = T>>(
        &self,
        activation: &Activation,
        grad_out: &ArrayBase<S2, D>,
    ) -> Result<Array<T, D>, Error> {
        if self.shape() != grad_out.shape() {
            return Err(Error::ShapeMismatch {
                what: "grad_out",
                expected: self.shape().to_vec(),
                found: grad_out.shape().to_vec(),
            });
        }
        let x = self.as_standard_layout();
        let g = grad_out.as_standard_layout();
        let mut out = Array::from_elem(self.raw_dim(), T::ZERO);
        activation.backward(
            x.as_slice().expect("standard layout is contiguous"),
            g.as_slice().expect("standard layout is contiguous"),
            out.as_slice_mut().expect("a new array is contiguous"),
        )?;
        Ok(out)
    }
}

impl<T: Float, S: DataMut<Elem = T>, D: Dimension> ArrayActivationMutExt<T> for ArrayBase<S, D> {
    fn activation_inplace(&mut self, activation: &Activation) -> Result<(), Error> {
        if let Some(x) = self.as_slice_memory_order_mut() {
            return activation.forward_in_place(x);
        }
        let mut tmp = self.as_standard_layout().into_owned();
        activation.forward_in_place(tmp.as_slice_mut().expect("standard layout is contiguous"))?;
        self.assign(&tmp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, Axis, s};

    fn sample() -> Array3<f32> {
        Array3::from_shape_fn((3, 5, 7), |(i, j, k)| {
            (i as f32 - 1.3) * 3.1 + (j as f32) * -0.7 + (k as f32 * 0.37).sin() * 5.0
        })
    }

    fn by_scalars(a: &Activation, x: &Array3<f32>) -> Array3<f32> {
        let mut y = x.to_owned();
        a.forward_slice(x.as_slice().unwrap(), y.as_slice_mut().unwrap())
            .unwrap();
        y
    }

    #[test]
    fn every_layout_gives_the_slice_results() {
        for a in [
            Activation::DEFAULT,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
        ] {
            let x = sample();
            let want = by_scalars(&a, &x);
            assert_eq!(x.activation(&a).unwrap(), want);
            // Fortran order, a permutation, a stepped view, and in place on each.
            let f = x.t().as_standard_layout().into_owned().reversed_axes();
            assert_eq!(f.activation(&a).unwrap(), want);
            let mut p = x.clone();
            p.swap_axes(0, 2);
            assert_eq!(
                p.activation(&a).unwrap(),
                want.clone().permuted_axes([2, 1, 0])
            );
            let stepped = x.slice(s![.., ..;2, 1..]);
            assert_eq!(
                stepped.activation(&a).unwrap(),
                want.slice(s![.., ..;2, 1..])
            );
            let mut m = x.clone();
            m.slice_mut(s![.., ..;2, ..])
                .activation_inplace(&a)
                .unwrap();
            for (j, lane) in m.axis_iter(Axis(1)).enumerate() {
                let expect = if j % 2 == 0 {
                    want.index_axis(Axis(1), j)
                } else {
                    x.index_axis(Axis(1), j)
                };
                assert_eq!(lane, expect);
            }
            let mut whole = f.to_owned();
            whole.activation_inplace(&a).unwrap();
            assert_eq!(whole, want);
        }
    }

    #[test]
    fn backward_checks_shapes_and_matches_slices() {
        let x = sample();
        let g = x.mapv(|v| v * 0.5 - 1.0);
        let a = Activation::DEFAULT;
        let mut want = x.clone();
        a.backward(
            x.as_slice().unwrap(),
            g.as_slice().unwrap(),
            want.as_slice_mut().unwrap(),
        )
        .unwrap();
        assert_eq!(x.activation_backward(&a, &g).unwrap(), want);
        let gt = g.t().as_standard_layout().into_owned().reversed_axes();
        assert_eq!(x.activation_backward(&a, &gt).unwrap(), want);
        let wrong = Array3::<f32>::zeros((3, 7, 5));
        assert!(matches!(
            x.activation_backward(&a, &wrong),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}
