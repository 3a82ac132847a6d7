//! The convolution ops against candle's own, forward and backward; the same bits whatever the
//! number of threads; the fused activation (and pooling) the same bits as the ops after; layers that
//! interchange weights with candle-nn's; and bad shapes refused.

mod common;

use candle_core::{DType, Device, Module, Result, Tensor, Var};
use candle_nn::{Conv2dConfig, ConvTranspose2dConfig, VarBuilder, VarMap};
use common::{bits, max_diff};
use leaky_candle::conv::{conv_transpose2d_layer, conv2d_layer};
use leaky_candle::{
    Activation, Conv2d, ConvTranspose2d, activate, conv_transpose2d, conv_transpose2d_activated,
    conv2d, conv2d_activated, conv2d_activated_pooled, conv2d_activated_pooled_recorded, max_pool2,
};

/// Reproducible values in [-1, 1) (a 64-bit linear congruential generator).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

fn random(shape: &[usize], seed: u64, dtype: DType) -> Var {
    let n = shape.iter().product();
    let t = Tensor::from_vec(values(n, seed), shape, &Device::Cpu).unwrap();
    Var::from_tensor(&t.to_dtype(dtype).unwrap()).unwrap()
}

/// The output and the gradients of `vars` for a loss that weights every output differently.
fn run(f: impl Fn() -> Result<Tensor>, vars: &[&Var], seed: u64) -> (Tensor, Vec<Option<Tensor>>) {
    let y = f().unwrap();
    let weights = random(y.dims(), seed, y.dtype());
    let grads = (&y * weights.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let g = vars.iter().map(|v| grads.get(v).cloned()).collect();
    (y, g)
}

fn assert_close(
    ours: &(Tensor, Vec<Option<Tensor>>),
    theirs: &(Tensor, Vec<Option<Tensor>>),
    tol: f64,
    what: &str,
) {
    assert!(max_diff(&ours.0, &theirs.0) < tol, "forward, {what}");
    for (i, (a, b)) in ours.1.iter().zip(&theirs.1).enumerate() {
        match (a, b) {
            (Some(a), Some(b)) => assert!(
                max_diff(a, b) < tol,
                "gradient {i}, {what}: {}",
                max_diff(a, b)
            ),
            (a, b) => assert_eq!(a.is_some(), b.is_some(), "gradient {i} present, {what}"),
        }
    }
}

#[test]
fn conv2d_matches_candle_forward_and_backward() {
    // (stride, padding, kernel): the CNN's 3x3 "same", the GAN's 4x4/2, no padding, 1x1 (candle's own
    // backward fails where the strides skip a trailing input row: not compared there).
    for (stride, padding, kernel) in [(1, 1, 3), (2, 1, 4), (2, 0, 3), (1, 0, 1)] {
        for bias in [true, false] {
            let x = random(&[3, 2, 9, 7], 1, DType::F64);
            let w = random(&[4, 2, kernel, kernel], 2, DType::F64);
            let b = random(&[4], 3, DType::F64);
            let b_ref = bias.then(|| b.as_tensor());
            let vars = [&x, &w, &b];
            let ours = run(|| conv2d(&x, &w, b_ref, stride, padding), &vars, 4);
            let theirs = run(
                || {
                    let y = x.conv2d(&w, padding, stride, 1, 1)?;
                    match b_ref {
                        Some(b) => y.broadcast_add(&b.reshape((1, 4, 1, 1))?),
                        None => Ok(y),
                    }
                },
                &vars,
                4,
            );
            let what = format!("stride {stride} padding {padding} kernel {kernel} bias {bias}");
            assert_close(&ours, &theirs, 1e-12, &what);
        }
    }
}

#[test]
fn conv_transpose2d_matches_candle_forward_and_backward() {
    // The generator's 4x4, stride 2, padding 1 upsampling, to one channel and to three.
    for (stride, padding, kernel, c_out) in [
        (2, 1, 4, 3),
        (2, 1, 4, 1),
        (1, 1, 3, 2),
        (3, 0, 2, 2),
        (1, 0, 1, 2),
    ] {
        for bias in [true, false] {
            let x = random(&[2, 3, 5, 6], 5, DType::F64);
            let w = random(&[3, c_out, kernel, kernel], 6, DType::F64);
            let b = random(&[c_out], 7, DType::F64);
            let b_ref = bias.then(|| b.as_tensor());
            let vars = [&x, &w, &b];
            let ours = run(
                || conv_transpose2d(&x, &w, b_ref, stride, padding),
                &vars,
                8,
            );
            let theirs = run(
                || {
                    let y = x.conv_transpose2d(&w, padding, 0, stride, 1)?;
                    match b_ref {
                        Some(b) => y.broadcast_add(&b.reshape((1, c_out, 1, 1))?),
                        None => Ok(y),
                    }
                },
                &vars,
                8,
            );
            let what = format!("stride {stride} padding {padding} kernel {kernel} bias {bias}");
            assert_close(&ours, &theirs, 1e-12, &what);
        }
    }
}

#[test]
fn large_images_computed_band_by_band_match_candle() {
    // Images whose unfolded columns exceed one band (64Ki elements): 27 taps × 60 pixels a row
    // puts 40 of the 70 output rows in the first band; the transposed convolution's 48 taps ×
    // 36 input pixels a row, 37 of its 40 rows.
    let x = random(&[2, 3, 70, 60], 21, DType::F64);
    let w = random(&[4, 3, 3, 3], 22, DType::F64);
    let b = random(&[4], 23, DType::F64);
    let vars = [&x, &w, &b];
    let ours = run(|| conv2d(&x, &w, Some(&b), 1, 1), &vars, 24);
    let theirs = run(
        || {
            x.conv2d(&w, 1, 1, 1, 1)?
                .broadcast_add(&b.reshape((1, 4, 1, 1))?)
        },
        &vars,
        24,
    );
    assert_close(&ours, &theirs, 1e-12, "conv2d in bands");

    let x = random(&[2, 4, 40, 36], 25, DType::F64);
    let w = random(&[4, 3, 4, 4], 26, DType::F64);
    let b = random(&[3], 27, DType::F64);
    let vars = [&x, &w, &b];
    let ours = run(|| conv_transpose2d(&x, &w, Some(&b), 2, 1), &vars, 28);
    let theirs = run(
        || {
            x.conv_transpose2d(&w, 1, 0, 2, 1)?
                .broadcast_add(&b.reshape((1, 3, 1, 1))?)
        },
        &vars,
        28,
    );
    assert_close(&ours, &theirs, 1e-12, "conv_transpose2d in bands");
}

#[test]
fn f32_agrees_with_candle_to_rounding() {
    let x = random(&[4, 8, 14, 14], 9, DType::F32);
    let w = random(&[16, 8, 3, 3], 10, DType::F32);
    let b = random(&[16], 11, DType::F32);
    let vars = [&x, &w, &b];
    let ours = run(|| conv2d(&x, &w, Some(&b), 1, 1), &vars, 12);
    let theirs = run(
        || {
            x.conv2d(&w, 1, 1, 1, 1)?
                .broadcast_add(&b.reshape((1, 16, 1, 1))?)
        },
        &vars,
        12,
    );
    // Sums of up to 4·14·14 products of values below 1: a few units in the 6th digit.
    assert_close(&ours, &theirs, 2e-4, "f32");
}

/// Forward and every gradient, in a rayon pool of `threads` threads.
fn in_pool(threads: usize, f: impl Fn() -> (Tensor, Vec<Option<Tensor>>) + Send) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let (y, grads) = pool.install(f);
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    std::iter::once(flat(&y))
        .chain(grads.iter().map(|g| flat(g.as_ref().unwrap())))
        .collect()
}

#[test]
fn results_are_the_same_bits_whatever_the_number_of_threads() {
    let x = random(&[16, 32, 14, 14], 13, DType::F32);
    let w = random(&[64, 32, 3, 3], 14, DType::F32);
    let b = random(&[64], 15, DType::F32);
    let wt = random(&[32, 16, 4, 4], 16, DType::F32);
    let bt = random(&[16], 17, DType::F32);
    let conv = || run(|| conv2d(&x, &w, Some(&b), 1, 1), &[&x, &w, &b], 18);
    assert_eq!(in_pool(1, conv), in_pool(2, conv), "conv2d");
    assert_eq!(in_pool(3, conv), in_pool(2, conv), "conv2d");
    let up = || {
        run(
            || conv_transpose2d(&x, &wt, Some(&bt), 2, 1),
            &[&x, &wt, &bt],
            19,
        )
    };
    assert_eq!(in_pool(1, up), in_pool(2, up), "conv_transpose2d");
}

/// Every value of a forward pass and its gradients, as bits (NaN and -0 included).
fn all_bits(result: &(Tensor, Vec<Option<Tensor>>)) -> Vec<Vec<u32>> {
    let grads = result
        .1
        .iter()
        .map(|g| bits(g.as_ref().expect("a gradient")));
    std::iter::once(bits(&result.0)).chain(grads).collect()
}

#[test]
fn a_fused_activation_gives_the_same_bits_as_the_activation_after() {
    let x = random(&[4, 3, 9, 9], 31, DType::F32);
    let w = random(&[5, 3, 3, 3], 32, DType::F32);
    let b = random(&[5], 33, DType::F32);
    let wt = random(&[3, 2, 4, 4], 34, DType::F32);
    let bt = random(&[2], 35, DType::F32);
    for spec in [
        "leaky_relu",
        "relu",
        "gelu",
        "silu",
        "tanh",
        "elu:alpha=0.5",
        "softplus",
    ] {
        let act: Activation = spec.parse().unwrap();
        let vars = [&x, &w, &b];
        let fused = run(|| conv2d_activated(&x, &w, Some(&b), 2, 1, &act), &vars, 36);
        let after = run(
            || activate(&conv2d(&x, &w, Some(&b), 2, 1)?, &act),
            &vars,
            36,
        );
        assert_eq!(all_bits(&fused), all_bits(&after), "conv2d then {spec}");
        let vars = [&x, &wt, &bt];
        let up = |f: &dyn Fn() -> Result<Tensor>| run(f, &vars, 37);
        let fused = up(&|| conv_transpose2d_activated(&x, &wt, Some(&bt), 2, 1, &act));
        let after = up(&|| activate(&conv_transpose2d(&x, &wt, Some(&bt), 2, 1)?, &act));
        assert_eq!(
            all_bits(&fused),
            all_bits(&after),
            "conv_transpose2d then {spec}"
        );
    }
    // Without a bias, and through the layer.
    let act: Activation = "leaky_relu:alpha=0.2".parse().unwrap();
    let fused = run(|| conv2d_activated(&x, &w, None, 1, 1, &act), &[&x, &w], 38);
    let after = run(
        || activate(&conv2d(&x, &w, None, 1, 1)?, &act),
        &[&x, &w],
        38,
    );
    assert_eq!(all_bits(&fused), all_bits(&after), "no bias");
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let same = Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    let layer = conv2d_layer(3, 5, 3, same, vb).unwrap();
    let fused = layer.forward_activated(x.as_tensor(), &act).unwrap();
    let after = activate(&layer.forward(x.as_tensor()).unwrap(), &act).unwrap();
    assert_eq!(max_diff(&fused, &after), 0.0, "layer");
}

#[test]
fn fused_pooling_gives_the_same_bits_as_pooling_after() {
    for dtype in [DType::F32, DType::F64] {
        let x = random(&[4, 3, 9, 9], 41, dtype);
        let w = random(&[5, 3, 3, 3], 42, dtype);
        let b = random(&[5], 43, dtype);
        let vars = [&x, &w, &b];
        // Stride 1 gives 9x9 (an odd row and column dropped by the pooling), stride 2 gives 5x5.
        for (spec, stride) in [("leaky_relu", 1), ("gelu", 1), ("relu", 2), ("tanh", 2)] {
            let act: Activation = spec.parse().unwrap();
            let fused = run(
                || conv2d_activated_pooled(&x, &w, Some(&b), stride, 1, &act),
                &vars,
                44,
            );
            let after = run(
                || max_pool2(&conv2d_activated(&x, &w, Some(&b), stride, 1, &act)?),
                &vars,
                44,
            );
            assert_eq!(fused.0.dims(), after.0.dims());
            assert_eq!(
                all_bits_any(&fused),
                all_bits_any(&after),
                "{dtype:?}, stride {stride}, {spec}"
            );
        }
    }
    // Through the layer, and an output smaller than the window.
    let x = random(&[2, 3, 8, 8], 45, DType::F32);
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let same = Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    let layer = conv2d_layer(3, 4, 3, same, vb).unwrap();
    let act: Activation = "silu".parse().unwrap();
    let fused = layer.forward_activated_pooled(x.as_tensor(), &act).unwrap();
    let after = max_pool2(&layer.forward_activated(x.as_tensor(), &act).unwrap()).unwrap();
    assert_eq!(fused.dims(), [2, 4, 4, 4]);
    assert_eq!(bits(&fused), bits(&after), "layer");
    let small = random(&[1, 3, 3, 3], 46, DType::F32);
    let w = random(&[2, 3, 3, 3], 47, DType::F32);
    let err = conv2d_activated_pooled(&small, &w, None, 1, 0, &act).unwrap_err();
    assert!(
        err.to_string().contains("smaller than the 2x2 window"),
        "{err}"
    );
}

#[test]
fn recorded_pooling_gives_the_pre_activation_and_the_pooled_output_without_gradient() {
    for dtype in [DType::F32, DType::F64] {
        let x = random(&[3, 2, 9, 9], 51, dtype);
        let w = random(&[4, 2, 3, 3], 52, dtype);
        let b = random(&[4], 53, dtype);
        for (spec, stride, bias) in [("relu", 1, true), ("sigmoid", 2, true), ("elu", 1, false)] {
            let act: Activation = spec.parse().unwrap();
            let bias = bias.then_some(b.as_tensor());
            let (y, z) = conv2d_activated_pooled_recorded(&x, &w, bias, stride, 1, &act).unwrap();
            let z_alone = conv2d(&x, &w, bias, stride, 1).unwrap();
            let y_after = max_pool2(&activate(&z_alone, &act).unwrap()).unwrap();
            assert_eq!(f64_bits(&z), f64_bits(&z_alone), "z, {dtype:?}, {spec}");
            assert_eq!(f64_bits(&y), f64_bits(&y_after), "y, {dtype:?}, {spec}");
            assert_eq!(z.dims(), z_alone.dims());
            assert_eq!(y.dims(), y_after.dims());
            // Recorded values carry no gradient back to the weights.
            let grads = y.sum_all().unwrap().backward().unwrap();
            assert!(grads.get(&w).is_none(), "{spec}: no gradient");
        }
    }
    let act: Activation = "relu".parse().unwrap();
    let small = random(&[1, 3, 3, 3], 54, DType::F32);
    let w = random(&[2, 3, 3, 3], 55, DType::F32);
    let err = conv2d_activated_pooled_recorded(&small, &w, None, 1, 0, &act).unwrap_err();
    assert!(
        err.to_string().contains("smaller than the 2x2 window"),
        "{err}"
    );
    let w64 = random(&[2, 3, 3, 3], 56, DType::F64);
    let err = conv2d_activated_pooled_recorded(&small, &w64, None, 1, 1, &act).unwrap_err();
    assert!(err.to_string().contains("mixed dtypes"), "{err}");
}

/// [`all_bits`] for `f32` or `f64` results (the bits of each value as `f64`).
fn all_bits_any(result: &(Tensor, Vec<Option<Tensor>>)) -> Vec<Vec<u64>> {
    let grads = result
        .1
        .iter()
        .map(|g| f64_bits(g.as_ref().expect("a gradient")));
    std::iter::once(f64_bits(&result.0)).chain(grads).collect()
}

/// The bits of each value of an `f32` or `f64` tensor, as `f64`.
fn f64_bits(t: &Tensor) -> Vec<u64> {
    let t = t.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    t.to_vec1::<f64>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn layers_share_candles_weights_names_and_results() {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let cfg = Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    let ours = conv2d_layer(2, 3, 3, cfg, vb.pp("conv")).unwrap();
    let up_cfg = ConvTranspose2dConfig {
        padding: 1,
        output_padding: 0,
        stride: 2,
        dilation: 1,
    };
    let up = conv_transpose2d_layer(3, 2, 4, up_cfg, vb.pp("up")).unwrap();
    let mut names: Vec<String> = varmap.data().lock().unwrap().keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["conv.bias", "conv.weight", "up.bias", "up.weight"]);
    let x = random(&[2, 2, 6, 5], 20, DType::F32);
    let y = ours.forward(&x).unwrap();
    let want = ours.inner().forward(&x).unwrap();
    assert!(max_diff(&y, &want) < 1e-5);
    let z = up.forward(&y).unwrap();
    assert_eq!(z.dims(), [2, 2, 12, 10]);
    assert!(max_diff(&z, &up.inner().forward(&y).unwrap()) < 1e-5);
}

#[test]
fn bad_shapes_and_settings_are_errors_naming_the_op() {
    let x = random(&[1, 2, 5, 5], 21, DType::F32);
    let w = random(&[3, 2, 3, 3], 22, DType::F32);
    let err = |r: Result<Tensor>| r.unwrap_err().to_string();
    let wrong_channels = random(&[3, 4, 3, 3], 23, DType::F32);
    assert!(
        err(conv2d(&x, &wrong_channels, None, 1, 1)).contains("conv2d: the input has 2 channels")
    );
    let big = random(&[3, 2, 9, 9], 24, DType::F32);
    assert!(err(conv2d(&x, &big, None, 1, 1)).contains("does not fit"));
    assert!(err(conv2d(&x, &w, None, 0, 1)).contains("stride 0"));
    let bias = random(&[5], 25, DType::F32);
    assert!(err(conv2d(&x, &w, Some(&bias), 1, 1)).contains("bias"));
    let w64 = w.to_dtype(DType::F64).unwrap();
    assert!(err(conv2d(&x, &w64, None, 1, 1)).contains("mixed dtypes"));
    let nan_slope = Activation::LeakyRelu { alpha: f64::NAN };
    assert!(err(conv2d_activated(&x, &w, None, 1, 1, &nan_slope)).contains("alpha"));
    let not_square = random(&[3, 2, 3, 2], 26, DType::F32);
    assert!(err(conv2d(&x, &not_square, None, 1, 1)).contains("square"));
    let up = random(&[2, 3, 4, 4], 27, DType::F32);
    assert!(err(conv_transpose2d(&x, &up, None, 0, 1)).contains("conv-transpose2d"));
    assert!(
        err(conv_transpose2d(&x, &w, None, 2, 1))
            .contains("conv-transpose2d: the input has 2 channels")
    );
    let tiny = random(&[1, 2, 1, 1], 28, DType::F32);
    let k2 = random(&[2, 1, 2, 2], 29, DType::F32);
    assert!(err(conv_transpose2d(&tiny, &k2, None, 1, 3)).contains("empty output"));
    let dilated = candle_nn::Conv2d::new(
        w.as_tensor().clone(),
        None,
        Conv2dConfig {
            dilation: 2,
            ..Default::default()
        },
    );
    assert!(Conv2d::new(dilated).is_err());
    let padded = candle_nn::ConvTranspose2d::new(
        up.as_tensor().clone(),
        None,
        ConvTranspose2dConfig {
            padding: 0,
            output_padding: 1,
            stride: 2,
            dilation: 1,
        },
    );
    assert!(ConvTranspose2d::new(padded).is_err());
}

#[test]
fn three_by_three_same_convolutions_of_every_plane_shape_match_candle() {
    // On a CPU with AVX-512F these run the direct passes (the forward pass with output channels
    // a multiple of 8, the input's gradient with input channels a multiple of 8, the weights'
    // with output channels a multiple of 16); elsewhere the unfolded product. Planes of several
    // vectors of 16 pixels with a partial last one or not, one row, one pixel; weight gradients
    // of 4, 2 and 1 vectors of channels, and tap counts that are not a multiple of the tile's 6.
    for (i, &(c, o, h, w)) in [
        (32, 64, 14, 14),
        (1, 32, 28, 28),
        (3, 16, 5, 37),
        (16, 8, 1, 16),
        (8, 24, 1, 1),
    ]
    .iter()
    .enumerate()
    {
        let seed = 100 + 4 * i as u64;
        let x = random(&[3, c, h, w], seed, DType::F32);
        let wt = random(&[o, c, 3, 3], seed + 1, DType::F32);
        let b = random(&[o], seed + 2, DType::F32);
        let vars = [&x, &wt, &b];
        let ours = run(|| conv2d(&x, &wt, Some(&b), 1, 1), &vars, seed + 3);
        let theirs = run(
            || {
                x.conv2d(&wt, 1, 1, 1, 1)?
                    .broadcast_add(&b.reshape((1, o, 1, 1))?)
            },
            &vars,
            seed + 3,
        );
        // Sums of up to 9·64 products of values below 1 (the input's gradient sums over the
        // output channels), or 3·H·W (the weights'), rounded in different orders: a few units
        // in the 6th digit.
        assert_close(&ours, &theirs, 1e-4, &format!("{c} → {o}, {h}x{w}"));
        let ours = run(|| conv2d(&x, &wt, None, 1, 1), &[&x, &wt], seed + 3);
        let theirs = run(|| x.conv2d(&wt, 1, 1, 1, 1), &[&x, &wt], seed + 3);
        assert_close(
            &ours,
            &theirs,
            1e-4,
            &format!("{c} → {o}, {h}x{w}, no bias"),
        );
    }
}
