//! The one place where a model applies an activation to a tensor, so that every layer of every
//! model uses the same implementation.

use candle_core::{Result, Tensor};
use leaky::Activation;

/// `act` applied elementwise to `x`, differentiable, with the semantics of [`leaky::scalar`]
/// (LeakyReLU: `x > 0 ? x : α·x`, so f'(0) = α; ReLU: f'(0) = 0).
///
/// Composed from candle's built-in operations: `where_cond` sends the gradient down the branch
/// that was taken, which gives exactly those derivatives, NaN included (NaN > 0 is false).
pub fn activate(x: &Tensor, act: &Activation) -> Result<Tensor> {
    match *act {
        Activation::LeakyRelu { alpha } => x.gt(0.0)?.where_cond(x, &x.affine(alpha, 0.0)?),
        Activation::Relu => x.gt(0.0)?.where_cond(x, &x.zeros_like()?),
        Activation::Sigmoid => candle_nn::ops::sigmoid(x),
        Activation::Tanh => x.tanh(),
        _ => candle_core::bail!("the activation {act} is not supported in models yet"),
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    #[test]
    fn leaky_relu_value_and_gradient_follow_the_definition() {
        let act: Activation = "leaky_relu:alpha=0.2".parse().unwrap();
        let xs = [-2.0_f32, -0.0, 0.0, 3.0];
        let x = Var::new(&xs, &Device::Cpu).unwrap();
        let y = activate(x.as_tensor(), &act).unwrap();
        let grads = y.sum_all().unwrap().backward().unwrap();
        let dy: Vec<f32> = grads.get(&x).unwrap().to_vec1().unwrap();
        let ys: Vec<f32> = y.to_vec1().unwrap();
        for (i, &xi) in xs.iter().enumerate() {
            assert_eq!(ys[i], act.forward(xi), "f({xi})");
            assert_eq!(dy[i], act.derivative(xi), "f'({xi})");
        }
    }
}
