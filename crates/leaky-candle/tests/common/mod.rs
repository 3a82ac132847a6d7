//! Helpers shared by the test files: the activations under test, inputs with every edge case,
//! one forward + backward run, and elementwise comparisons of tensors (largest difference, bits).

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use candle_core::{DType, Device, Result, Tensor, Var};
use leaky::{Activation, Kind};

/// A way to apply an activation to a tensor: the fused op, the composed fallback, or candle's own.
pub type ActivateFn = fn(&Tensor, &Activation) -> Result<Tensor>;

/// Every activation of the core library with its defaults, and with other parameters: LeakyReLU
/// at the slopes that break shortcuts (0, 0.2, negative, above 1), and two more settings of
/// every other activation that has parameters.
pub fn activations() -> Vec<Activation> {
    let mut all: Vec<Activation> = Kind::ALL.iter().map(|k| k.default_activation()).collect();
    let others = [
        "leaky_relu:alpha=0.0",
        "leaky_relu:alpha=0.2",
        "leaky_relu:alpha=-0.5",
        "leaky_relu:alpha=1.5",
        "prelu:weight=-0.3",
        "prelu:weight=2",
        "rrelu:lower=0.1,upper=0.3",
        "rrelu:lower=0.2,upper=0.2",
        "elu:alpha=0.5",
        "elu:alpha=-1.5",
        "celu:alpha=0.3",
        "celu:alpha=2",
        "gelu:approximate=tanh",
        "softplus:beta=2,threshold=10",
        "softplus:beta=0.5,threshold=3",
        "hardtanh:min=-2,max=3",
        "hardtanh:min=0.25,max=0.75",
        "softshrink:lambda=0",
        "softshrink:lambda=1.5",
        "hardshrink:lambda=0",
        "hardshrink:lambda=2",
        "threshold:threshold=-1,value=-5",
        "threshold:threshold=2,value=0.5",
    ];
    all.extend(
        others
            .iter()
            .map(|spec| spec.parse::<Activation>().expect("a valid spec")),
    );
    all
}

/// Where the activation or its derivative jumps: finite differences must keep away from these.
pub fn kinks(act: &Activation) -> Vec<f64> {
    match *act {
        Activation::Hardtanh { min, max } => vec![min, max],
        Activation::Relu6 => vec![0.0, 6.0],
        Activation::Hardsigmoid | Activation::Hardswish => vec![-3.0, 3.0],
        Activation::Softshrink { lambda } | Activation::Hardshrink { lambda } => {
            vec![-lambda, lambda]
        }
        Activation::Threshold { threshold, .. } => vec![threshold],
        // The switch to x at βx = threshold is a small jump in f.
        Activation::Softplus { beta, threshold } => vec![threshold / beta],
        // 0 is the kink of the rest (a jump in f' for the ReLU family, in f'' for ELU and CELU).
        _ => vec![0.0],
    }
}

/// Zeros of both signs, infinities, NaN, tiny and huge values, the tails of sigmoid and tanh,
/// and a grid across the interesting range.
pub fn edge_inputs() -> Vec<f64> {
    let mut xs = vec![
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-30,
        -1e-30,
        f64::MIN_POSITIVE,
        1.0,
        -1.0,
        20.0,
        -20.0,
        100.0,
        -100.0,
        800.0,
        -800.0,
        1e300,
        -1e300,
    ];
    xs.extend((0..64).map(|i| -8.0 + 0.25 * f64::from(i) + 0.01));
    xs
}

/// [`edge_inputs`] and the activation's own kinks, where the derivative takes its convention.
pub fn edge_inputs_for(act: &Activation) -> Vec<f64> {
    let mut xs = edge_inputs();
    xs.extend(kinks(act));
    xs
}

/// Upstream gradients of varied sign and size, one per input.
pub fn upstream_gradients(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| [1.0, -0.5, 2.25, -3.0, 0.125][i % 5])
        .collect()
}

/// Applies `f` to `xs` (rounded to `dtype`) and back-propagates `sum(grad_y · y)`.
/// Returns the rounded inputs, `y` and `dL/dx`, all widened exactly to `f64`.
pub fn run(
    f: ActivateFn,
    act: &Activation,
    xs: &[f64],
    grad_y: &[f64],
    dtype: DType,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let x = Var::from_tensor(&Tensor::new(xs, &Device::Cpu)?.to_dtype(dtype)?)?;
    let g = Tensor::new(grad_y, &Device::Cpu)?.to_dtype(dtype)?;
    let y = f(x.as_tensor(), act)?;
    assert_eq!(y.dtype(), dtype, "{act}: output dtype");
    let grads = (&y * &g)?.sum_all()?.backward()?;
    let dx = grads.get(&x).expect("x is a variable of the graph");
    assert_eq!(dx.dtype(), dtype, "{act}: gradient dtype");
    Ok((widen(x.as_tensor())?, widen(&y)?, widen(dx)?))
}

/// The elements of a tensor of any shape, as `f64`.
pub fn widen(t: &Tensor) -> Result<Vec<f64>> {
    t.to_dtype(DType::F64)?.flatten_all()?.to_vec1()
}

/// How far the fused op may be from the scalar definitions in `dtype`: the core's SIMD kernels of
/// the smooth functions in f32 are within 3 ULP of them (the core's exhaustive accuracy sweep),
/// which a half type may round either way; everything else is exact.
pub fn kernel_tolerance(act: &Activation, dtype: DType) -> f64 {
    match dtype {
        _ if act.kind().is_piecewise_linear() => 0.0,
        DType::F32 => 4.0 * f64::from(f32::EPSILON),
        DType::F16 | DType::BF16 => 1.0 / 128.0,
        _ => 0.0,
    }
}

/// Checks `actual[i]` against `expected[i]`: equal (NaN equal to NaN, -0 to +0), or within
/// `rel_tol · max(1, |expected|)`. A `rel_tol` of 0 asks for exact equality.
pub fn assert_close(what: &str, xs: &[f64], actual: &[f64], expected: &[f64], rel_tol: f64) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths");
    for ((&x, &a), &e) in xs.iter().zip(actual).zip(expected) {
        let ok =
            a == e || (a.is_nan() && e.is_nan()) || (a - e).abs() <= rel_tol * e.abs().max(1.0);
        assert!(ok, "{what}: at x = {x:e}, got {a:e}, expected {e:e}");
    }
}

/// The largest absolute difference between two tensors of one shape, in `f64`.
pub fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims());
    let d = (a.to_dtype(DType::F64).unwrap() - b.to_dtype(DType::F64).unwrap()).unwrap();
    d.abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar()
        .unwrap()
}

/// An `f32` tensor's values as bits (NaN and -0 included), for comparisons bit for bit.
pub fn bits(t: &Tensor) -> Vec<u32> {
    let v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    v.iter().map(|x| x.to_bits()).collect()
}
