//! The slice operations agree with the scalar definitions, and reject bad lengths and parameters.

mod common;

use common::{same_f32, same_f64, ulp_f32};
use leaky::accuracy::ulp_error_f32;
use leaky::{Activation, Error, Kind};
use proptest::prelude::*;

/// Every kind, with its default parameters or random valid ones.
fn activations() -> impl Strategy<Value = Activation> {
    let defaults: Vec<Activation> = Kind::ALL.iter().map(|k| k.default_activation()).collect();
    prop_oneof![
        (-2.0..2.0f64).prop_map(|alpha| Activation::leaky_relu(alpha).unwrap()),
        prop::sample::select(defaults),
        (-3.0..0.0f64, 0.0..3.0f64)
            .prop_map(|(min, max)| Kind::Hardtanh.with_params(&[min, max]).unwrap()),
        (0.0..2.0f64).prop_map(|l| Kind::Softshrink.with_params(&[l]).unwrap()),
        (-1.0..1.0f64, -2.0..2.0f64)
            .prop_map(|(t, v)| Kind::Threshold.with_params(&[t, v]).unwrap()),
        (0.1..3.0f64).prop_map(|a| Kind::Elu.with_params(&[a]).unwrap()),
        Just("gelu:approximate=tanh".parse::<Activation>().unwrap()),
        (-4.0..4.0f64).prop_map(|log2_beta| Kind::Softplus
            .with_params(&[log2_beta.exp2(), 20.0])
            .unwrap()),
    ]
}

/// Any f32 bit pattern: normals, subnormals, zeros, infinities and NaNs alike.
fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![any::<u32>().prop_map(f32::from_bits), -10.0..10.0f32]
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![any::<u64>().prop_map(f64::from_bits), -40.0..40.0f64]
}

proptest! {
    #[test]
    fn f32_slices_match_scalars(a in activations(), x in prop::collection::vec(any_f32(), 0..200),
                                g in any_f32()) {
        let mut y = vec![0.0; x.len()];
        a.forward_slice(&x, &mut y).unwrap();
        let mut in_place = x.clone();
        a.forward_in_place(&mut in_place).unwrap();
        let grad_out: Vec<f32> = x.iter().map(|_| g).collect();
        let mut grad_in = vec![0.0; x.len()];
        a.backward(&x, &grad_out, &mut grad_in).unwrap();
        let ones = vec![1.0; x.len()];
        let mut slope = vec![0.0; x.len()];
        a.backward(&x, &ones, &mut slope).unwrap();
        // Piecewise-linear kernels are bit for bit the definitions. The smooth ones are within 4 ULP
        // of the definition evaluated in f64, forward and derivative: the bound that the exhaustive
        // sweeps measure (docs/kernels.md), in the same units.
        let smooth = !a.kind().is_piecewise_linear();
        let close = |got: f32, want: f32, reference: f64| {
            same_f32(got, want) || got == want || (smooth && ulp_error_f32(got, reference) <= 4.0)
        };
        for i in 0..x.len() {
            let fx = a.forward(x[i]);
            prop_assert!(close(y[i], fx, a.forward(x[i] as f64)),
                "{a} f({:e}) slice {:e} scalar {fx:e}", x[i], y[i]);
            prop_assert!(same_f32(in_place[i], y[i]));
            let d = a.derivative(x[i]);
            if !d.is_finite() {
                continue;
            }
            prop_assert!(close(slope[i], d, a.derivative(x[i] as f64)),
                "{a} f'({:e}) slice {:e} scalar {d:e}", x[i], slope[i]);
            if g.is_finite() {
                // The backward is g times the derivative: rounded once from the f32 slope by the
                // kernels, from the f64 one by the scalar definitions (at most 2 ULP apart).
                let expected = g * slope[i];
                let near = ulp_f32(grad_in[i], expected) <= 2
                    || (grad_in[i] - expected).abs() <= f32::MIN_POSITIVE;
                prop_assert!(same_f32(grad_in[i], expected) || grad_in[i] == expected || (smooth && near),
                    "{a} at {:e}: g·f' {:e} vs g {g:e} times f' {:e}", x[i], grad_in[i], slope[i]);
            }
        }
    }

    #[test]
    fn f64_slices_match_scalars(a in activations(), x in prop::collection::vec(any_f64(), 0..200)) {
        let mut y = vec![0.0; x.len()];
        a.forward_slice(&x, &mut y).unwrap();
        let ones = vec![1.0; x.len()];
        let mut grad_in = vec![0.0; x.len()];
        a.backward(&x, &ones, &mut grad_in).unwrap();
        for i in 0..x.len() {
            prop_assert!(same_f64(y[i], a.forward(x[i])));
            prop_assert!(same_f64(grad_in[i], a.derivative(x[i])));
        }
    }

    #[test]
    fn backward_from_output_matches_backward_from_input(
        a in activations(), x in prop::collection::vec(-30.0..30.0f64, 0..100)) {
        let y_probe = [0.0_f64];
        let mut g_probe = [0.0_f64];
        prop_assume!(a.backward_from_output(&y_probe, &[1.0], &mut g_probe).is_ok());
        let mut y = vec![0.0; x.len()];
        a.forward_slice(&x, &mut y).unwrap();
        let g: Vec<f64> = (0..x.len()).map(|i| 1.0 + i as f64).collect();
        let (mut from_x, mut from_y) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        a.backward(&x, &g, &mut from_x).unwrap();
        a.backward_from_output(&y, &g, &mut from_y).unwrap();
        for i in 0..x.len() {
            // Computing f' from y = f(x) loses some accuracy in the smooth tails.
            let tolerance = 1e-12 * g[i] + 1e-13 * from_x[i].abs();
            prop_assert!((from_x[i] - from_y[i]).abs() <= tolerance,
                "{a} at {}: {} vs {}", x[i], from_x[i], from_y[i]);
        }
    }
}

#[test]
fn backward_is_a_select_for_piecewise_linear_functions() {
    // PyTorch's rule: where ReLU is flat the gradient is 0 even if grad_out is inf or NaN.
    let x = [-1.0_f32, -1.0, 2.0];
    let g = [f32::INFINITY, f32::NAN, f32::INFINITY];
    let mut out = [9.0_f32; 3];
    Activation::Relu.backward(&x, &g, &mut out).unwrap();
    assert_eq!(out[..2], [0.0, 0.0]);
    assert_eq!(out[2], f32::INFINITY);
    Activation::leaky_relu(0.1)
        .unwrap()
        .backward(&x, &g, &mut out)
        .unwrap();
    assert_eq!(out[0], f32::INFINITY);
    assert!(out[1].is_nan());
}

#[test]
fn mismatched_lengths_are_errors_and_write_nothing() {
    let a = Activation::DEFAULT;
    let x = [1.0_f32, -1.0, 0.5];
    let mut short = [7.0_f32; 2];
    let err = a.forward_slice(&x, &mut short).unwrap_err();
    assert_eq!(
        err,
        Error::LengthMismatch {
            what: "output",
            expected: 3,
            found: 2
        }
    );
    assert_eq!(short, [7.0, 7.0]);
    let mut grad_in = [7.0_f32; 3];
    assert!(matches!(
        a.backward(&x, &[1.0; 2], &mut grad_in),
        Err(Error::LengthMismatch {
            what: "grad_out",
            ..
        })
    ));
    assert!(matches!(
        a.backward(&x, &[1.0; 3], &mut short),
        Err(Error::LengthMismatch {
            what: "grad_in",
            ..
        })
    ));
    assert!(matches!(
        a.backward_from_output(&x, &[1.0; 4], &mut grad_in),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(grad_in, [7.0; 3]);
    assert!(
        err.to_string()
            .contains("output has 2 elements but the input has 3")
    );
}

#[test]
fn empty_slices_are_fine() {
    let mut nothing: [f32; 0] = [];
    Activation::Tanh.forward_slice(&[], &mut nothing).unwrap();
    Activation::Tanh.backward(&[], &[], &mut nothing).unwrap();
}

#[test]
fn backward_from_output_refuses_negative_alpha() {
    let a = Activation::leaky_relu(-0.5).unwrap();
    let mut grad_in = [0.0_f64; 2];
    let err = a
        .backward_from_output(&[1.0, -1.0], &[1.0, 1.0], &mut grad_in)
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }));
    assert!(err.to_string().contains("slope >= 0"), "{err}");
    // From the input it is fine.
    a.backward(&[1.0, -1.0], &[1.0, 1.0], &mut grad_in).unwrap();
    assert_eq!(grad_in, [1.0, -0.5]);
    // α = 0 is allowed from the output.
    Activation::leaky_relu(0.0)
        .unwrap()
        .backward_from_output(&[1.0, 0.0], &[1.0, 1.0], &mut grad_in)
        .unwrap();
    assert_eq!(grad_in, [1.0, 0.0]);
}

#[test]
fn invalid_parameters_built_by_hand_are_rejected_by_slice_operations() {
    let bad = Activation::LeakyRelu { alpha: f64::NAN };
    let mut y = [0.0_f32; 1];
    assert!(matches!(
        bad.forward_slice(&[1.0], &mut y),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        bad.forward_in_place(&mut y),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn backward_from_output_is_refused_where_the_output_does_not_tell_the_input() {
    let mut grad_in = [0.0_f32; 1];
    for spec in [
        "gelu",
        "silu",
        "mish",
        "hardswish",
        "softshrink",
        "hardshrink",
        "threshold",
        "tanhshrink",
        "elu:alpha=-1",
    ] {
        let a: Activation = spec.parse().unwrap();
        let err = a
            .backward_from_output(&[0.5], &[1.0], &mut grad_in)
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{spec}: {err}");
        assert!(
            err.to_string().contains("backward from the input"),
            "{spec}: {err}"
        );
    }
}

/// The case that a CI run found: GELU's backward with a huge gradient, where the kernel's slope is
/// a few ULP from the definition's and the product scales that error up with it.
#[test]
fn gelu_backward_with_a_huge_gradient() {
    let gelu: Activation = "gelu".parse().unwrap();
    let x = [-1.916_733_3f32; 8];
    let mut slope = [0.0f32; 8];
    gelu.backward(&x, &[1.0; 8], &mut slope).unwrap();
    let mut grad = [0.0f32; 8];
    gelu.backward(&x, &[-1.667_519_7e20; 8], &mut grad).unwrap();
    let exact = -1.667_519_7e20f64 * gelu.derivative(x[0] as f64);
    for (s, g) in slope.iter().zip(grad) {
        assert!(ulp_error_f32(*s, gelu.derivative(x[0] as f64)) <= 4.0);
        assert_eq!(g, -1.667_519_7e20f32 * s);
        assert!(((g as f64 - exact) / exact).abs() < 6.0 * f32::EPSILON as f64);
    }
}

/// The Softplus kernel for β ≠ 1 switches to the identity exactly where the definition does,
/// `β·x > threshold` in `f64`, for the `f32` inputs next to `threshold/β`.
#[test]
fn softplus_with_beta_switches_where_the_definition_does() {
    for (beta, threshold) in [
        (3.0, 0.5),
        (7.0, 0.3),
        (2.5, -0.1),
        (0.25, 1.0),
        (0.03, -0.2),
    ] {
        let act: Activation = format!("softplus:beta={beta},threshold={threshold}")
            .parse()
            .unwrap();
        let mut x = vec![(threshold / beta) as f32];
        for _ in 0..4 {
            x.insert(0, x[0].next_down());
            x.push(x[x.len() - 1].next_up());
        }
        x.extend(vec![x[4]; 12]); // a full vector as well as the scalar tail
        let mut y = vec![0.0f32; x.len()];
        act.forward_slice(&x, &mut y).unwrap();
        let mut d = vec![0.0f32; x.len()];
        act.backward(&x, &vec![1.0; x.len()], &mut d).unwrap();
        for i in 0..x.len() {
            let above = f64::from(x[i]) * beta > threshold;
            assert_eq!(y[i] == x[i], above, "{act} at {:e}: {:e}", x[i], y[i]);
            assert_eq!(d[i] == 1.0, above, "{act} at {:e}: f' {:e}", x[i], d[i]);
        }
    }
}
