//! The layer ops and the optimiser against PyTorch: outputs and gradients of `conv2d`,
//! `conv2d_activated`, `conv_transpose2d` and `max_pool2`, and the parameters and moment
//! estimates after steps of `Adam`, compared with PyTorch's (float64) values stored in
//! `tests/reference/torch_layers.json`.
//!
//! The values come from `tests/reference/torch_layers.py` (its docstring lists the cases; the
//! JSON records the torch version). To regenerate them, from the repository root, with torch
//! installed:
//!
//! ```text
//! python crates/leaky-candle/tests/reference/torch_layers.py
//! ```
//!
//! The JSON stores no inputs: both sides build them from the same formula ([`value`]), then
//! overwrite the elements listed in `set`; each input's exact sum is stored and checked here, so
//! a drift of the formula fails loudly instead of comparing different problems. Gradients are
//! those of `loss = sum(y * g)` with `g` from the same formula, so every output element weighs
//! differently and a gradient sent to the wrong place (a wrong window, stride or tap) shows.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::VarMap;
use leaky_candle::adam::{Adam, AdamParams};
use leaky_candle::{Activation, conv_transpose2d, conv2d, conv2d_activated, max_pool2};
use serde_json::Value;

/// PyTorch's values (see the module documentation).
const REFERENCE: &str = include_str!("reference/torch_layers.json");

/// The largest difference allowed, relative to the largest magnitude of the reference tensor.
///
/// The inputs are multiples of 2⁻¹⁰ below 1, so the convolutions' sums of products (and the
/// pooling, which only selects) are exact in f64 on both sides, whatever the order of the sums;
/// what rounds is LeakyReLU's `0.2·z` (one correctly rounded product on both sides) and Adam's
/// square root and division, where PyTorch and leaky-candle order the operations differently
/// (`lerp` against `β·m + (1-β)·g`, `√v/√(1-β₂ᵗ)` against `√(v/(1-β₂ᵗ))`): a few units of
/// f64's 2.2e-16. 1e-12 leaves room for that and no more: a wrong stride, padding, window or
/// tap changes values by 1e-3 or more, and Adam's semantics (bias correction, where ε goes,
/// decoupled against L2 weight decay) by 1e-9 or more relative to these parameters.
const TOL: f64 = 1e-12;

fn reference() -> Value {
    let doc: Value = serde_json::from_str(REFERENCE).expect("the reference JSON parses");
    assert_eq!(doc["dtype"], "float64");
    assert!(
        doc["torch"].is_string(),
        "the JSON records the torch version"
    );
    doc
}

fn case(name: &str) -> Value {
    let doc = reference();
    assert!(
        doc[name].is_object(),
        "no case {name} in the reference JSON"
    );
    doc[name].clone()
}

/// The `i`-th input element (row-major) of the tensor with `seed`, as the script computes it:
/// a multiple of 2⁻¹⁰ in (-1, 1).
fn value(i: u64, seed: u64) -> f64 {
    let k = (37 * i * i + 7919 * i + 104_729 * seed) % 2001;
    (k as f64 - 1000.0) / 1024.0
}

fn dims(v: &Value) -> Vec<usize> {
    let dims = v["shape"].as_array().expect("a shape");
    dims.iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    let values = v.as_array().expect("an array of numbers");
    values
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn number(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("no number {key}"))
}

fn int(v: &Value, key: &str) -> usize {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no integer {key}")) as usize
}

/// An input built as the script builds it: the formula, then the `set` elements; its sum must
/// be the stored one exactly.
fn input(spec: &Value) -> Tensor {
    let shape = dims(spec);
    let seed = spec["seed"].as_u64().expect("a seed");
    let n: usize = shape.iter().product();
    let mut flat: Vec<f64> = (0..n as u64).map(|i| value(i, seed)).collect();
    for entry in spec["set"].as_array().expect("a set list") {
        let index = entry[0].as_u64().expect("an index") as usize;
        flat[index] = entry[1].as_f64().expect("a value");
    }
    let sum: f64 = flat.iter().sum();
    assert_eq!(
        sum,
        number(spec, "sum"),
        "the input {spec} is rebuilt exactly"
    );
    Tensor::from_vec(flat, shape, &Device::Cpu).unwrap()
}

/// `None` when `got` matches PyTorch's `want` (`{"shape", "values"}`) within [`TOL`], else what
/// differs.
fn mismatch(got: &Tensor, want: &Value) -> Option<String> {
    if got.dims() != dims(want).as_slice() {
        return Some(format!("shape {:?}, PyTorch {:?}", got.dims(), dims(want)));
    }
    let got: Vec<f64> = got.flatten_all().unwrap().to_vec1().unwrap();
    let want = floats(&want["values"]);
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let (worst, diff) = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .enumerate()
        .fold(
            (0, 0.0),
            |w, (i, d)| if d > w.1 || d.is_nan() { (i, d) } else { w },
        );
    (diff > TOL * scale || diff.is_nan()).then(|| {
        format!(
            "element {worst}: {} here, {} in PyTorch ({diff:e} apart, max |value| {scale})",
            got[worst], want[worst]
        )
    })
}

fn assert_matches(what: &str, got: &Tensor, want: &Value) {
    if let Some(m) = mismatch(got, want) {
        panic!("{what}: {m}");
    }
}

/// Builds the case's inputs as variables, runs `f`, and compares the output and the gradient of
/// every input for `loss = sum(y * g)` with PyTorch's.
fn check_layer(name: &str, f: impl Fn(&Value, &HashMap<String, Var>) -> Result<Tensor>) {
    let c = case(name);
    let inputs = c["inputs"].as_object().expect("inputs");
    let vars: HashMap<String, Var> = inputs
        .iter()
        .map(|(k, spec)| (k.clone(), Var::from_tensor(&input(spec)).unwrap()))
        .collect();
    let y = f(&c, &vars).unwrap();
    assert_eq!(y.dtype(), DType::F64);
    assert_matches(&format!("{name}: y"), &y, &c["y"]);
    let g = input(&c["g"]);
    let grads = (&y * &g).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(
        c["grads"].as_object().expect("grads").len(),
        vars.len(),
        "{name}: a gradient for every input"
    );
    for (k, var) in &vars {
        let got = grads
            .get(var)
            .unwrap_or_else(|| panic!("{name}: no gradient of {k}"));
        assert_matches(&format!("{name}: gradient of {k}"), got, &c["grads"][k]);
    }
}

#[test]
fn conv2d_with_bias_stride_1_padding_1_matches_pytorch() {
    check_layer("conv2d_bias", |c, v| {
        let (stride, padding) = (int(c, "stride"), int(c, "padding"));
        assert_eq!((stride, padding), (1, 1));
        conv2d(&v["x"], &v["w"], Some(&v["b"]), stride, padding)
    });
}

#[test]
fn conv2d_stride_2_padding_1_4x4_kernel_without_bias_matches_pytorch() {
    check_layer("conv2d_strided", |c, v| {
        let (stride, padding) = (int(c, "stride"), int(c, "padding"));
        assert_eq!((stride, padding), (2, 1));
        conv2d(&v["x"], &v["w"], None, stride, padding)
    });
}

#[test]
fn conv_transpose2d_stride_2_padding_1_with_bias_matches_pytorch() {
    check_layer("conv_transpose2d", |c, v| {
        let (stride, padding) = (int(c, "stride"), int(c, "padding"));
        assert_eq!((stride, padding), (2, 1));
        conv_transpose2d(&v["x"], &v["w"], Some(&v["b"]), stride, padding)
    });
}

#[test]
fn conv2d_activated_leaky_relu_matches_pytorch_including_zero_pre_activations() {
    let c = case("conv2d_leaky_relu");
    // PyTorch's leaky_relu gradient at 0 is alpha, as leaky's f'(0) = α: the case has some.
    assert!(int(&c, "zero_pre_activations") > 0);
    check_layer("conv2d_leaky_relu", |c, v| {
        let act = Activation::leaky_relu(number(c, "alpha")).unwrap();
        conv2d_activated(
            &v["x"],
            &v["w"],
            Some(&v["b"]),
            int(c, "stride"),
            int(c, "padding"),
            &act,
        )
    });
}

#[test]
fn max_pool2_matches_pytorch_with_ties_and_a_dropped_row_and_column() {
    let c = case("max_pool2d");
    assert_eq!(dims(&c["inputs"]["x"]), [2, 3, 5, 7]);
    assert!(!c["inputs"]["x"]["set"].as_array().unwrap().is_empty());
    check_layer("max_pool2d", |_, v| max_pool2(&v["x"]));
}

/// Runs the case's steps of [`Adam`] with its settings and gradients, comparing the parameters
/// and the moment estimates after each step with PyTorch's.
fn check_adam(name: &str) {
    let c = case(name);
    let s = &c["settings"];
    let params = AdamParams {
        lr: number(s, "lr"),
        beta1: number(s, "beta1"),
        beta2: number(s, "beta2"),
        eps: number(s, "eps"),
        weight_decay: number(s, "weight_decay"),
    };
    let varmap = VarMap::new();
    let vars: HashMap<String, Var> = c["params"]
        .as_object()
        .expect("params")
        .iter()
        .map(|(k, spec)| (k.clone(), Var::from_tensor(&input(spec)).unwrap()))
        .collect();
    varmap.data().lock().unwrap().extend(vars.clone());
    let mut adam = Adam::new(&varmap, params);
    let steps = c["grads"].as_array().expect("grads by step");
    assert_eq!(steps.len(), c["after"].as_array().unwrap().len());
    for (t, grads) in steps.iter().enumerate() {
        // loss = Σ sum(θ·G): its gradient is G, exactly; a parameter left out gets none.
        let mut loss = Tensor::zeros((), DType::F64, &Device::Cpu).unwrap();
        for (k, g) in grads.as_object().expect("gradients") {
            let term = (vars[k].as_tensor() * input(g)).unwrap().sum_all().unwrap();
            loss = (loss + term).unwrap();
        }
        adam.step(&loss.backward().unwrap()).unwrap();
        let state: HashMap<String, Tensor> = adam.state().unwrap().into_iter().collect();
        for (k, after) in c["after"][t].as_object().expect("state after the step") {
            let what = format!("{name}, after step {}: {k}", t + 1);
            assert_matches(&what, vars[k].as_tensor(), &after["param"]);
            assert_matches(
                &format!("{what} m"),
                &state[&format!("adam.m.{k}")],
                &after["m"],
            );
            assert_matches(
                &format!("{what} v"),
                &state[&format!("adam.v.{k}")],
                &after["v"],
            );
        }
    }
}

#[test]
fn adam_with_weight_decay_matches_pytorch_adamw_over_two_steps() {
    // AdamW: decoupled weight decay, θ ← θ - lr·λ·θ - ...; with a zero and a tiny gradient.
    assert!(number(&case("adamw")["settings"], "weight_decay") > 0.0);
    check_adam("adamw");
}

#[test]
fn adam_with_pytorch_defaults_matches_pytorch_adam_over_two_steps() {
    let c = case("adam");
    let s = &c["settings"];
    let lr = number(s, "lr");
    assert_eq!(
        AdamParams::with_lr(lr),
        AdamParams {
            lr,
            beta1: number(s, "beta1"),
            beta2: number(s, "beta2"),
            eps: number(s, "eps"),
            weight_decay: number(s, "weight_decay"),
        },
        "with_lr has PyTorch's Adam defaults"
    );
    check_adam("adam");
}

#[test]
fn adam_skipping_a_parameter_for_a_step_matches_pytorch() {
    // PyTorch counts steps per parameter: "b", without a gradient in step 2, is at its second
    // step in step 3 and is bias-corrected with t = 2 (with t = 3, "b" is off by about 2e-3).
    check_adam("adamw_skipped_step");
}

#[test]
fn the_comparison_rejects_a_near_miss() {
    // The checks above can fail: an output off by 1e-11 of its scale, and a pooling gradient
    // sent to the second of two tied maxima instead of the first.
    let c = case("conv2d_bias");
    let want = &c["y"];
    let mut values = floats(&want["values"]);
    let scale = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    assert!(
        mismatch(
            &Tensor::from_vec(values.clone(), dims(want), &Device::Cpu).unwrap(),
            want
        )
        .is_none()
    );
    values[17] += 1e-11 * scale;
    let near = Tensor::from_vec(values, dims(want), &Device::Cpu).unwrap();
    assert!(mismatch(&near, want).is_some());

    let c = case("max_pool2d");
    let want = &c["grads"]["x"];
    let mut grad = floats(&want["values"]);
    // Window (0, 0) of image 0, channel 0 is four equal values: the gradient is at index 0.
    assert_ne!(grad[0], 0.0);
    grad.swap(0, 1);
    let moved = Tensor::from_vec(grad, dims(want), &Device::Cpu).unwrap();
    assert!(mismatch(&moved, want).is_some());
}
