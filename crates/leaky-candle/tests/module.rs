//! [`ActivationLayer`]: built from specs, errors carry the core's message, and a small network
//! with it trains.

use candle_core::{D, DType, Device, Module, Result, Tensor, Var};
use candle_nn::{AdamW, Linear, Optimizer, ParamsAdamW, loss};
use leaky::Activation;
use leaky_candle::ActivationLayer;

#[test]
fn parses_specs_and_writes_them_back() -> Result<()> {
    let layer: ActivationLayer = "LeakyReLU:negative_slope=0.2".parse()?;
    assert_eq!(layer.activation(), Activation::LeakyRelu { alpha: 0.2 });
    assert_eq!(layer.to_string(), "leaky_relu:alpha=0.2");
    let again: ActivationLayer = layer.to_string().parse()?;
    assert_eq!(again.activation(), layer.activation());
    assert_eq!(ActivationLayer::default().activation(), Activation::DEFAULT);
    Ok(())
}

#[test]
fn bad_specs_are_candle_errors_with_the_core_message() {
    for spec in [
        "leaky_rleu",
        "leaky_relu:alpha=nan",
        "relu:alpha=1",
        "leaky_relu:beta=2",
    ] {
        let core = spec
            .parse::<Activation>()
            .expect_err("the spec is invalid")
            .to_string();
        let err = spec
            .parse::<ActivationLayer>()
            .expect_err("the spec is invalid");
        assert!(
            err.to_string().contains(&core),
            "'{spec}': {err} lacks '{core}'"
        );
    }
}

#[test]
fn forward_is_the_activation() -> Result<()> {
    let layer = ActivationLayer::new(Activation::leaky_relu(0.5).expect("finite alpha"));
    let x = Tensor::new(&[[-2.0f32, 0.0], [1.0, -4.0]], &Device::Cpu)?;
    assert_eq!(
        layer.forward(&x)?.to_vec2::<f32>()?,
        [[-1.0, 0.0], [1.0, -2.0]]
    );
    Ok(())
}

/// Numbers in [-1, 1) from a fixed linear congruential sequence, so runs are reproducible.
fn uniform(seed: u64, n: usize) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// A 2-16-2 network: `Linear → activation → Linear`, with weights drawn from `seed`.
struct Net {
    hidden: Linear,
    act: ActivationLayer,
    out: Linear,
    vars: Vec<Var>,
}

impl Net {
    fn new(act: ActivationLayer, seed: u64) -> Result<Self> {
        let var = |shape: &[usize], seed: u64, scale: f32| -> Result<Var> {
            let n = shape.iter().product();
            let values: Vec<f32> = uniform(seed, n).into_iter().map(|v| v * scale).collect();
            Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu)?)
        };
        let vars = vec![
            var(&[16, 2], seed, 1.0)?,
            var(&[16], seed + 1, 0.1)?,
            var(&[2, 16], seed + 2, 0.25)?,
            var(&[2], seed + 3, 0.1)?,
        ];
        Ok(Self {
            hidden: Linear::new(
                vars[0].as_tensor().clone(),
                Some(vars[1].as_tensor().clone()),
            ),
            act,
            out: Linear::new(
                vars[2].as_tensor().clone(),
                Some(vars[3].as_tensor().clone()),
            ),
            vars,
        })
    }
}

impl Module for Net {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        xs.apply(&self.hidden)?.apply(&self.act)?.apply(&self.out)
    }
}

/// XOR of the signs: not linearly separable, so the hidden activation has to do the work.
fn xor_data(n: usize) -> Result<(Tensor, Tensor)> {
    let points = uniform(7, 2 * n);
    let labels: Vec<u32> = points
        .chunks(2)
        .map(|p| u32::from((p[0] > 0.0) != (p[1] > 0.0)))
        .collect();
    Ok((
        Tensor::from_vec(points, (n, 2), &Device::Cpu)?,
        Tensor::from_vec(labels, n, &Device::Cpu)?,
    ))
}

#[test]
fn a_small_network_learns_xor_with_each_activation() -> Result<()> {
    let (xs, labels) = xor_data(256)?;
    for spec in ["leaky_relu:alpha=0.1", "relu", "sigmoid", "tanh"] {
        let net = Net::new(spec.parse()?, 42)?;
        let params = ParamsAdamW {
            lr: 0.05,
            ..Default::default()
        };
        let mut opt = AdamW::new(net.vars.clone(), params)?;
        let loss_now =
            || -> Result<f32> { loss::cross_entropy(&net.forward(&xs)?, &labels)?.to_scalar() };
        let initial = loss_now()?;
        for _ in 0..300 {
            let loss = loss::cross_entropy(&net.forward(&xs)?, &labels)?;
            opt.backward_step(&loss)?;
        }
        let last = loss_now()?;
        let predicted = net.forward(&xs)?.argmax(D::Minus1)?;
        let accuracy: f32 = predicted
            .eq(&labels)?
            .to_dtype(DType::F32)?
            .mean_all()?
            .to_scalar()?;
        assert!(last < 0.5 * initial, "{spec}: loss {initial} -> {last}");
        assert!(
            accuracy > 0.9,
            "{spec}: accuracy {accuracy}, loss {initial} -> {last}"
        );
    }
    Ok(())
}
