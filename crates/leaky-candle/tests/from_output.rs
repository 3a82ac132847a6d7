//! `activate_from_output`: the same forward as `activate`, and a backward that is the core's
//! backward from the output, value for value, for every activation that has one; a clear error for
//! the others.

mod common;

use candle_core::{DType, Result};
use common::{activations, edge_inputs_for, run, upstream_gradients};
use leaky::Activation;
use leaky_candle::{activate, activate_from_output};

/// The same value (any NaN equals any NaN; -0 equals +0, since candle's gradient store adds
/// each gradient to a zero).
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// The core's backward from the output `y`, on slices of `dtype`, widened to `f64`.
fn core_from_output(act: &Activation, y: &[f64], g: &[f64], dtype: DType) -> Vec<f64> {
    match dtype {
        DType::F32 => {
            let y: Vec<f32> = y.iter().map(|&v| v as f32).collect();
            let g: Vec<f32> = g.iter().map(|&v| v as f32).collect();
            let mut out = vec![0.0f32; y.len()];
            act.backward_from_output(&y, &g, &mut out).unwrap();
            out.into_iter().map(f64::from).collect()
        }
        DType::F64 => {
            let mut out = vec![0.0; y.len()];
            act.backward_from_output(y, g, &mut out).unwrap();
            out
        }
        other => panic!("not compared in {other:?}"),
    }
}

#[test]
fn the_backward_is_the_cores_backward_from_the_output() -> Result<()> {
    let mut compared = 0;
    for act in activations() {
        if act.check_backward_from_output().is_err() {
            continue;
        }
        let xs = edge_inputs_for(&act);
        let gs = upstream_gradients(xs.len());
        for dtype in [DType::F32, DType::F64] {
            let (_, y, dx) = run(activate_from_output, &act, &xs, &gs, dtype)?;
            let (_, want_y, _) = run(activate, &act, &xs, &gs, dtype)?;
            let want_dx = core_from_output(&act, &y, &gs, dtype);
            for i in 0..xs.len() {
                assert!(
                    same(y[i], want_y[i]),
                    "{act} {dtype:?} forward at {}",
                    xs[i]
                );
                assert!(
                    same(dx[i], want_dx[i]),
                    "{act} {dtype:?} backward at {}: {} against {}",
                    xs[i],
                    dx[i],
                    want_dx[i]
                );
            }
            compared += 1;
        }
    }
    // Sigmoid, tanh, ReLU, LeakyReLU (α ≥ 0), ELU, SELU, CELU, ... in both dtypes.
    assert!(
        compared >= 20,
        "only {compared} activations and dtypes compared"
    );
    Ok(())
}

#[test]
fn it_reads_the_output_where_the_output_saturates() -> Result<()> {
    // σ(20) rounds to 1 in f32, so y·(1 - y) is 0, where the exact derivative is e^-20.
    let (_, _, from_output) = run(
        activate_from_output,
        &Activation::Sigmoid,
        &[20.0],
        &[1.0],
        DType::F32,
    )?;
    let (_, _, from_input) = run(activate, &Activation::Sigmoid, &[20.0], &[1.0], DType::F32)?;
    assert_eq!(from_output, [0.0]);
    assert!(
        (from_input[0] / (-20f64).exp() - 1.0).abs() < 1e-6,
        "{from_input:?}"
    );
    Ok(())
}

#[test]
fn activations_whose_output_does_not_tell_the_derivative_are_errors() {
    let x = candle_core::Tensor::new(&[1.0f32, -1.0], &candle_core::Device::Cpu).unwrap();
    for spec in ["gelu", "silu", "leaky_relu:alpha=-0.5", "softplus"] {
        let act: Activation = spec.parse().unwrap();
        let err = activate_from_output(&x, &act).unwrap_err().to_string();
        assert!(err.contains(act.name()), "{spec}: {err}");
        assert!(err.contains("output"), "{spec}: {err}");
    }
}
