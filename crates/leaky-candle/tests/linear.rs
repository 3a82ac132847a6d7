//! The linear op against candle-nn's `Linear`, forward and backward; the fused activation the
//! same bits as the activation after; the layer interchanging weights with candle-nn's; and
//! bad shapes refused.

mod common;

use candle_core::{DType, Device, Module, Result, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use common::{bits, max_diff};
use leaky_candle::linear::linear_layer;
use leaky_candle::{Activation, activate, linear, linear_activated};

/// Reproducible values in [-1, 1).
fn random(shape: &[usize], seed: u64, dtype: DType) -> Var {
    let n: usize = shape.iter().product();
    let values: Vec<f64> = (0..n)
        .map(|i| {
            ((i as f64 + 1.0) * 0.618_033_988_75 + seed as f64 * 0.414_213_562_37).fract() * 2.0
                - 1.0
        })
        .collect();
    let t = Tensor::from_vec(values, shape, &Device::Cpu).unwrap();
    Var::from_tensor(&t.to_dtype(dtype).unwrap()).unwrap()
}

/// The output and the gradients of `vars` for a loss that weights every output differently.
fn run(f: impl Fn() -> Result<Tensor>, vars: &[&Var], seed: u64) -> Vec<Tensor> {
    let y = f().unwrap();
    let weights = random(y.dims(), seed, y.dtype());
    let loss = (&y * weights.as_tensor()).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    let mut out = vec![y];
    out.extend(
        vars.iter()
            .map(|v| grads.get(v).expect("a gradient").clone()),
    );
    out
}

#[test]
fn linear_matches_candle_forward_and_backward() {
    let x = random(&[5, 7], 1, DType::F64);
    let w = random(&[3, 7], 2, DType::F64);
    let b = random(&[3], 3, DType::F64);
    let vars = [&x, &w, &b];
    let ours = run(|| linear(&x, &w, Some(&b)), &vars, 4);
    let inner = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
    let theirs = run(|| inner.forward(&x), &vars, 4);
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        // Sums of 7 products of values below 1, in f64.
        assert!(max_diff(a, b) < 1e-13, "output or gradient {i}");
    }
    let no_bias = run(|| linear(&x, &w, None), &[&x, &w], 5);
    let inner = candle_nn::Linear::new(w.as_tensor().clone(), None);
    let theirs = run(|| inner.forward(&x), &[&x, &w], 5);
    for (a, b) in no_bias.iter().zip(&theirs) {
        assert!(max_diff(a, b) < 1e-13, "without a bias");
    }
}

#[test]
fn a_fused_activation_gives_the_same_bits_as_the_activation_after() {
    let x = random(&[16, 40], 6, DType::F32);
    let w = random(&[24, 40], 7, DType::F32);
    let b = random(&[24], 8, DType::F32);
    let vars = [&x, &w, &b];
    for spec in ["leaky_relu", "relu", "gelu", "sigmoid", "softplus"] {
        let act: Activation = spec.parse().unwrap();
        let fused = run(|| linear_activated(&x, &w, Some(&b), &act), &vars, 9);
        let after = run(|| activate(&linear(&x, &w, Some(&b))?, &act), &vars, 9);
        for (i, (a, b)) in fused.iter().zip(&after).enumerate() {
            assert_eq!(bits(a), bits(b), "{spec}: output or gradient {i}");
        }
    }
}

#[test]
fn the_layer_shares_candles_weights_names_and_results() {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let layer = linear_layer(6, 4, vb.pp("hidden")).unwrap();
    let mut names: Vec<String> = varmap.data().lock().unwrap().keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["hidden.bias", "hidden.weight"]);
    let x = random(&[3, 6], 10, DType::F32);
    let ours = layer.forward(x.as_tensor()).unwrap();
    let theirs = layer.inner().forward(x.as_tensor()).unwrap();
    assert!(max_diff(&ours, &theirs) < 1e-6);
    let act: Activation = "leaky_relu:alpha=0.2".parse().unwrap();
    let fused = layer.forward_activated(x.as_tensor(), &act).unwrap();
    assert_eq!(bits(&fused), bits(&activate(&ours, &act).unwrap()));
}

#[test]
fn bad_shapes_dtypes_and_activations_are_errors_naming_the_op() {
    let x = random(&[2, 3], 11, DType::F32);
    let w = random(&[4, 3], 12, DType::F32);
    let err = |r: Result<Tensor>| r.unwrap_err().to_string();
    let wrong = random(&[4, 5], 13, DType::F32);
    assert!(err(linear(&x, &wrong, None)).contains("linear: the input has 3 features"));
    let bias = random(&[5], 14, DType::F32);
    assert!(err(linear(&x, &w, Some(&bias))).contains("linear: a bias"));
    let w64 = w.to_dtype(DType::F64).unwrap();
    assert!(err(linear(&x, &w64, None)).contains("mixed dtypes"));
    let flat = random(&[3], 15, DType::F32);
    assert!(linear(&flat, &w, None).is_err());
    let nan = Activation::LeakyRelu { alpha: f64::NAN };
    assert!(err(linear_activated(&x, &w, None, &nan)).contains("alpha"));
}
