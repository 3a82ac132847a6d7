//! The leaky activations as candle ops, with autograd: one fused CPU pass forward and one
//! backward, with the core library's exact semantics (LeakyReLU's f'(0) = α, NaN propagated).
//!
//! ```
//! use candle_core::{Device, Module, Tensor, Var};
//! use leaky_candle::{Activation, ActivationLayer, activate};
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
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod activate;
mod fused;
mod layer;

pub use activate::{activate, activate_composed};
pub use layer::ActivationLayer;
pub use leaky::Activation;
