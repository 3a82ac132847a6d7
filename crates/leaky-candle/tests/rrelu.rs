//! [`Rrelu`]: in training, the slopes are the core's draws from the layer's seeded generator and
//! the backward multiplies by them; in evaluation, the mean slope.

mod common;

use candle_core::{DType, Device, ModuleT, Result, Tensor, Var};
use common::{assert_close, edge_inputs, upstream_gradients, widen};
use leaky::rrelu::{Rng, forward_train};
use leaky_candle::{Rrelu, activate};

const LOWER: f64 = 0.1;
const UPPER: f64 = 0.3;
const SEED: u64 = 2024;

/// A training pass on `xs` in `dtype`, back-propagating `Σ g·y`: the rounded inputs, `y` and
/// `dL/dx`, widened to `f64`.
fn train_pass(layer: &Rrelu, x: &Tensor, gs: &[f64]) -> Result<[Vec<f64>; 3]> {
    let x = Var::from_tensor(x)?;
    let g = Tensor::from_vec(gs.to_vec(), x.shape(), &Device::Cpu)?.to_dtype(x.dtype())?;
    let y = layer.forward_t(x.as_tensor(), true)?;
    assert_eq!(y.dtype(), x.dtype());
    assert_eq!(y.dims(), x.dims());
    let grads = (&y * &g)?.sum_all()?.backward()?;
    let dx = grads.get(&x).expect("x is a variable");
    Ok([widen(x.as_tensor())?, widen(&y)?, widen(dx)?])
}

/// The core's training forward in `T`: `y` and the slopes, widened.
fn core_pass<T: leaky::Float>(xs: &[f64], rng: &mut Rng) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<T> = xs.iter().map(|&v| T::from_f64(v)).collect();
    let mut y = vec![T::ZERO; x.len()];
    let mut slopes = vec![T::ZERO; x.len()];
    forward_train(&x, LOWER, UPPER, rng, &mut y, &mut slopes).expect("valid bounds");
    (
        y.iter().map(|v| v.to_f64()).collect(),
        slopes.iter().map(|v| v.to_f64()).collect(),
    )
}

/// Two successive training passes are the core's two successive draws from `Rng::new(seed)`,
/// forward, and the backward is `grad · slope`, exactly, at every edge input.
#[test]
fn training_passes_are_the_cores_draws_and_backward_uses_them() -> Result<()> {
    let xs = edge_inputs();
    let gs = upstream_gradients(xs.len());
    for dtype in [DType::F32, DType::F64] {
        let layer = Rrelu::new(LOWER, UPPER, SEED)?;
        let mut rng = Rng::new(SEED);
        let x = Tensor::new(xs.as_slice(), &Device::Cpu)?.to_dtype(dtype)?;
        for pass in 0..2 {
            let [x, y, dx] = train_pass(&layer, &x, &gs)?;
            let (want_y, slopes) = match dtype {
                DType::F32 => core_pass::<f32>(&x, &mut rng),
                _ => core_pass::<f64>(&x, &mut rng),
            };
            let want_dx: Vec<f64> = match dtype {
                DType::F32 => gs
                    .iter()
                    .zip(&slopes)
                    .map(|(&g, &s)| f64::from(g as f32 * s as f32))
                    .collect(),
                _ => gs.iter().zip(&slopes).map(|(g, s)| g * s).collect(),
            };
            let what = format!("pass {pass} {dtype:?}");
            assert_close(&format!("{what} forward"), &x, &y, &want_y, 0.0);
            assert_close(&format!("{what} backward"), &x, &dx, &want_dx, 0.0);
            for (&x, &s) in x.iter().zip(&slopes) {
                let ok = if x > 0.0 {
                    s == 1.0
                } else {
                    (LOWER as f32 as f64..=UPPER as f32 as f64).contains(&s)
                };
                assert!(ok, "{what}: slope {s} at x = {x}");
            }
        }
    }
    Ok(())
}

#[test]
fn the_seed_fixes_the_slopes_and_passes_differ() -> Result<()> {
    let x = Tensor::new(&[-1.0f32; 64], &Device::Cpu)?;
    let draw = |layer: &Rrelu| -> Result<Vec<f32>> { layer.forward_t(&x, true)?.to_vec1() };
    let (a, b) = (Rrelu::new(LOWER, UPPER, 7)?, Rrelu::new(LOWER, UPPER, 7)?);
    let first = draw(&a)?;
    assert_eq!(first, draw(&b)?, "same seed, same slopes");
    assert_ne!(first, draw(&a)?, "the next pass draws new slopes");
    assert_ne!(first, draw(&Rrelu::new(LOWER, UPPER, 8)?)?, "another seed");
    Ok(())
}

/// Over many elements the slopes average `(lower + upper) / 2`, the evaluation slope.
#[test]
fn training_slopes_average_the_evaluation_slope() -> Result<()> {
    let layer = Rrelu::new(LOWER, UPPER, SEED)?;
    let x = Tensor::new(&[-1.0f64; 20_000], &Device::Cpu)?;
    let mean = -layer.forward_t(&x, true)?.mean_all()?.to_scalar::<f64>()?;
    assert!((mean - 0.2).abs() < 0.002, "mean slope {mean}");
    Ok(())
}

/// Evaluation is the core's `rrelu` activation (the mean slope), the same on every pass.
#[test]
fn evaluation_is_the_mean_slope() -> Result<()> {
    let layer = Rrelu::new(LOWER, UPPER, SEED)?;
    let x = Tensor::new(edge_inputs().as_slice(), &Device::Cpu)?;
    let y = widen(&layer.forward_t(&x, false)?)?;
    let want = widen(&activate(&x, &layer.activation())?)?;
    assert_close("eval", &widen(&x)?, &y, &want, 0.0);
    let again = widen(&layer.forward_t(&x, false)?)?;
    assert_close("eval again", &widen(&x)?, &again, &y, 0.0);
    assert_eq!(
        layer
            .forward_t(&Tensor::new(&[-2.0f64], &Device::Cpu)?, false)?
            .to_vec1::<f64>()?,
        [-0.4]
    );
    Ok(())
}

/// A transposed input is drawn for in its row-major order; the gradient lands on the right
/// elements of the variable.
#[test]
fn a_transposed_input_in_training() -> Result<()> {
    let values: Vec<f64> = (0..12).map(|i| f64::from(i) - 7.5).collect();
    let x = Var::from_tensor(&Tensor::from_vec(values.clone(), (3, 4), &Device::Cpu)?)?;
    let layer = Rrelu::new(LOWER, UPPER, SEED)?;
    let y = layer.forward_t(&x.t()?, true)?; // (4, 3)
    let w = Tensor::arange(1.0, 13.0, &Device::Cpu)?.reshape((4, 3))?;
    let grads = (&y * &w)?.sum_all()?.backward()?;
    let dx = widen(grads.get(&x).expect("x is a variable"))?;
    let seen: Vec<f64> = (0..12).map(|i| values[(i % 3) * 4 + i / 3]).collect();
    let (want_y, slopes) = core_pass::<f64>(&seen, &mut Rng::new(SEED));
    assert_close("forward", &seen, &widen(&y)?, &want_y, 0.0);
    let mut want_dx = vec![0.0; 12];
    for (i, s) in slopes.iter().enumerate() {
        want_dx[(i % 3) * 4 + i / 3] = (i + 1) as f64 * s;
    }
    assert_close("backward", &values, &dx, &want_dx, 0.0);
    Ok(())
}

#[test]
fn half_precision_trains_in_f32() -> Result<()> {
    let layer = Rrelu::new(LOWER, UPPER, SEED)?;
    for dtype in [DType::F16, DType::BF16] {
        let x = Tensor::new(&[-1.0f32, 2.0], &Device::Cpu)?.to_dtype(dtype)?;
        let y = widen(&layer.forward_t(&x, true)?)?;
        assert_eq!(y[1], 2.0);
        assert!((-0.31..=-0.09).contains(&y[0]), "{dtype:?}: {}", y[0]);
    }
    Ok(())
}

#[test]
fn invalid_bounds_and_dtypes_are_errors() -> Result<()> {
    for (lower, upper) in [(0.3, 0.1), (f64::NAN, 0.3), (0.1, f64::INFINITY)] {
        let core = leaky::Kind::Rrelu
            .with_params(&[lower, upper])
            .expect_err("invalid bounds")
            .to_string();
        let err = Rrelu::new(lower, upper, SEED).expect_err("invalid bounds");
        assert!(err.to_string().contains(&core), "{err} lacks '{core}'");
    }
    let layer = Rrelu::new(LOWER, UPPER, SEED)?;
    let ints = Tensor::new(&[1u32, 2], &Device::Cpu)?;
    let err = layer.forward_t(&ints, true).expect_err("u32 has no RReLU");
    assert!(err.to_string().contains("U32"), "unhelpful error: {err}");
    Ok(())
}
