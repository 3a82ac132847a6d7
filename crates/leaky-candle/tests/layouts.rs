//! Inputs that are not plain contiguous buffers: transposed, narrowed (strided, or contiguous at
//! an offset) and broadcast tensors, forward and backward.

mod common;

use candle_core::{DType, Device, Result, Tensor, Var};
use common::{activations, assert_close, kernel_tolerance, widen};
use leaky::Activation;
use leaky_candle::activate;

const ROWS: usize = 4;
const COLS: usize = 6;

/// A 4×6 variable with distinct values of both signs (none at the kink), and a 0 for the kink.
fn variable(dtype: DType) -> Result<Var> {
    let values: Vec<f64> = (0..ROWS * COLS)
        .map(|i| {
            if i == 7 {
                0.0
            } else {
                (i as f64 - 11.3) * 0.37
            }
        })
        .collect();
    Var::from_tensor(&Tensor::from_vec(values, (ROWS, COLS), &Device::Cpu)?.to_dtype(dtype)?)
}

/// Applies the activation to `view(x)` and back-propagates `Σ w·y` with weights that differ per
/// element. Checks `y` and `dL/dx` element by element against the scalar definitions, mapping
/// each element of the view back to `x` through `source`, a plain index computation.
fn check_view(
    name: &str,
    view: impl Fn(&Tensor) -> Result<Tensor>,
    source: impl Fn(usize, usize) -> (usize, usize),
) -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        let x = variable(dtype)?;
        let xs = widen(x.as_tensor())?;
        for act in activations() {
            let v = view(x.as_tensor())?;
            let (rows, cols) = v.dims2()?;
            let weights: Vec<f64> = (0..rows * cols).map(|i| 1.0 + 0.5 * i as f64).collect();
            let w =
                Tensor::from_vec(weights.clone(), (rows, cols), &Device::Cpu)?.to_dtype(dtype)?;
            let y = activate(&v, &act)?;
            let grads = (&y * &w)?.sum_all()?.backward()?;
            let dx = widen(grads.get(&x).expect("x is a variable"))?;

            let mut inputs = Vec::new();
            let mut want_y = Vec::new();
            let mut want_dx = vec![0.0; ROWS * COLS];
            for r in 0..rows {
                for c in 0..cols {
                    let (sr, sc) = source(r, c);
                    let xv = xs[sr * COLS + sc];
                    inputs.push(xv);
                    want_y.push(forward_in(&act, xv, dtype));
                    want_dx[sr * COLS + sc] +=
                        weights[r * cols + c] * derivative_in(&act, xv, dtype);
                }
            }
            let what = format!("{name} {act} {dtype:?}");
            assert_close(
                &format!("{what} forward"),
                &inputs,
                &widen(&y)?,
                &want_y,
                kernel_tolerance(&act, dtype),
            );
            assert_close(&format!("{what} backward"), &xs, &dx, &want_dx, 1e-6);
        }
    }
    Ok(())
}

fn forward_in(act: &Activation, x: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f64::from(act.forward(x as f32)),
        _ => act.forward(x),
    }
}

fn derivative_in(act: &Activation, x: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f64::from(act.derivative(x as f32)),
        _ => act.derivative(x),
    }
}

#[test]
fn transposed_input() -> Result<()> {
    check_view("transposed", |x| x.t(), |r, c| (c, r))
}

#[test]
fn narrowed_columns_are_strided() -> Result<()> {
    check_view("narrowed columns", |x| x.narrow(1, 1, 3), |r, c| (r, c + 1))
}

#[test]
fn narrowed_rows_are_contiguous_at_an_offset() -> Result<()> {
    check_view("narrowed rows", |x| x.narrow(0, 2, 2), |r, c| (r + 2, c))
}

/// One row broadcast to three: the gradient of each element sums three contributions.
#[test]
fn broadcast_row() -> Result<()> {
    check_view(
        "broadcast row",
        |x| x.narrow(0, 1, 1)?.broadcast_as((3, COLS)),
        |_, c| (1, c),
    )
}

/// A transposed view of the output: the upstream gradient reaches the op through a transpose.
#[test]
fn transposed_output() -> Result<()> {
    for act in activations() {
        let x = variable(DType::F64)?;
        let y = activate(x.as_tensor(), &act)?;
        let w = Tensor::arange(0.0, (ROWS * COLS) as f64, &Device::Cpu)?.reshape((COLS, ROWS))?;
        let grads = (y.t()? * &w)?.sum_all()?.backward()?;
        let dx = grads.get(&x).expect("x is a variable");
        let want = (w.t()? * activate_derivative(x.as_tensor(), &act)?)?;
        let xs = widen(x.as_tensor())?;
        assert_close(&format!("{act}"), &xs, &widen(dx)?, &widen(&want)?, 0.0);
    }
    Ok(())
}

/// f'(x) elementwise by the scalar definition, as a tensor.
fn activate_derivative(x: &Tensor, act: &Activation) -> Result<Tensor> {
    let d: Vec<f64> = widen(x)?.into_iter().map(|v| act.derivative(v)).collect();
    Tensor::from_vec(d, x.shape(), x.device())
}

/// A rank-0 tensor and tensors with no elements, contiguous or not.
#[test]
fn scalars_and_empty_tensors() -> Result<()> {
    let act = Activation::leaky_relu(0.2).expect("finite alpha");
    let x = Var::new(-2.0f64, &Device::Cpu)?;
    let y = activate(x.as_tensor(), &act)?;
    let grads = y.backward()?;
    assert_eq!(y.to_scalar::<f64>()?, -0.4);
    assert_eq!(
        grads.get(&x).expect("x is a variable").to_scalar::<f64>()?,
        0.2
    );

    let empty = Var::zeros((3, 0), DType::F32, &Device::Cpu)?;
    for view in [empty.as_tensor().clone(), empty.t()?] {
        let y = activate(&view, &act)?;
        let grads = y.sum_all()?.backward()?;
        assert_eq!(y.dims(), view.dims());
        assert_eq!(grads.get(&empty).expect("a variable").elem_count(), 0);
    }
    Ok(())
}
