//! A fully connected layer with its bias and activation as one op: [`linear`] and
//! [`linear_activated`] (functions with autograd) and the layer [`Linear`], which wraps
//! candle-nn's (the same weights, names, layout and initialisation, so checkpoints interchange).
//!
//! For `x (n, in)`, weights `W (out, in)` and a bias `b (out,)`:
//!
//! ```text
//! forward:  z = x·Wᵀ + b    y = f(z)              (n, out)
//! backward: grad_z = f'(z)·grad_y
//!           grad_x = grad_z·W    grad_W = grad_zᵀ·x    grad_b = Σ over rows of grad_z
//! ```
//!
//! Forward, each row of `z` starts as the bias and one matrix product adds `x·Wᵀ` to it; the
//! pre-activation `z` is kept for the backward pass, which computes every gradient in one op.
//! The products run on one thread (sized for the small batches of the CNN's hidden layer), and
//! the bias's gradient adds the rows in order, so the result is the same bits whatever the
//! number of threads. `f32` and `f64` on the CPU run this op; other dtypes and devices run
//! candle's matrix product, then [`activate`].

use std::borrow::Cow;

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, DType, Device, Error, Module, Result, Shape, Tensor, bail};
use candle_nn::VarBuilder;
use leaky::Activation;

use crate::activate::activate;
use crate::cpu::{
    self, Gradients, Layer, Operand, Saved, TensorGradients, as_tensors, on_cpu, slice,
};
use crate::matmul::{Matrix, Real, matmul, product_matrix, transpose};

/// `x·Wᵀ + bias` for `x (n, in)` and `W (out, in)`, as `candle_nn::Linear` on a 2-D input,
/// with autograd.
///
/// Errors (a candle `Error` naming the op and the shapes): an input that is not 2-D, a
/// feature count that differs from the weights', a bias of the wrong size, mixed dtypes.
pub fn linear(x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    dense(x, w, bias, None)
}

/// `f(x·Wᵀ + bias)` for an activation `f`, as one op: the same values and gradients as
/// [`activate`] after [`linear`], bit for bit. Errors as [`linear`], and an invalid activation.
pub fn linear_activated(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    activation: &Activation,
) -> Result<Tensor> {
    dense(x, w, bias, Some(activation))
}

fn dense(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    activation: Option<&Activation>,
) -> Result<Tensor> {
    if let Some(act) = activation {
        act.validate().map_err(Error::wrap)?;
    }
    let (rows, inputs) = x.dims2()?;
    let (outputs, w_inputs) = w.dims2()?;
    if w_inputs != inputs {
        bail!(
            "linear: the input has {inputs} features, the weights {:?} expect {w_inputs}",
            w.shape()
        );
    }
    if let Some(b) = bias
        && b.dims() != [outputs]
    {
        bail!(
            "linear: a bias of shape {:?} for {outputs} outputs",
            b.shape()
        );
    }
    let fast = matches!(x.device(), Device::Cpu) && matches!(x.dtype(), DType::F32 | DType::F64);
    if !fast {
        let z = x.matmul(&w.t()?)?;
        let z = match bias {
            Some(b) => z.broadcast_add(b)?,
            None => z,
        };
        return match activation {
            Some(act) => activate(&z, act),
            None => Ok(z),
        };
    }
    if w.dtype() != x.dtype() || bias.is_some_and(|b| b.dtype() != x.dtype()) {
        bail!(
            "linear: mixed dtypes: input {:?}, weights {:?}",
            x.dtype(),
            w.dtype()
        );
    }
    let op = Dense {
        rows,
        inputs,
        outputs,
        activation: activation.copied(),
        pre_activation: Saved::new(),
    };
    let (x, w) = (x.contiguous()?, w.contiguous()?);
    let bias = bias.map(Tensor::contiguous).transpose()?;
    cpu::apply(op, &x, &w, bias.as_ref())
}

/// The op: `n × in` inputs, `out × in` weights, and the activation if any.
struct Dense {
    rows: usize,
    inputs: usize,
    outputs: usize,
    activation: Option<Activation>,
    /// `z`, written by the forward pass when there is an activation.
    pre_activation: Saved<CpuStorage>,
}

impl Dense {
    /// `(y, z)`: `(z, None)` without an activation.
    fn compute<T: Real>(
        &self,
        x: &[T],
        w: &[T],
        bias: Option<&[T]>,
    ) -> Result<(Vec<T>, Option<Vec<T>>)> {
        let x = Matrix::new(x, self.rows, self.inputs);
        let w = Matrix::new(w, self.outputs, self.inputs);
        // `z = x · Wᵀ + bias` is computed transposed, `zᵀ = W · xᵀ` (from the bias), which the
        // product reads as they lie, where `z` itself would have it repack all the weights.
        let z_t = match bias {
            Some(bias) => {
                let mut z_t: Vec<T> = bias
                    .iter()
                    .flat_map(|&b| std::iter::repeat_n(b, self.rows))
                    .collect();
                matmul(&mut z_t, w, x.t(), true);
                z_t
            }
            None => product_matrix(w, x.t()),
        };
        let z = transpose(&z_t, self.outputs, self.rows);
        let Some(activation) = &self.activation else {
            return Ok((z, None));
        };
        let mut y = vec![T::zero(); z.len()];
        activation.forward_slice(&z, &mut y).map_err(Error::wrap)?;
        Ok((y, Some(z)))
    }

    /// The gradients of the input (when `input` asks for it), the weights and the bias.
    fn compute_gradients<T: Real>(
        &self,
        x: &[T],
        w: &[T],
        grad_y: &[T],
        input: bool,
        z: Option<&[T]>,
    ) -> Result<Gradients<T>> {
        let grad_z = match (&self.activation, z) {
            (Some(activation), Some(z)) => {
                let mut grad_z = vec![T::zero(); z.len()];
                activation
                    .backward(z, grad_y, &mut grad_z)
                    .map_err(Error::wrap)?;
                Cow::Owned(grad_z)
            }
            _ => Cow::Borrowed(grad_y),
        };
        let gz = Matrix::new(&grad_z, self.rows, self.outputs);
        let grad_x = input.then(|| product_matrix(gz, Matrix::new(w, self.outputs, self.inputs)));
        let grad_w = product_matrix(gz.t(), Matrix::new(x, self.rows, self.inputs));
        let mut grad_b = vec![T::zero(); self.outputs];
        for row in grad_z.chunks(self.outputs) {
            for (sum, &g) in grad_b.iter_mut().zip(row) {
                *sum += g;
            }
        }
        Ok((grad_x, grad_w, grad_b))
    }

    fn gradients(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        grad_y: &Tensor,
        z: Option<&CpuStorage>,
    ) -> Result<TensorGradients> {
        on_cpu("linear", x, w, grad_y, |xs, ws, gs, input| {
            match x.dtype() {
                DType::F32 => {
                    let z = z.map(|z| z.as_slice::<f32>()).transpose()?;
                    let grads =
                        self.compute_gradients(slice(xs)?, slice(ws)?, slice(gs)?, input, z)?;
                    as_tensors(grads, x, w, bias)
                }
                DType::F64 => {
                    let z = z.map(|z| z.as_slice::<f64>()).transpose()?;
                    let grads =
                        self.compute_gradients(slice(xs)?, slice(ws)?, slice(gs)?, input, z)?;
                    as_tensors(grads, x, w, bias)
                }
                dtype => bail!("linear: unsupported dtype {dtype:?}"),
            }
        })
    }
}

impl Layer for Dense {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn forward(
        &self,
        x: Operand,
        w: Operand,
        bias: Option<Operand>,
    ) -> Result<(CpuStorage, Shape)> {
        let (y, z) = match (x.0, w.0) {
            (CpuStorage::F32(_), CpuStorage::F32(_)) => {
                let (y, z) = self.compute(slice(x)?, slice(w)?, bias.map(slice).transpose()?)?;
                (CpuStorage::F32(y), z.map(CpuStorage::F32))
            }
            (CpuStorage::F64(_), CpuStorage::F64(_)) => {
                let (y, z) = self.compute(slice(x)?, slice(w)?, bias.map(slice).transpose()?)?;
                (CpuStorage::F64(y), z.map(CpuStorage::F64))
            }
            (x, w) => bail!(
                "linear: unsupported or mixed dtypes {:?} and {:?}",
                x.dtype(),
                w.dtype()
            ),
        };
        if let Some(z) = z {
            self.pre_activation.put(z);
        }
        Ok((y, (self.rows, self.outputs).into()))
    }

    fn backward(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        grad_y: &Tensor,
    ) -> Result<TensorGradients> {
        match self.activation {
            Some(_) => self
                .pre_activation
                .with("linear", |z| self.gradients(x, w, bias, grad_y, Some(z))),
            None => self.gradients(x, w, bias, grad_y, None),
        }
    }
}

/// A fully connected layer: candle-nn's [`candle_nn::Linear`] (its weights, names and
/// initialisation), computed with [`linear`] on 2-D inputs.
#[derive(Clone, Debug)]
pub struct Linear(candle_nn::Linear);

impl Linear {
    /// Wraps a candle linear layer.
    pub fn new(inner: candle_nn::Linear) -> Self {
        Linear(inner)
    }

    /// The candle layer it wraps, with its weights.
    pub fn inner(&self) -> &candle_nn::Linear {
        &self.0
    }

    /// `f(self.forward(x))` as one op: [`linear_activated`] with the layer's weights.
    pub fn forward_activated(&self, x: &Tensor, activation: &Activation) -> Result<Tensor> {
        linear_activated(x, self.0.weight(), self.0.bias(), activation)
    }
}

impl Module for Linear {
    /// `(n, in)` → `(n, out)`; other ranks go to candle-nn's layer.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match x.rank() {
            2 => linear(x, self.0.weight(), self.0.bias()),
            _ => self.0.forward(x),
        }
    }
}

/// A [`Linear`] with candle-nn's initialisation and variable names (`weight`, `bias`), as
/// `candle_nn::linear`.
pub fn linear_layer(inputs: usize, outputs: usize, vb: VarBuilder) -> Result<Linear> {
    candle_nn::linear(inputs, outputs, vb).map(Linear)
}
