//! Gradients against central finite differences, in f64, for every activation: the backward
//! pass is checked against nothing but the forward pass.

mod common;

use candle_core::{DType, Result};
use common::{ActivateFn, activations, assert_close, run, upstream_gradients};
use leaky_candle::{activate, activate_composed};

/// `dL/dx_i` by autograd against `(L(x + h·e_i) - L(x - h·e_i)) / 2h`, one coordinate at a time,
/// with `L(x) = Σ w_j f(x_j)` and varied weights `w`, so that a gradient landing on the wrong
/// element fails too. The points stay 0.05 away from the kink at 0.
fn check_gradients(f: ActivateFn, name: &str) -> Result<()> {
    let xs: Vec<f64> = (0..40).map(|i| -6.0 + 0.3 * f64::from(i) + 0.05).collect();
    let ws = upstream_gradients(xs.len());
    let h = 1e-6;
    for act in activations() {
        let (_, _, dx) = run(f, &act, &xs, &ws, DType::F64)?;
        let loss = |xs: &[f64]| -> Result<f64> {
            let (_, y, _) = run(f, &act, xs, &ws, DType::F64)?;
            Ok(y.iter().zip(&ws).map(|(y, w)| y * w).sum())
        };
        let mut numeric = Vec::with_capacity(xs.len());
        for i in 0..xs.len() {
            let mut plus = xs.clone();
            let mut minus = xs.clone();
            plus[i] += h;
            minus[i] -= h;
            numeric.push((loss(&plus)? - loss(&minus)?) / (2.0 * h));
        }
        assert_close(&format!("{name} {act}"), &xs, &dx, &numeric, 1e-6);
    }
    Ok(())
}

#[test]
fn fused_gradients_match_finite_differences() -> Result<()> {
    check_gradients(activate, "fused")
}

#[test]
fn composed_gradients_match_finite_differences() -> Result<()> {
    check_gradients(activate_composed, "composed")
}
