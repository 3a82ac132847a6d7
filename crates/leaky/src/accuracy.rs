//! Accuracy sweeps: the `f32` kernels against the scalar definitions evaluated in `f64`.
//!
//! The reference for an input `x` is the definition computed in `f64` (not rounded to `f32`); the
//! error of a kernel's result `y` is `|y - ref|` in units of the ULP of `f32` at `ref` (2^-149
//! below 2^-126), so a correctly rounded result is within 0.5. A NaN must meet a NaN, and an
//! infinite or overflowing result must equal `ref` rounded to `f32`; anything else counts as an
//! infinite error. [`sweep_f32`] walks all 2^32 bit patterns or a dense, deterministic sample of
//! them, on the kernel tier in force on the calling thread (see [`kernels`]).
//!
//! ```
//! use leaky::accuracy::{Direction, Inputs, sweep_f32};
//!
//! let report = sweep_f32(&leaky::Activation::Sigmoid, Direction::Forward, Inputs::Sample(1 << 16))?;
//! assert!(report.max_ulp <= 2.0, "{report}");
//! # Ok::<(), leaky::Error>(())
//! ```

use std::fmt;

use crate::kernels::{self, Tier};
use crate::{Activation, Error};

/// What is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `f(x)`: [`Activation::forward_slice`] against [`Activation::forward`] in `f64`.
    Forward,
    /// `f'(x)`: [`Activation::backward`] with a gradient of 1 against [`Activation::derivative`]
    /// in `f64`.
    Derivative,
}

impl Direction {
    /// `forward` or `derivative`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Derivative => "derivative",
        }
    }
}

/// Which inputs are swept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inputs {
    /// All 2^32 bit patterns (NaNs, infinities, subnormals and zeros included).
    Exhaustive,
    /// About this many bit patterns, evenly spread over all 2^32 with a deterministic jitter,
    /// plus the special values.
    Sample(u64),
}

/// The result of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The activation, as a spec.
    pub activation: String,
    /// What was compared.
    pub direction: Direction,
    /// The kernel tier that ran.
    pub tier: Tier,
    /// How many inputs were compared.
    pub inputs: u64,
    /// The largest error, in ULP (infinite if a NaN or an overflow was wrong).
    pub max_ulp: f64,
    /// The mean error over inputs with a finite reference, in ULP.
    pub mean_ulp: f64,
    /// An input with the largest error.
    pub worst_input: f32,
    /// The kernel's result there.
    pub worst_output: f32,
    /// The reference there.
    pub worst_reference: f64,
    /// How many results were more than 0.5 ULP off (not correctly rounded).
    pub not_correctly_rounded: u64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} on {}: {} inputs, max {:.3} ULP at x = {:e} ({:#010x}: got {:e}, reference {:e}), mean {:.4} ULP, {} not correctly rounded",
            self.activation,
            self.direction.name(),
            self.tier,
            self.inputs,
            self.max_ulp,
            self.worst_input,
            self.worst_input.to_bits(),
            self.worst_output,
            self.worst_reference,
            self.mean_ulp,
            self.not_correctly_rounded
        )
    }
}

/// The error of `y` against the reference `r`, in ULP of `f32` at `r` (see the module docs).
pub fn ulp_error_f32(y: f32, r: f64) -> f64 {
    if y.is_nan() || r.is_nan() {
        return if y.is_nan() && r.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let rounded = r as f32;
    if y.is_infinite() || rounded.is_infinite() {
        return if y == rounded { 0.0 } else { f64::INFINITY };
    }
    let exponent = ((r.abs().to_bits() >> 52) as i64 - 1023).max(-126);
    let ulp = 2f64.powi((exponent - 23) as i32);
    (f64::from(y) - r).abs() / ulp
}

/// Sweeps `activation`'s `f32` kernel over `inputs` on the tier in force, on the kernels' thread
/// count (each thread running the kernel single-threaded on its own chunks).
pub fn sweep_f32(
    activation: &Activation,
    direction: Direction,
    inputs: Inputs,
) -> Result<Report, Error> {
    activation.validate()?;
    let tier = Tier::current()?;
    let threads = kernels::threads()?;
    let chunks = Chunks::new(inputs);
    let next = std::sync::atomic::AtomicU64::new(0);
    let partials: Vec<Result<Partial, Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    kernels::with_tier(tier, || {
                        kernels::with_threads(1, || {
                            let mut acc = Partial::default();
                            let mut x = Vec::with_capacity(CHUNK);
                            let mut y = vec![0.0f32; CHUNK + 16];
                            let ones = vec![1.0f32; CHUNK + 16];
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                if !chunks.fill(i, &mut x) {
                                    return Ok(acc);
                                }
                                let y = &mut y[..x.len()];
                                match direction {
                                    Direction::Forward => activation.forward_slice(&x, y)?,
                                    Direction::Derivative => {
                                        activation.backward(&x, &ones[..x.len()], y)?
                                    }
                                }
                                for (&xi, &yi) in x.iter().zip(y.iter()) {
                                    let xd = f64::from(xi);
                                    let r = match direction {
                                        Direction::Forward => activation.forward(xd),
                                        Direction::Derivative => activation.derivative(xd),
                                    };
                                    acc.add(xi, yi, r);
                                }
                            }
                        })
                    })?
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("sweep worker panicked"))
            .collect()
    });
    let mut total = Partial::default();
    for p in partials {
        total.merge(p?);
    }
    Ok(Report {
        activation: activation.to_string(),
        direction,
        tier,
        inputs: total.count,
        max_ulp: total.max,
        mean_ulp: if total.finite > 0 {
            total.sum / total.finite as f64
        } else {
            0.0
        },
        worst_input: total.worst.0,
        worst_output: total.worst.1,
        worst_reference: total.worst.2,
        not_correctly_rounded: total.over_half,
    })
}

/// Inputs per chunk handed to one thread.
const CHUNK: usize = 1 << 16;

/// The inputs, cut into chunks of [`CHUNK`] bit patterns.
struct Chunks {
    /// Bit patterns per chunk slot: 1 for the exhaustive sweep, else the sampling stride.
    stride: u64,
    /// How many chunks.
    count: u64,
}

impl Chunks {
    fn new(inputs: Inputs) -> Chunks {
        let total = 1u64 << 32;
        let stride = match inputs {
            Inputs::Exhaustive => 1,
            Inputs::Sample(n) => (total / n.clamp(1, total)).max(1),
        };
        let per_chunk = CHUNK as u64 * stride;
        Chunks {
            stride,
            count: total.div_ceil(per_chunk),
        }
    }

    /// Writes chunk `i` into `x`; false when there is no such chunk.
    fn fill(&self, i: u64, x: &mut Vec<f32>) -> bool {
        x.clear();
        if i >= self.count {
            return false;
        }
        let start = i * CHUNK as u64 * self.stride;
        for j in 0..CHUNK as u64 {
            let base = start + j * self.stride;
            if base >= 1 << 32 {
                break;
            }
            let jitter = if self.stride > 1 {
                // A fixed scramble of the index, so that the sample is not one mantissa pattern.
                (base.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) % self.stride
            } else {
                0
            };
            x.push(f32::from_bits((base + jitter) as u32));
        }
        if i == 0 && self.stride > 1 {
            x.extend([
                0.0,
                -0.0,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NAN,
                f32::MIN_POSITIVE,
                f32::from_bits(1),
                -f32::from_bits(1),
                f32::MAX,
                f32::MIN,
            ]);
        }
        true
    }
}

/// One thread's running totals.
#[derive(Default)]
struct Partial {
    count: u64,
    finite: u64,
    sum: f64,
    max: f64,
    over_half: u64,
    worst: (f32, f32, f64),
}

impl Partial {
    fn add(&mut self, x: f32, y: f32, r: f64) {
        let e = ulp_error_f32(y, r);
        self.count += 1;
        if r.is_finite() && e.is_finite() {
            self.finite += 1;
            self.sum += e;
        }
        if e > 0.5 {
            self.over_half += 1;
        }
        if e > self.max || self.count == 1 {
            self.max = e;
            self.worst = (x, y, r);
        }
    }

    fn merge(&mut self, other: Partial) {
        if other.count > 0 && (other.max > self.max || self.count == 0) {
            self.max = other.max;
            self.worst = other.worst;
        }
        self.count += other.count;
        self.finite += other.finite;
        self.sum += other.sum;
        self.over_half += other.over_half;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulp_error_is_zero_for_exact_and_half_for_ties() {
        assert_eq!(ulp_error_f32(1.0, 1.0), 0.0);
        // 1 + 2^-24 lies halfway between 1 and the next f32 (1 + 2^-23).
        assert_eq!(ulp_error_f32(1.0, 1.0 + 2f64.powi(-24)), 0.5);
        assert_eq!(ulp_error_f32(f32::from_bits(1), 0.0), 1.0);
        assert_eq!(ulp_error_f32(f32::NAN, f64::NAN), 0.0);
        assert!(ulp_error_f32(0.0, f64::NAN).is_infinite());
        assert_eq!(ulp_error_f32(f32::INFINITY, 1e300), 0.0);
        assert!(ulp_error_f32(f32::MAX, 1e300).is_infinite());
    }

    #[test]
    fn samples_cover_the_range_once() {
        let chunks = Chunks::new(Inputs::Sample(1 << 20));
        let mut x = Vec::new();
        let mut n = 0;
        let mut i = 0;
        while chunks.fill(i, &mut x) {
            n += x.len();
            i += 1;
        }
        assert_eq!(n, (1 << 20) + 10);
    }
}
