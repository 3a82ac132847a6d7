//! PReLU with one learnable slope per channel: `y = x > 0 ? x : w[c]·x`, where `c` is the index
//! of `x` along the channel axis (axis 1 of NCHW, as in PyTorch), and the gradient for the slopes.
//!
//! [`Activation::Prelu`](crate::Activation::Prelu) is the same function with one shared slope.

use crate::{Error, Float, scalar};

/// How a contiguous (row-major) tensor splits around its channel axis:
/// `outer × channels × inner` elements, e.g. N × C × (H·W) for NCHW with axis 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelLayout {
    /// The product of the dimensions before the channel axis.
    pub outer: usize,
    /// The size of the channel axis.
    pub channels: usize,
    /// The product of the dimensions after the channel axis.
    pub inner: usize,
}

impl ChannelLayout {
    /// The layout of a row-major tensor of `shape` with channels on `axis`. A 1-D shape has its
    /// channels on axis 0, as PyTorch treats it.
    pub fn new(shape: &[usize], axis: usize) -> Result<Self, Error> {
        if axis >= shape.len() {
            return Err(Error::Unsupported {
                activation: "prelu".into(),
                reason: "the channel axis must be one of the tensor's axes",
            });
        }
        Ok(ChannelLayout {
            outer: shape[..axis].iter().product(),
            channels: shape[axis],
            inner: shape[axis + 1..].iter().product(),
        })
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.outer * self.channels * self.inner
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that `weights` holds one shared slope or one per channel, and that the slices
    /// have the layout's length.
    fn check<T: Float>(
        &self,
        weights: &[T],
        lengths: &[(&'static str, usize)],
    ) -> Result<(), Error> {
        if weights.len() != 1 && weights.len() != self.channels {
            return Err(Error::LengthMismatch {
                what: "weights (one shared slope, or one per channel)",
                expected: self.channels,
                found: weights.len(),
            });
        }
        for &(what, found) in lengths {
            if found != self.len() {
                return Err(Error::LengthMismatch {
                    what,
                    expected: self.len(),
                    found,
                });
            }
        }
        Ok(())
    }

    /// Calls `f(range, slope)` for each run of `inner` elements that share a slope.
    fn for_each_run<T: Float>(&self, weights: &[T], mut f: impl FnMut(std::ops::Range<usize>, T)) {
        for o in 0..self.outer {
            for c in 0..self.channels {
                let start = (o * self.channels + c) * self.inner;
                let slope = if weights.len() == 1 {
                    weights[0]
                } else {
                    weights[c]
                };
                f(start..start + self.inner, slope);
            }
        }
    }
}

/// Forward: `y = x > 0 ? x : w[c]·x`.
pub fn forward<T: Float>(
    x: &[T],
    weights: &[T],
    layout: ChannelLayout,
    y: &mut [T],
) -> Result<(), Error> {
    layout.check(weights, &[("input", x.len()), ("output", y.len())])?;
    layout.for_each_run(weights, |run, slope| {
        for (out, &v) in y[run.clone()].iter_mut().zip(&x[run]) {
            *out = scalar::leaky_relu(v, slope);
        }
    });
    Ok(())
}

/// Backward: `grad_in = x > 0 ? g : w[c]·g`, and the slopes' gradient
/// `grad_weights[c] = Σ (x > 0 ? 0 : x·g)` over the channel's elements (over all elements for one
/// shared slope). `grad_weights` is overwritten and must have the length of `weights`.
pub fn backward<T: Float>(
    x: &[T],
    weights: &[T],
    layout: ChannelLayout,
    grad_out: &[T],
    grad_in: &mut [T],
    grad_weights: &mut [T],
) -> Result<(), Error> {
    layout.check(
        weights,
        &[
            ("input", x.len()),
            ("grad_out", grad_out.len()),
            ("grad_in", grad_in.len()),
        ],
    )?;
    if grad_weights.len() != weights.len() {
        return Err(Error::LengthMismatch {
            what: "grad_weights",
            expected: weights.len(),
            found: grad_weights.len(),
        });
    }
    grad_weights.fill(T::ZERO);
    let shared = weights.len() == 1;
    let mut channel = 0;
    layout.for_each_run(weights, |run, slope| {
        let mut sum = T::ZERO;
        for ((gi, &g), &v) in grad_in[run.clone()]
            .iter_mut()
            .zip(&grad_out[run.clone()])
            .zip(&x[run])
        {
            *gi = scalar::leaky_relu_backward(v, g, slope);
            sum = sum + if v > T::ZERO { T::ZERO } else { v * g };
        }
        let index = if shared { 0 } else { channel % layout.channels };
        grad_weights[index] = grad_weights[index] + sum;
        channel += 1;
    });
    Ok(())
}
