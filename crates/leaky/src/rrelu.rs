//! RReLU in training mode: a random slope per element, `y = x > 0 ? x : a·x` with
//! `a ~ U(lower, upper)`, drawn from a seedable generator so that runs can be reproduced.
//!
//! [`Activation::Rrelu`](crate::Activation::Rrelu) is evaluation mode, with the mean slope.

use crate::{Error, Float, Kind};

/// A small, fast, seedable generator (SplitMix64) for RReLU's slopes. Not for cryptography.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Forward in training mode. Writes `y`, and in `slopes` the factor each element was multiplied
/// by (1 where x > 0, the random slope elsewhere), which [`backward`] needs.
pub fn forward_train<T: Float>(
    x: &[T],
    lower: f64,
    upper: f64,
    rng: &mut Rng,
    y: &mut [T],
    slopes: &mut [T],
) -> Result<(), Error> {
    Kind::Rrelu.with_params(&[lower, upper])?;
    for (what, len) in [("output", y.len()), ("slopes", slopes.len())] {
        if len != x.len() {
            return Err(Error::LengthMismatch {
                what,
                expected: x.len(),
                found: len,
            });
        }
    }
    for ((out, slope), &v) in y.iter_mut().zip(slopes.iter_mut()).zip(x) {
        *slope = if v > T::ZERO {
            T::ONE
        } else {
            T::from_f64(lower + (upper - lower) * rng.next_f64())
        };
        *out = v * *slope;
    }
    Ok(())
}

/// Backward in training mode: `grad_in = grad_out · slopes`, with the slopes recorded by
/// [`forward_train`].
pub fn backward<T: Float>(slopes: &[T], grad_out: &[T], grad_in: &mut [T]) -> Result<(), Error> {
    for (what, len) in [("grad_out", grad_out.len()), ("grad_in", grad_in.len())] {
        if len != slopes.len() {
            return Err(Error::LengthMismatch {
                what,
                expected: slopes.len(),
                found: len,
            });
        }
    }
    for ((gi, &g), &s) in grad_in.iter_mut().zip(grad_out).zip(slopes) {
        *gi = g * s;
    }
    Ok(())
}
