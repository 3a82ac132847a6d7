//! The leaky activations as candle ops, with autograd: one fused CPU pass forward and one
//! backward, with the core library's exact semantics (LeakyReLU's f'(0) = α, NaN propagated).
//!
//! What is covered:
//!
//! - [`activate`] and the layer [`ActivationLayer`]: every activation of the core library (all
//!   of [`leaky::Kind::ALL`], with any valid parameters). On the CPU, in `f32`, `f64`, `f16` and
//!   `bf16`, a fused `CustomOp1` runs the core's slice kernels forward and backward (the 16-bit
//!   types computed in `f32` and rounded once). On other devices, [`activate_composed`]: the same functions built from candle's own
//!   ops, with the core's derivatives at the kinks and at ±inf (its documentation lists the
//!   accuracy of each). PReLU's slope and RReLU's bounds are fixed here (RReLU in evaluation).
//!   [`activate_from_output`] differentiates from the output instead, as PyTorch's sigmoid and
//!   tanh do: faster, less accurate where the output saturates (its documentation has figures).
//! - [`prelu`] and the layer [`Prelu`]: PReLU with learnable slopes, one shared or one per
//!   channel (axis 1; axis 0 of a 1-D input), as a fused `CustomOp2` whose backward writes the
//!   gradients of the input and of the slopes in one pass; [`prelu_composed`] off the CPU. The
//!   layer's slopes are variables of a `candle_nn::VarMap`, so optimizers train them and
//!   safetensors save them.
//! - [`Rrelu`]: RReLU with PyTorch's training behaviour (a random slope per element from a
//!   seeded generator, and a backward through those slopes) and evaluation behaviour (the mean
//!   slope), as a `candle_core::ModuleT`. Training runs on the CPU; tensors elsewhere make a round
//!   trip.
//! - Layer ops for training on the CPU, each one op forward and one backward, with the same bits
//!   whatever the number of threads: [`conv2d`] and [`conv_transpose2d`], [`linear()`], each also
//!   with its activation fused ([`conv2d_activated`], [`conv_transpose2d_activated`],
//!   [`linear_activated`]); [`max_pool2`], also fused after a convolution and its activation
//!   ([`conv2d_activated_pooled`], and without gradient, returning the pre-activation too, for
//!   measuring a network: [`conv2d_activated_pooled_recorded`]); [`BatchNorm`] in training; and
//!   [`adam::Adam`]. The
//!   layers [`Conv2d`], [`ConvTranspose2d`], [`Linear`] and [`BatchNorm`] wrap candle-nn's, so
//!   weights, names and checkpoints interchange. They share their work between the threads of
//!   rayon's pool. candle 0.11's own element-wise ops run on a pool of its own, whose threads
//!   spin for a while after each op: on a machine with few cores they take the CPU from these
//!   ops' threads (a convolution's forward and backward pass beside candle's additions took
//!   1.2 to 1.4x as long on 2 cores). Setting `CANDLE_NUM_THREADS=1` in the environment, as the
//!   `leaky` command does, keeps candle's element-wise ops on the calling thread.
//!
//! No CUDA or Metal kernels of our own: there the composed forms run, at several passes over
//! memory each.
//!
//! ```
//! use candle_core::{DType, Device, Module, ModuleT, Tensor, Var};
//! use candle_nn::{VarBuilder, VarMap};
//! use leaky_candle::{Activation, ActivationLayer, Prelu, Rrelu, activate};
//!
//! let x = Var::new(&[-2.0_f32, 0.0, 3.0], &Device::Cpu)?;
//! let act: Activation = "leaky_relu:alpha=0.2".parse()?;
//! let y = activate(x.as_tensor(), &act)?;
//! assert_eq!(y.to_vec1::<f32>()?, [-0.4, 0.0, 3.0]);
//!
//! let grads = y.sum_all()?.backward()?;
//! let dx = grads.get(&x).expect("x is a variable").to_vec1::<f32>()?;
//! assert_eq!(dx, [0.2, 0.2, 1.0]); // f'(0) = α
//!
//! let layer: ActivationLayer = "relu".parse()?;
//! assert_eq!(layer.forward(&x)?.to_vec1::<f32>()?, [0.0, 0.0, 3.0]);
//!
//! // PReLU with one learnable slope per channel (axis 1), starting at 0.25.
//! let varmap = VarMap::new();
//! let prelu = Prelu::new(2, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
//! let batch = Tensor::new(&[[-4.0_f32, -8.0]], &Device::Cpu)?;
//! assert_eq!(prelu.forward(&batch)?.to_vec2::<f32>()?, [[-1.0, -2.0]]);
//! assert_eq!(varmap.all_vars().len(), 1); // the slopes, for the optimizer
//!
//! // RReLU: random slopes in [1/8, 3/8] in training, their mean in evaluation.
//! let rrelu = Rrelu::new(0.125, 0.375, 42)?;
//! let minus_one = Tensor::new(&[-1.0_f32], &Device::Cpu)?;
//! assert_eq!(rrelu.forward_t(&minus_one, false)?.to_vec1::<f32>()?, [-0.25]);
//! let drawn = rrelu.forward_t(&minus_one, true)?.to_vec1::<f32>()?[0];
//! assert!((-0.375..=-0.125).contains(&drawn));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod activate;
pub mod adam;
mod batch_norm;
mod compose;
pub mod conv;
mod cpu;
mod direct;
mod fused;
mod layer;
pub mod linear;
mod matmul;
mod pool;
mod prelu;
mod rrelu;
mod scratch;
mod unfold;

pub use activate::{activate, activate_composed, activate_from_output};
pub use batch_norm::BatchNorm;
pub use conv::{
    Conv2d, ConvTranspose2d, conv_transpose2d, conv_transpose2d_activated, conv2d,
    conv2d_activated, conv2d_activated_pooled, conv2d_activated_pooled_recorded,
};
pub use layer::ActivationLayer;
pub use leaky::Activation;
pub use linear::{Linear, linear, linear_activated};
pub use pool::max_pool2;
pub use prelu::{Prelu, prelu, prelu_composed};
pub use rrelu::Rrelu;
