//! The fused batch norm against candle-nn's, in training (output, gradients, running
//! statistics) and evaluation; the same bits whatever the number of threads; bad shapes refused.

mod common;

use candle_core::{DType, Device, ModuleT, Result, Tensor, Var};
use candle_nn::{BatchNormConfig, VarBuilder, VarMap};
use common::{bits, max_diff};
use leaky_candle::BatchNorm;

/// Reproducible values in [-1, 1) times `scale`, plus `shift`.
fn values(n: usize, seed: u64, scale: f64, shift: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let u = ((i as f64 + 1.0) * 0.618_033_988_75 + seed as f64 * 0.414_213_562_37).fract();
            (u * 2.0 - 1.0) * scale + shift
        })
        .collect()
}

fn var(shape: &[usize], seed: u64, dtype: DType) -> Var {
    let n = shape.iter().product();
    let t = Tensor::from_vec(values(n, seed, 2.0, 0.5), shape, &Device::Cpu).unwrap();
    Var::from_tensor(&t.to_dtype(dtype).unwrap()).unwrap()
}

/// A batch-norm layer of `channels` with non-trivial weight and bias, and its variables.
fn layer(channels: usize, dtype: DType) -> (candle_nn::BatchNorm, VarMap) {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, dtype, &Device::Cpu);
    let bn = candle_nn::batch_norm(channels, BatchNormConfig::default(), vb.pp("bn")).unwrap();
    let (w, b) = bn.weight_and_bias().unwrap();
    let set = |t: &Tensor, seed| {
        let v = Tensor::from_vec(values(channels, seed, 0.5, 1.0), channels, &Device::Cpu).unwrap();
        Var::from_tensor(t)
            .unwrap()
            .set(&v.to_dtype(dtype).unwrap())
            .unwrap();
    };
    set(w, 7);
    set(b, 8);
    (bn, varmap)
}

/// The output, the gradients of x, weight and bias, and the running mean and variance after.
fn train_step(
    f: impl Fn(&Tensor) -> Result<Tensor>,
    x: &Var,
    bn: &candle_nn::BatchNorm,
    seed: u64,
) -> Vec<Tensor> {
    let y = f(x.as_tensor()).unwrap();
    let weights = var(y.dims(), seed, y.dtype());
    let grads = (&y * weights.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let (w, b) = bn.weight_and_bias().unwrap();
    vec![
        y,
        grads.get(x).unwrap().clone(),
        grads.get(w).unwrap().clone(),
        grads.get(b).unwrap().clone(),
        bn.running_mean().copy().unwrap(),
        bn.running_var().copy().unwrap(),
    ]
}

#[test]
fn training_matches_candle_nn_for_images_and_features() {
    for shape in [vec![4, 3, 5, 6], vec![6, 4]] {
        let channels = shape[1];
        let x = var(&shape, 3, DType::F64);
        let (theirs_bn, _a) = layer(channels, DType::F64);
        let (ours_bn, _b) = layer(channels, DType::F64);
        let ours_layer = BatchNorm::new(ours_bn.clone());
        let theirs = train_step(|x| theirs_bn.forward_t(x, true), &x, &theirs_bn, 4);
        let ours = train_step(|x| ours_layer.forward_t(x, true), &x, &ours_bn, 4);
        let what = [
            "output",
            "grad x",
            "grad weight",
            "grad bias",
            "running mean",
            "running var",
        ];
        for ((a, b), what) in ours.iter().zip(&theirs).zip(what) {
            // Sums of up to 120 terms of order 1, in f64, in a different order.
            assert!(
                max_diff(a, b) < 1e-12,
                "{what} for {shape:?}: {}",
                max_diff(a, b)
            );
        }
        // Evaluation uses the running statistics, as candle-nn.
        let eval_ours = ours_layer.forward_t(x.as_tensor(), false).unwrap();
        let eval_theirs = theirs_bn.forward_t(x.as_tensor(), false).unwrap();
        assert!(
            max_diff(&eval_ours, &eval_theirs) < 1e-12,
            "evaluation for {shape:?}"
        );
    }
}

#[test]
fn f32_agrees_with_candle_nn_to_rounding_and_whatever_the_threads() {
    let x = var(&[16, 8, 7, 7], 5, DType::F32);
    let (theirs_bn, _a) = layer(8, DType::F32);
    let theirs = train_step(|x| theirs_bn.forward_t(x, true), &x, &theirs_bn, 6);
    let run = |threads: usize| {
        let (bn, varmap) = layer(8, DType::F32);
        let ours = BatchNorm::new(bn.clone());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let out = pool.install(|| train_step(|x| ours.forward_t(x, true), &x, &bn, 6));
        drop(varmap);
        out
    };
    let (one, two) = (run(1), run(2));
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(bits(a), bits(b), "1 against 2 threads");
    }
    for (a, b) in two.iter().zip(&theirs) {
        assert!(
            max_diff(a, b) < 1e-4,
            "f32 against candle-nn: {}",
            max_diff(a, b)
        );
    }
}

#[test]
fn bad_shapes_are_errors_naming_the_op() {
    let (bn, _v) = layer(3, DType::F32);
    let ours = BatchNorm::new(bn);
    let wrong = var(&[2, 4, 3], 9, DType::F32);
    let err = ours
        .forward_t(wrong.as_tensor(), true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("batch-norm"), "{err}");
    let single = var(&[1, 3], 10, DType::F32);
    let err = ours
        .forward_t(single.as_tensor(), true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("one value per channel"), "{err}");
}
