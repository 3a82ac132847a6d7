//! Neural-network activation functions, LeakyReLU first: exact scalar definitions with PyTorch's
//! semantics, and slice operations for forward and backward passes in `f32` and `f64`, and in the
//! 16-bit storage types [`half::f16`] and [`half::bf16`] (computed in `f32`, each result rounded
//! once: see [`SliceElement`]).
//!
//! The slice operations run SIMD [`kernels`] chosen at run time (AVX-512, AVX2+FMA, or a portable
//! tier), on several threads for large slices. LeakyReLU and ReLU give exactly the scalar
//! definitions' results; sigmoid and tanh in `f32` are within 2 ULP of the correctly rounded value
//! (1.5 measured over all 2^32 inputs; see [`kernels`] and [`accuracy`]).
//! `LEAKY_TIER` and `LEAKY_THREADS` (or [`kernels::set_tier`], [`kernels::set_threads`]) override
//! the choices. Cargo features: `rayon` (run the threads in rayon's current pool), `ndarray`
//! (extension methods on arrays, `leaky::nd`).
//!
//! ```
//! use leaky::Activation;
//!
//! let act: Activation = "leaky_relu:alpha=0.2".parse()?;
//! assert_eq!(act.forward(-2.0_f32), -0.4);
//! assert_eq!(act.derivative(0.0_f32), 0.2); // f'(0) = α, as in PyTorch
//!
//! let x = [-1.0_f32, 0.0, 3.0];
//! let mut y = [0.0; 3];
//! act.forward_slice(&x, &mut y)?;
//! assert_eq!(y, [-0.2, 0.0, 3.0]);
//!
//! let mut grad_in = [0.0; 3];
//! act.backward(&x, &[1.0, 1.0, 1.0], &mut grad_in)?;
//! assert_eq!(grad_in, [0.2, 0.2, 1.0]);
//! # Ok::<(), leaky::Error>(())
//! ```

pub mod accuracy;
mod activation;
mod catalogue;
mod error;
mod float;
mod isa;
pub mod kernels;
mod math;
#[cfg(feature = "ndarray")]
pub mod nd;
pub mod prelu;
pub mod rrelu;
pub mod scalar;
mod slice_ops;
mod spec;
mod storage;

pub use activation::{GeluApproximation, KindInfo, ParamInfo};
pub use catalogue::{Activation, Kind};
pub use error::Error;
pub use float::{Float, SliceElement};
/// The crate of the 16-bit storage types the slice operations take, [`half::f16`] and
/// [`half::bf16`] (the one candle uses).
pub use half;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
