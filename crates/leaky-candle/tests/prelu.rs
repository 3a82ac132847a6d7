//! PReLU with learnable slopes: the fused op and its composed fallback against the scalar
//! definition, the gradients of the input and the slopes against finite differences, layouts,
//! errors, and the [`Prelu`] layer: its slopes live in a `VarMap`, train, and are saved.

mod common;

use candle_core::{D, DType, Device, Module, Result, Tensor, Var};
use candle_nn::{Optimizer, SGD, VarBuilder, VarMap, loss};
use common::{assert_close, widen};
use leaky::scalar;
use leaky_candle::{Prelu, prelu, prelu_composed};

type PreluFn = fn(&Tensor, &Tensor) -> Result<Tensor>;

/// Input shapes with their number of slopes: per channel and shared, for NCHW, NC, 1-D (channels
/// on axis 0) and rank 0.
const CASES: [(&[usize], usize); 6] = [
    (&[2, 3, 2, 2], 3),
    (&[2, 3, 2, 2], 1),
    (&[4, 5], 5),
    (&[6], 6),
    (&[6], 1),
    (&[], 1),
];

/// The channel of element `index` of a row-major tensor of `shape` with `slopes` slopes.
fn channel(shape: &[usize], slopes: usize, index: usize) -> usize {
    match shape {
        _ if slopes == 1 => 0,
        [_] => index,
        [_, channels, rest @ ..] => (index / rest.iter().product::<usize>()) % channels,
        [] => unreachable!("a rank-0 input has one slope"),
    }
}

/// Values with every edge case, cycled over `n` elements.
fn edge_values(n: usize) -> Vec<f64> {
    let values = [
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-30,
        -1e-30,
        1.0,
        -1.0,
        -2.5,
        3.0,
        -0.75,
        0.4,
        -7.0,
    ];
    (0..n).map(|i| values[i % values.len()]).collect()
}

fn slopes(count: usize) -> Vec<f64> {
    [0.25, -0.5, 1.5, 0.0, 2.0, 0.1][..count].to_vec()
}

fn upstream(n: usize) -> Vec<f64> {
    (0..n).map(|i| [1.0, -0.5, 2.25, -3.0][i % 4]).collect()
}

/// `f(x, w)` in `dtype`, back-propagating `Σ g·y`: the rounded inputs, `y`, `dL/dx` and `dL/dw`,
/// widened to `f64`.
fn run(
    f: PreluFn,
    shape: &[usize],
    xs: &[f64],
    ws: &[f64],
    gs: &[f64],
    dtype: DType,
) -> Result<[Vec<f64>; 4]> {
    let tensor = |v: &[f64], shape: &[usize]| -> Result<Tensor> {
        Tensor::from_vec(v.to_vec(), shape, &Device::Cpu)?.to_dtype(dtype)
    };
    let x = Var::from_tensor(&tensor(xs, shape)?)?;
    let w = Var::from_tensor(&tensor(ws, &[ws.len()])?)?;
    let y = f(x.as_tensor(), w.as_tensor())?;
    assert_eq!(y.dims(), shape);
    assert_eq!(y.dtype(), dtype);
    let grads = (&y * tensor(gs, shape)?)?.sum_all()?.backward()?;
    let dx = grads.get(&x).expect("x is a variable");
    let dw = grads.get(&w).expect("w is a variable");
    assert_eq!(dw.dims(), [ws.len()]);
    Ok([widen(x.as_tensor())?, widen(&y)?, widen(dx)?, widen(dw)?])
}

/// y, grad_x and grad_w by the scalar definition, computed in `dtype` (the slopes' gradient
/// summed in `f64`).
fn oracle(shape: &[usize], xs: &[f64], ws: &[f64], gs: &[f64], dtype: DType) -> [Vec<f64>; 3] {
    let in_dtype = |v: f64| match dtype {
        DType::F32 => f64::from(v as f32),
        _ => v,
    };
    let (mut y, mut dx, mut dw) = (Vec::new(), Vec::new(), vec![0.0; ws.len()]);
    for (i, (&x, &g)) in xs.iter().zip(gs).enumerate() {
        let c = channel(shape, ws.len(), i);
        let (x, g, w) = (in_dtype(x), in_dtype(g), in_dtype(ws[c]));
        match dtype {
            DType::F32 => {
                let (x, g, w) = (x as f32, g as f32, w as f32);
                y.push(f64::from(scalar::leaky_relu(x, w)));
                dx.push(f64::from(scalar::leaky_relu_backward(x, g, w)));
                dw[c] += if x > 0.0 { 0.0 } else { f64::from(x * g) };
            }
            _ => {
                y.push(scalar::leaky_relu(x, w));
                dx.push(scalar::leaky_relu_backward(x, g, w));
                dw[c] += if x > 0.0 { 0.0 } else { x * g };
            }
        }
    }
    [y, dx, dw]
}

fn check_against_scalar_definition(f: PreluFn, name: &str) -> Result<()> {
    for (shape, count) in CASES {
        let n = shape.iter().product();
        let (xs, ws, gs) = (edge_values(n), slopes(count), upstream(n));
        for (dtype, tol) in [(DType::F32, 1e-5), (DType::F64, 1e-12)] {
            let [x, y, dx, dw] = run(f, shape, &xs, &ws, &gs, dtype)?;
            let [want_y, want_dx, want_dw] = oracle(shape, &xs, &ws, &gs, dtype);
            let what = format!("{name} {shape:?} with {count} slope(s), {dtype:?}");
            assert_close(&format!("{what}: y"), &x, &y, &want_y, 0.0);
            assert_close(&format!("{what}: grad x"), &x, &dx, &want_dx, 0.0);
            assert_close(&format!("{what}: grad w"), &ws, &dw, &want_dw, tol);
        }
    }
    Ok(())
}

#[test]
fn fused_prelu_is_the_scalar_definition() -> Result<()> {
    check_against_scalar_definition(prelu, "fused")
}

#[test]
fn composed_prelu_is_the_scalar_definition() -> Result<()> {
    check_against_scalar_definition(prelu_composed, "composed")
}

/// The fused op and the composed fallback agree: exactly for y and grad_x, to rounding for
/// grad_w (the sums run in different orders).
#[test]
fn composed_prelu_agrees_with_fused() -> Result<()> {
    for (shape, count) in CASES {
        let n = shape.iter().product();
        let (xs, ws, gs) = (edge_values(n), slopes(count), upstream(n));
        for (dtype, tol) in [(DType::F32, 1e-6), (DType::F64, 1e-14)] {
            let [x, y, dx, dw] = run(prelu_composed, shape, &xs, &ws, &gs, dtype)?;
            let [_, want_y, want_dx, want_dw] = run(prelu, shape, &xs, &ws, &gs, dtype)?;
            let what = format!("{shape:?} with {count} slope(s), {dtype:?}");
            assert_close(&format!("{what}: y"), &x, &y, &want_y, 0.0);
            assert_close(&format!("{what}: grad x"), &x, &dx, &want_dx, 0.0);
            assert_close(&format!("{what}: grad w"), &ws, &dw, &want_dw, tol);
        }
    }
    Ok(())
}

/// `dL/dx` and `dL/dw` by autograd against central differences of `L = Σ g·prelu(x, w)`, in
/// `f64`, with `x` at least 0.05 away from the kink at 0.
fn check_finite_differences(f: PreluFn, name: &str) -> Result<()> {
    let h = 1e-6;
    for (shape, count) in CASES {
        let n = shape.iter().product();
        let xs: Vec<f64> = (0..n)
            .map(|i| {
                let v = -2.0 + 0.37 * i as f64;
                if v.abs() < 0.05 { v + 0.1 } else { v }
            })
            .collect();
        let (ws, gs) = (slopes(count), upstream(n));
        let loss = |xs: &[f64], ws: &[f64]| -> Result<f64> {
            let [_, y, _, _] = run(f, shape, xs, ws, &gs, DType::F64)?;
            Ok(y.iter().zip(&gs).map(|(y, g)| y * g).sum())
        };
        let central = |v: &[f64], i: usize, at: &dyn Fn(&[f64]) -> Result<f64>| {
            let (mut plus, mut minus) = (v.to_vec(), v.to_vec());
            plus[i] += h;
            minus[i] -= h;
            Ok::<f64, candle_core::Error>((at(&plus)? - at(&minus)?) / (2.0 * h))
        };
        let numeric_dx = (0..n)
            .map(|i| central(&xs, i, &|x| loss(x, &ws)))
            .collect::<Result<Vec<_>>>()?;
        let numeric_dw = (0..count)
            .map(|c| central(&ws, c, &|w| loss(&xs, w)))
            .collect::<Result<Vec<_>>>()?;
        let [_, _, dx, dw] = run(f, shape, &xs, &ws, &gs, DType::F64)?;
        let what = format!("{name} {shape:?} with {count} slope(s)");
        assert_close(&format!("{what}: grad x"), &xs, &dx, &numeric_dx, 1e-7);
        assert_close(&format!("{what}: grad w"), &ws, &dw, &numeric_dw, 1e-7);
    }
    Ok(())
}

#[test]
fn fused_gradients_match_finite_differences() -> Result<()> {
    check_finite_differences(prelu, "fused")
}

#[test]
fn composed_gradients_match_finite_differences() -> Result<()> {
    check_finite_differences(prelu_composed, "composed")
}

/// A transposed input (channels strided) and strided slopes (a column of a matrix), forward and
/// both gradients, against the scalar definition element by element.
#[test]
fn strided_input_and_slopes() -> Result<()> {
    let (channels, batch) = (3, 4);
    let xs = edge_values(channels * batch);
    let x = Var::from_tensor(&Tensor::from_vec(
        xs.clone(),
        (channels, batch),
        &Device::Cpu,
    )?)?;
    let table = Var::from_tensor(&Tensor::new(
        &[[0.25, 9.0], [-0.5, 9.0], [1.5, 9.0]],
        &Device::Cpu,
    )?)?;
    let view = x.t()?; // (batch, channels), channel stride 4
    let w = table.narrow(1, 0, 1)?.squeeze(1)?; // stride 2
    let gs = upstream(batch * channels);
    let g = Tensor::from_vec(gs.clone(), (batch, channels), &Device::Cpu)?;
    for f in [prelu as PreluFn, prelu_composed] {
        let y = f(&view, &w)?;
        let grads = (&y * &g)?.sum_all()?.backward()?;
        let dx = widen(grads.get(&x).expect("x is a variable"))?;
        let dtable = widen(grads.get(&table).expect("the table is a variable"))?;
        let w = [0.25, -0.5, 1.5];
        let (mut want_y, mut want_dx, mut want_dtable) =
            (Vec::new(), vec![0.0; xs.len()], vec![0.0; 6]);
        for n in 0..batch {
            for c in 0..channels {
                let (v, g) = (xs[c * batch + n], gs[n * channels + c]);
                want_y.push(scalar::leaky_relu(v, w[c]));
                want_dx[c * batch + n] = scalar::leaky_relu_backward(v, g, w[c]);
                want_dtable[2 * c] += if v > 0.0 { 0.0 } else { v * g };
            }
        }
        let seen: Vec<f64> = (0..batch * channels)
            .map(|i| xs[(i % channels) * batch + i / channels])
            .collect();
        assert_close("y", &seen, &widen(&y)?, &want_y, 0.0);
        assert_close("grad x", &xs, &dx, &want_dx, 0.0);
        assert_close("grad table", &[0.0; 6], &dtable, &want_dtable, 1e-12);
    }
    Ok(())
}

#[test]
fn wrong_slope_counts_and_dtypes_are_errors() -> Result<()> {
    let x = Tensor::zeros((2, 4, 3), DType::F32, &Device::Cpu)?;
    for f in [prelu as PreluFn, prelu_composed] {
        let three = Tensor::zeros(3, DType::F32, &Device::Cpu)?;
        let err = f(&x, &three).expect_err("3 slopes for 4 channels");
        let message = err.to_string();
        assert!(
            message.contains("3 slopes") && message.contains("1 (shared) or 4"),
            "unhelpful error: {message}"
        );
        let f64_slopes = Tensor::zeros(4, DType::F64, &Device::Cpu)?;
        assert!(f(&x, &f64_slopes).is_err(), "f32 input with f64 slopes");
        let ints = Tensor::zeros((2, 4), DType::U32, &Device::Cpu)?;
        let int_slopes = Tensor::zeros(4, DType::U32, &Device::Cpu)?;
        let err = f(&ints, &int_slopes).expect_err("u32 has no PReLU");
        assert!(err.to_string().contains("U32"), "unhelpful error: {err}");
        let scalar = Tensor::new(1.0f32, &Device::Cpu)?;
        assert!(
            f(&scalar, &three).is_err(),
            "a rank-0 input takes one slope"
        );
    }
    Ok(())
}

/// f16 and bf16 run in f32: the result is the f32 definition rounded.
#[test]
fn half_precision_runs_in_f32() -> Result<()> {
    let xs = [-2.0f32, -0.5, 0.0, 1.25];
    for dtype in [DType::F16, DType::BF16] {
        for f in [prelu as PreluFn, prelu_composed] {
            let x = Tensor::new(&xs, &Device::Cpu)?.to_dtype(dtype)?;
            let w = Tensor::new(&[0.3f32], &Device::Cpu)?.to_dtype(dtype)?;
            let y = f(&x, &w)?;
            assert_eq!(y.dtype(), dtype);
            let w32 = widen(&w)?[0] as f32;
            let want: Vec<f32> = widen(&x)?
                .iter()
                .map(|&v| scalar::leaky_relu(v as f32, w32))
                .collect();
            let want = Tensor::new(want.as_slice(), &Device::Cpu)?.to_dtype(dtype)?;
            assert_eq!(widen(&y)?, widen(&want)?, "{dtype:?}");
        }
    }
    Ok(())
}

#[test]
fn the_layer_keeps_its_slopes_in_the_varmap() -> Result<()> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let shared = Prelu::new(1, vb.pp("shared"))?;
    let per_channel = Prelu::with_init(3, 0.1, vb.pp("per_channel"))?;
    assert_eq!(shared.weight().to_vec1::<f32>()?, [0.25]);
    assert_eq!(per_channel.weight().to_vec1::<f32>()?, [0.1; 3]);
    let mut names: Vec<String> = varmap
        .data()
        .lock()
        .expect("the varmap's lock")
        .keys()
        .cloned()
        .collect();
    names.sort();
    assert_eq!(names, ["per_channel.weight", "shared.weight"]);

    let x = Tensor::new(&[[-2.0f32, 0.0, 4.0]], &Device::Cpu)?;
    assert_eq!(shared.forward(&x)?.to_vec2::<f32>()?, [[-0.5, 0.0, 4.0]]);
    assert!(Prelu::new(0, vb.pp("none")).is_err(), "no slopes");
    assert!(
        Prelu::with_init(1, f64::NAN, vb.pp("nan")).is_err(),
        "a NaN slope"
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

/// A teacher with slopes 0.1, -0.5 and 1.5 on three channels: a per-channel layer trained by SGD
/// finds each slope; a shared one can only settle on a compromise, with a higher loss.
#[test]
fn per_channel_slopes_are_learned_and_a_shared_slope_compromises() -> Result<()> {
    let teacher = [0.1f32, -0.5, 1.5];
    let shape = (64, 3, 5);
    let x = Tensor::from_vec(uniform(3, 64 * 3 * 5), shape, &Device::Cpu)?;
    let target = prelu(&x, &Tensor::new(&teacher, &Device::Cpu)?)?;
    let train = |slopes: usize| -> Result<(Vec<f32>, f32)> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let layer = Prelu::new(slopes, vb)?;
        let mut sgd = SGD::new(varmap.all_vars(), 2.0)?;
        for _ in 0..150 {
            sgd.backward_step(&loss::mse(&layer.forward(&x)?, &target)?)?;
        }
        let last = loss::mse(&layer.forward(&x)?, &target)?.to_scalar::<f32>()?;
        Ok((layer.weight().to_vec1()?, last))
    };
    let (learned, per_channel_loss) = train(3)?;
    for (got, want) in learned.iter().zip(teacher) {
        assert!(
            (got - want).abs() < 1e-4,
            "slopes {learned:?}, teacher {teacher:?}"
        );
    }
    let (shared, shared_loss) = train(1)?;
    assert!(
        shared[0] > 0.25 && shared[0] < 1.0,
        "the shared slope moved from 0.25 towards the teacher's mean: {shared:?}"
    );
    assert!(
        shared_loss > 100.0 * per_channel_loss.max(1e-9),
        "shared loss {shared_loss}, per-channel loss {per_channel_loss}"
    );
    Ok(())
}

/// A 2-16-2 network with a per-channel PReLU learns XOR with AdamW; the slopes move from 0.25,
/// and a save/load round trip through safetensors brings them back.
#[test]
fn a_network_with_prelu_trains_and_its_slopes_are_saved() -> Result<()> {
    let mut varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let hidden = candle_nn::linear(2, 16, vb.pp("hidden"))?;
    let act = Prelu::new(16, vb.pp("act"))?;
    let out = candle_nn::linear(16, 2, vb.pp("out"))?;
    for (name, shape, seed, scale) in [
        ("hidden.weight", &[16, 2][..], 42, 1.0),
        ("hidden.bias", &[16], 43, 0.1),
        ("out.weight", &[2, 16], 44, 0.25),
        ("out.bias", &[2], 45, 0.1),
    ] {
        let n = shape.iter().product();
        let values: Vec<f32> = uniform(seed, n).into_iter().map(|v| v * scale).collect();
        varmap.set_one(name, Tensor::from_vec(values, shape, &Device::Cpu)?)?;
    }
    let net = |xs: &Tensor| -> Result<Tensor> { xs.apply(&hidden)?.apply(&act)?.apply(&out) };

    let points = uniform(7, 2 * 256);
    let labels: Vec<u32> = points
        .chunks(2)
        .map(|p| u32::from((p[0] > 0.0) != (p[1] > 0.0)))
        .collect();
    let xs = Tensor::from_vec(points, (256, 2), &Device::Cpu)?;
    let labels = Tensor::from_vec(labels, 256, &Device::Cpu)?;
    let params = candle_nn::ParamsAdamW {
        lr: 0.05,
        weight_decay: 0.0, // so that only the gradient moves the slopes
        ..Default::default()
    };
    let mut opt = candle_nn::AdamW::new(varmap.all_vars(), params)?;
    let initial = loss::cross_entropy(&net(&xs)?, &labels)?.to_scalar::<f32>()?;
    for _ in 0..300 {
        opt.backward_step(&loss::cross_entropy(&net(&xs)?, &labels)?)?;
    }
    let last = loss::cross_entropy(&net(&xs)?, &labels)?.to_scalar::<f32>()?;
    let accuracy: f32 = net(&xs)?
        .argmax(D::Minus1)?
        .eq(&labels)?
        .to_dtype(DType::F32)?
        .mean_all()?
        .to_scalar()?;
    assert!(last < 0.5 * initial, "loss {initial} -> {last}");
    assert!(accuracy > 0.9, "accuracy {accuracy}");
    let slopes = act.weight().to_vec1::<f32>()?;
    assert!(
        slopes.iter().any(|&s| (s - 0.25).abs() > 0.01),
        "the slopes did not move: {slopes:?}"
    );

    let path = std::env::temp_dir().join(format!("leaky-prelu-{}.safetensors", std::process::id()));
    varmap.save(&path)?;
    let mut reloaded = VarMap::new();
    let fresh = Prelu::new(
        16,
        VarBuilder::from_varmap(&reloaded, DType::F32, &Device::Cpu).pp("act"),
    )?;
    reloaded.load(&path)?;
    std::fs::remove_file(&path)?;
    assert_eq!(fresh.weight().to_vec1::<f32>()?, slopes);
    Ok(())
}
