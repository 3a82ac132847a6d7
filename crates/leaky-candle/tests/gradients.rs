//! Gradients against central finite differences, in f64, for every activation: the backward
//! pass is checked against nothing but the forward pass.

mod common;

use candle_core::{DType, Result};
use common::{ActivateFn, activations, assert_close, kinks, run, upstream_gradients};
use leaky_candle::{activate, activate_composed};

/// `dL/dx_i` by autograd against `(L(x + h·e_i) - L(x - h·e_i)) / 2h`, one coordinate at a time,
/// with `L(x) = Σ w_j f(x_j)` and varied weights `w`, so that a gradient landing on the wrong
/// element fails too. The points cover [-7, 7] and keep 0.01 away from every kink of the
/// activation (see [`kinks`]).
fn check_gradients(f: ActivateFn, name: &str) -> Result<()> {
    let grid: Vec<f64> = (0..70).map(|i| -7.0 + 0.2 * f64::from(i) + 0.013).collect();
    let h = 1e-6;
    for act in activations() {
        let kinks = kinks(&act);
        let xs: Vec<f64> = grid
            .iter()
            .copied()
            .filter(|x| kinks.iter().all(|k| (x - k).abs() > 0.01))
            .collect();
        let ws = upstream_gradients(xs.len());
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
