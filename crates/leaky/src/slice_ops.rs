//! The slice operations: forward and backward over whole buffers, in `f32` and `f64` here, in
//! the 16-bit storage types through `f32` in [`storage`](crate::storage).
//!
//! Each operation checks the lengths (a mismatch is an [`Error::LengthMismatch`], never a panic,
//! and nothing is written), then asks the [kernels](crate::kernels) for the tier and threads to
//! use. An activation with a kernel in its catalogue entry runs it (the `f32` vector math only on
//! `f32` slices: [`Element::as_f32`] says which, by type); any other activation, and every
//! activation on the scalar tier, runs a plain loop over its scalar definition, compiled for that
//! activation alone and split between threads the same way.

use crate::activation::{WithScalarMap, WithScalarZip, WithVectorMath};
use crate::kernels::Plan;
use crate::math::VectorMath;
use crate::{Activation, Error, Float, SliceElement};

/// Below this length the scalar loops run on one thread.
const SCALAR_MIN_PARALLEL_LEN: usize = 16 * 1024;

impl Activation {
    /// Writes `y[i] = f(x[i])`. `y` must have the length of `x`.
    pub fn forward_slice<T: SliceElement>(&self, x: &[T], y: &mut [T]) -> Result<(), Error> {
        T::forward_slice(self, x, y)
    }

    /// Replaces each `x[i]` with `f(x[i])`.
    pub fn forward_in_place<T: SliceElement>(&self, x: &mut [T]) -> Result<(), Error> {
        T::forward_in_place(self, x)
    }

    /// Backward from the input: `grad_in[i] = grad_out[i] · f'(x[i])`.
    ///
    /// For the piecewise-linear functions this is a select, as in PyTorch, not a product:
    /// LeakyReLU gives `x > 0 ? g : g·α`, and the others `f'(x) == 0 ? 0 : g·f'(x)` (ReLU:
    /// `x <= 0 ? 0 : g`), so an infinite or NaN gradient where the function is flat gives 0.
    pub fn backward<T: SliceElement>(
        &self,
        x: &[T],
        grad_out: &[T],
        grad_in: &mut [T],
    ) -> Result<(), Error> {
        T::backward(self, x, grad_out, grad_in)
    }

    /// Backward from the output `y = f(x)`, for when the input was overwritten (in-place forward):
    /// `grad_in[i] = grad_out[i] · f'(f⁻¹(y[i]))`.
    ///
    /// Valid where f' can be told from f(x): ReLU, LeakyReLU and PReLU with a slope ≥ 0 (the sign
    /// of y must be the sign of x, as PyTorch requires), RReLU (evaluation slope), sigmoid, tanh,
    /// ELU with α ≥ 0, SELU, CELU, Softsign, Hardtanh, ReLU6 and Hardsigmoid. Anything else is an
    /// [`Error::Unsupported`] that says why.
    pub fn backward_from_output<T: SliceElement>(
        &self,
        y: &[T],
        grad_out: &[T],
        grad_in: &mut [T],
    ) -> Result<(), Error> {
        T::backward_from_output(self, y, grad_out, grad_in)
    }

    /// `Ok` where [`Activation::backward_from_output`] applies (the output determines the
    /// derivative), else the [`Error::Unsupported`] it would return; an invalid activation gives
    /// its own error. For callers that choose the backward before they have the slices.
    pub fn check_backward_from_output(&self) -> Result<(), Error> {
        self.validate()?;
        check_from_output(self)
    }
}

/// The slice operations of one element type, compiled here once per type: the public methods
/// above are generic, and a generic body is compiled again in every crate that calls it (the
/// kernels of every tier, several minutes of a cold build of the command-line tool).
pub trait SliceOps: Sized {
    /// [`Activation::forward_slice`].
    fn forward_slice(act: &Activation, x: &[Self], y: &mut [Self]) -> Result<(), Error>;
    /// [`Activation::forward_in_place`].
    fn forward_in_place(act: &Activation, x: &mut [Self]) -> Result<(), Error>;
    /// [`Activation::backward`].
    fn backward(act: &Activation, x: &[Self], g: &[Self], out: &mut [Self]) -> Result<(), Error>;
    /// [`Activation::backward_from_output`].
    fn backward_from_output(
        act: &Activation,
        y: &[Self],
        g: &[Self],
        out: &mut [Self],
    ) -> Result<(), Error>;
}

macro_rules! slice_ops {
    ($t:ty) => {
        impl SliceOps for $t {
            fn forward_slice(act: &Activation, x: &[$t], y: &mut [$t]) -> Result<(), Error> {
                act.validate()?;
                check_len("output", x.len(), y.len())?;
                forward_with(Plan::current()?, act, x, y);
                Ok(())
            }
            fn forward_in_place(act: &Activation, x: &mut [$t]) -> Result<(), Error> {
                act.validate()?;
                forward_in_place_with(Plan::current()?, act, x);
                Ok(())
            }
            fn backward(act: &Activation, x: &[$t], g: &[$t], out: &mut [$t]) -> Result<(), Error> {
                act.validate()?;
                check_len("grad_out", x.len(), g.len())?;
                check_len("grad_in", x.len(), out.len())?;
                backward_with(Plan::current()?, act, x, g, out);
                Ok(())
            }
            fn backward_from_output(
                act: &Activation,
                y: &[$t],
                g: &[$t],
                out: &mut [$t],
            ) -> Result<(), Error> {
                act.validate()?;
                check_len("grad_out", y.len(), g.len())?;
                check_len("grad_in", y.len(), out.len())?;
                check_from_output(act)?;
                backward_from_output_with(Plan::current()?, act, y, g, out);
                Ok(())
            }
        }
    };
}

slice_ops!(f32);
slice_ops!(f64);

/// `y = f(x)` on the plan, for a valid activation and slices of one length.
pub(crate) fn forward_with<T: Float>(plan: Plan, act: &Activation, x: &[T], y: &mut [T]) {
    if plan.vectorized() {
        if let Some((op, _)) = act.kernels::<T>() {
            plan.map(op, x, y);
            return;
        }
        if let (Some(x), Some(y)) = (T::as_f32(x), T::as_f32_mut(&mut *y))
            && act.with_vector_math(MapMath { plan, x, y }).is_some()
        {
            return;
        }
    }
    act.with_scalar_forward(MapLoop { plan, x, y });
}

/// `x = f(x)` on the plan, for a valid activation.
pub(crate) fn forward_in_place_with<T: Float>(plan: Plan, act: &Activation, x: &mut [T]) {
    if plan.vectorized() {
        if let Some((op, _)) = act.kernels::<T>() {
            plan.map_in_place(op, x);
            return;
        }
        if let Some(x) = T::as_f32_mut(&mut *x)
            && act.with_vector_math(MapMathInPlace { plan, x }).is_some()
        {
            return;
        }
    }
    act.with_scalar_forward(MapLoopInPlace { plan, x });
}

/// `grad_in = grad_out · f'(x)` on the plan, for a valid activation and slices of one length.
pub(crate) fn backward_with<T: Float>(
    plan: Plan,
    act: &Activation,
    x: &[T],
    grad_out: &[T],
    grad_in: &mut [T],
) {
    if plan.vectorized() {
        if let Some((_, op)) = act.kernels::<T>() {
            plan.zip(op, x, grad_out, grad_in);
            return;
        }
        let f32s = (
            T::as_f32(x),
            T::as_f32(grad_out),
            T::as_f32_mut(&mut *grad_in),
        );
        if let (Some(x), Some(g), Some(out)) = f32s
            && act
                .with_vector_math(BackwardMath { plan, x, g, out })
                .is_some()
        {
            return;
        }
    }
    act.with_scalar_backward(ZipLoop {
        plan,
        a: x,
        g: grad_out,
        out: grad_in,
    });
}

/// The backward from the output on the plan, for a valid activation that
/// [`check_from_output`] accepts and slices of one length.
pub(crate) fn backward_from_output_with<T: Float>(
    plan: Plan,
    act: &Activation,
    y: &[T],
    grad_out: &[T],
    grad_in: &mut [T],
) {
    if let Some(op) = act.kernel_from_output::<T>().filter(|_| plan.vectorized()) {
        plan.zip(op, y, grad_out, grad_in);
        return;
    }
    let run = ZipLoop {
        plan,
        a: y,
        g: grad_out,
        out: grad_in,
    };
    let ran = act.with_scalar_from_output(run);
    debug_assert!(ran.is_some(), "check_from_output accepted it");
}

/// An [`Error::Unsupported`] that says why, if the backward from the output does not apply to
/// `act`.
pub(crate) fn check_from_output(act: &Activation) -> Result<(), Error> {
    let reason = act.refusal_from_output().or_else(|| {
        act.with_scalar_from_output::<f32, _>(Probe).is_none().then_some(
            "its derivative cannot be told from its output (it is not invertible there); use the backward from the input",
        )
    });
    match reason {
        Some(reason) => Err(Error::Unsupported {
            activation: act.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Runs nothing: asks whether an activation has a scalar backward from the output.
struct Probe;

impl WithScalarZip<f32> for Probe {
    type Output = ();
    fn with(self, _: impl Fn(f32, f32) -> f32 + Sync) {}
}

/// An [`Error::LengthMismatch`] unless `found == expected`.
pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

/// `y[i] = f(x[i])` by the scalar loop, on the plan's threads.
struct MapLoop<'a, T> {
    plan: Plan,
    x: &'a [T],
    y: &'a mut [T],
}

impl<T: Float> WithScalarMap<T> for MapLoop<'_, T> {
    type Output = ();
    fn with(self, f: impl Fn(T) -> T + Sync) {
        self.plan
            .split((self.x, self.y), SCALAR_MIN_PARALLEL_LEN, |(x, y)| {
                for (out, &v) in y.iter_mut().zip(x) {
                    *out = f(v);
                }
            });
    }
}

/// `x[i] = f(x[i])` by the scalar loop, on the plan's threads.
struct MapLoopInPlace<'a, T> {
    plan: Plan,
    x: &'a mut [T],
}

impl<T: Float> WithScalarMap<T> for MapLoopInPlace<'_, T> {
    type Output = ();
    fn with(self, f: impl Fn(T) -> T + Sync) {
        self.plan.split(self.x, SCALAR_MIN_PARALLEL_LEN, |x| {
            for v in x.iter_mut() {
                *v = f(*v);
            }
        });
    }
}

/// `out[i] = f(a[i], g[i])` by the scalar loop, on the plan's threads.
struct ZipLoop<'a, T> {
    plan: Plan,
    a: &'a [T],
    g: &'a [T],
    out: &'a mut [T],
}

impl<T: Float> WithScalarZip<T> for ZipLoop<'_, T> {
    type Output = ();
    fn with(self, f: impl Fn(T, T) -> T + Sync) {
        let data = (self.a, self.g, self.out);
        self.plan
            .split(data, SCALAR_MIN_PARALLEL_LEN, |(a, g, out)| {
                for ((o, &g), &a) in out.iter_mut().zip(g).zip(a) {
                    *o = f(a, g);
                }
            });
    }
}

/// `y = f(x)` by an `f32` vector-math kernel.
struct MapMath<'a> {
    plan: Plan,
    x: &'a [f32],
    y: &'a mut [f32],
}

impl WithVectorMath for MapMath<'_> {
    type Output = ();
    fn with<M: VectorMath>(self, math: M) {
        self.plan.map_math(math, self.x, self.y);
    }
}

/// `x = f(x)` by an `f32` vector-math kernel.
struct MapMathInPlace<'a> {
    plan: Plan,
    x: &'a mut [f32],
}

impl WithVectorMath for MapMathInPlace<'_> {
    type Output = ();
    fn with<M: VectorMath>(self, math: M) {
        self.plan.map_math_in_place(math, self.x);
    }
}

/// `out = g·f'(x)` by an `f32` vector-math kernel.
struct BackwardMath<'a> {
    plan: Plan,
    x: &'a [f32],
    g: &'a [f32],
    out: &'a mut [f32],
}

impl WithVectorMath for BackwardMath<'_> {
    type Output = ();
    fn with<M: VectorMath>(self, math: M) {
        self.plan.backward_math(math, self.x, self.g, self.out);
    }
}
