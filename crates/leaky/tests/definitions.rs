//! The scalar definitions at their edges: 0, -0, NaN, ±inf, subnormals, α < 0, α > 1.

mod common;

use common::{same_f32, same_f64, ulp_f64};
use leaky::Activation;

fn leaky(alpha: f64) -> Activation {
    Activation::leaky_relu(alpha).unwrap()
}

#[test]
fn leaky_relu_is_identity_above_zero_and_scaled_below() {
    let a = leaky(0.01);
    assert_eq!(a.forward(3.0_f32), 3.0);
    assert_eq!(a.forward(-3.0_f32), -3.0 * 0.01_f32);
    assert_eq!(a.forward(-3.0_f64), -0.03);
    assert!(same_f32(a.forward(0.0_f32), 0.0));
    assert!(same_f32(a.forward(-0.0_f32), -0.0));
    assert_eq!(a.forward(f32::INFINITY), f32::INFINITY);
    assert_eq!(a.forward(f32::NEG_INFINITY), f32::NEG_INFINITY);
    assert!(a.forward(f32::NAN).is_nan());
    assert!(a.forward(f64::NAN).is_nan());
}

#[test]
fn leaky_relu_derivative_at_zero_is_alpha() {
    let a = leaky(0.2);
    assert_eq!(a.derivative(0.0_f32), 0.2);
    assert_eq!(a.derivative(-0.0_f32), 0.2);
    assert_eq!(a.derivative(0.0_f64), 0.2);
    assert_eq!(a.derivative(1e-45_f32), 1.0);
    assert_eq!(a.derivative(-1e-45_f32), 0.2);
    assert_eq!(a.derivative(f64::INFINITY), 1.0);
    assert_eq!(a.derivative(f64::NEG_INFINITY), 0.2);
    // PyTorch's backward compares x > 0, which NaN fails.
    assert_eq!(a.derivative(f32::NAN), 0.2);
}

#[test]
fn leaky_relu_subnormals_scale_like_ieee_multiplication() {
    let a = leaky(0.5);
    let tiny = f32::from_bits(2); // 2 × the smallest subnormal
    assert_eq!(a.forward(-tiny), -f32::from_bits(1));
    assert_eq!(a.forward(tiny), tiny);
    let min = f64::from_bits(1);
    assert!(same_f64(a.forward(-min), -0.0)); // rounds to -0, as PyTorch does
}

#[test]
fn leaky_relu_differs_from_the_max_form_outside_0_to_1() {
    // The article's max(αx, x) is a different function for α > 1 and α < 0.
    let steep = leaky(1.5);
    assert_eq!(steep.forward(2.0_f64), 2.0); // max form would give 3
    assert_eq!(steep.forward(-2.0_f64), -3.0); // max form would give -2
    let negative = leaky(-0.5);
    assert_eq!(negative.forward(-2.0_f64), 1.0);
    assert_eq!(negative.forward(2.0_f64), 2.0);
    assert_eq!(negative.derivative(-2.0_f64), -0.5);
    assert_eq!(negative.forward(f64::NEG_INFINITY), f64::INFINITY);
}

#[test]
fn leaky_relu_with_zero_alpha_follows_pytorch_at_minus_infinity() {
    // -inf × 0 is NaN in IEEE arithmetic; PyTorch gives NaN too.
    assert!(leaky(0.0).forward(f32::NEG_INFINITY).is_nan());
    assert!(same_f32(leaky(0.0).forward(-5.0_f32), -0.0));
}

#[test]
fn relu_edges() {
    let r = Activation::Relu;
    assert_eq!(r.forward(2.5_f32), 2.5);
    assert_eq!(r.forward(-2.5_f32), 0.0);
    assert_eq!(r.forward(-0.0_f32), 0.0);
    assert_eq!(r.forward(f64::NEG_INFINITY), 0.0);
    assert_eq!(r.forward(f64::INFINITY), f64::INFINITY);
    assert!(r.forward(f32::NAN).is_nan());
    assert_eq!(r.forward(f32::from_bits(1)), f32::from_bits(1));
    assert_eq!(r.derivative(0.0_f32), 0.0);
    assert_eq!(r.derivative(-0.0_f64), 0.0);
    assert_eq!(r.derivative(1e-300_f64), 1.0);
    assert_eq!(r.derivative(f32::NAN), 1.0); // PyTorch: y <= 0 is false for NaN
}

#[test]
fn sigmoid_edges_and_tails() {
    let s = Activation::Sigmoid;
    assert_eq!(s.forward(0.0_f32), 0.5);
    assert_eq!(s.forward(-0.0_f64), 0.5);
    assert_eq!(s.forward(f32::INFINITY), 1.0);
    assert!(same_f32(s.forward(f32::NEG_INFINITY), 0.0));
    assert!(s.forward(f64::NAN).is_nan());
    assert_eq!(s.derivative(0.0_f64), 0.25);
    assert_eq!(s.derivative(f64::INFINITY), 0.0);
    assert!(s.derivative(f32::NAN).is_nan());
    // Left tail: σ(x) = e^x / (1 + e^x) ≈ e^x, kept down to the subnormals.
    for x in [-50.0_f64, -100.0, -700.0, -720.0, -740.0] {
        assert!(ulp_f64(s.forward(x), x.exp()) <= 2, "sigmoid({x})");
        assert!(ulp_f64(s.derivative(x), x.exp()) <= 2, "sigmoid'({x})");
    }
    let y = s.forward(-100.0_f32);
    assert!(
        y > 0.0 && !y.is_normal(),
        "sigmoid(-100) = {y:e} must be subnormal"
    );
    // Right tail of the derivative: σ'(x) ≈ e^-x, not 0 from 1 - σ(x) cancelling.
    assert!(ulp_f64(s.derivative(40.0_f64), (-40.0_f64).exp()) <= 4);
    assert!(s.derivative(30.0_f32) > 0.0);
}

#[test]
fn tanh_edges_and_tails() {
    let t = Activation::Tanh;
    assert!(same_f32(t.forward(-0.0_f32), -0.0));
    assert_eq!(t.forward(f64::INFINITY), 1.0);
    assert_eq!(t.forward(f64::NEG_INFINITY), -1.0);
    assert!(t.forward(f32::NAN).is_nan());
    assert_eq!(t.forward(f32::from_bits(1)), f32::from_bits(1));
    assert_eq!(t.derivative(0.0_f32), 1.0);
    assert_eq!(t.derivative(f32::NEG_INFINITY), 0.0);
    assert!(t.derivative(f64::NAN).is_nan());
    // 1 - tanh²(x) ≈ 4e^-2|x| for large |x|, symmetric.
    let x = 20.0_f64;
    assert!(ulp_f64(t.derivative(x), 4.0 * (-2.0 * x).exp()) <= 4);
    assert_eq!(t.derivative(x), t.derivative(-x));
    assert!(t.derivative(15.0_f32) > 0.0);
}

#[test]
fn f32_smooth_results_are_the_f64_definition_rounded_once() {
    for x in [-30.0_f32, -3.7, -0.1, 1e-20, 0.3, 2.0, 9.5, 17.0] {
        for a in [Activation::Sigmoid, Activation::Tanh] {
            assert_eq!(a.forward(x), a.forward(x as f64) as f32, "{a} at {x}");
            assert_eq!(
                a.derivative(x),
                a.derivative(x as f64) as f32,
                "{a}' at {x}"
            );
        }
    }
}

fn act(spec: &str) -> Activation {
    spec.parse().unwrap()
}

#[test]
fn hardswish_is_x_where_pytorch_overflows() {
    // PyTorch's `x·6/6` overflows above MAX/6; the true value is x. Below, its formula stays.
    let a = act("hardswish");
    for x in [f64::MAX, f64::MAX / 5.0, 1e308] {
        assert_eq!(a.forward(x), x, "hardswish({x:e})");
    }
    for x in [f32::MAX, f32::MAX / 5.0, 1e38] {
        assert_eq!(a.forward(x), x, "hardswish({x:e}) f32");
    }
    assert_eq!(a.forward(f32::INFINITY), f32::INFINITY);
    assert_eq!(a.forward(1e30_f32), 1e30_f32 * 6.0 / 6.0);
    assert_eq!(a.forward(4.0_f32), 4.0);
}

#[test]
fn limits_at_infinity_where_pytorch_gives_nan() {
    for (spec, at_minus_inf, at_plus_inf) in [
        ("gelu", 0.0, f64::INFINITY),
        ("gelu:approximate=tanh", 0.0, f64::INFINITY),
        ("silu", 0.0, f64::INFINITY),
        ("mish", 0.0, f64::INFINITY),
        ("softsign", -1.0, 1.0),
        ("hardswish", 0.0, f64::INFINITY),
    ] {
        let a = act(spec);
        assert_eq!(a.forward(f64::NEG_INFINITY), at_minus_inf, "{spec}(-inf)");
        assert_eq!(a.forward(f64::INFINITY), at_plus_inf, "{spec}(+inf)");
        assert_eq!(
            a.forward(f32::NEG_INFINITY) as f64,
            at_minus_inf,
            "{spec}(-inf) f32"
        );
        for x in [f64::NEG_INFINITY, f64::INFINITY] {
            assert!(!a.derivative(x).is_nan(), "{spec}'({x})");
        }
    }
    assert_eq!(act("gelu").derivative(f64::INFINITY), 1.0);
    assert_eq!(act("silu").derivative(f64::NEG_INFINITY), 0.0);
}

#[test]
fn derivatives_at_the_kinks_follow_pytorch() {
    let cases: &[(&str, f64, f64)] = &[
        ("prelu", 0.0, 0.25),
        ("rrelu", 0.0, (1.0 / 8.0 + 1.0 / 3.0) / 2.0),
        ("elu:alpha=0.5", 0.0, 0.5),
        (
            "selu",
            0.0,
            leaky::scalar::SELU_SCALE * leaky::scalar::SELU_ALPHA,
        ),
        ("celu:alpha=2", 0.0, 1.0),
        ("hardtanh", -1.0, 0.0),
        ("hardtanh", 1.0, 0.0),
        ("relu6", 0.0, 0.0),
        ("relu6", 6.0, 0.0),
        ("hardsigmoid", -3.0, 0.0),
        ("hardsigmoid", 3.0, 0.0),
        ("hardswish", -3.0, 0.0),
        ("hardswish", 3.0, 1.0),
        ("softshrink", 0.5, 0.0),
        ("hardshrink", -0.5, 0.0),
        ("threshold:threshold=1,value=5", 1.0, 0.0),
        ("softplus", 0.0, 0.5),
        ("gelu", 0.0, 0.5),
        ("mish", 0.0, 0.6),
    ];
    for &(spec, x, expected) in cases {
        let d = act(spec).derivative(x);
        assert!(
            (d - expected).abs() <= 1e-15,
            "{spec}'({x}) = {d}, want {expected}"
        );
    }
}

#[test]
fn nan_stays_nan_through_every_forward() {
    for kind in leaky::Kind::ALL {
        let a = kind.default_activation();
        assert!(a.forward(f32::NAN).is_nan(), "{a}");
        assert!(a.forward(f64::NAN).is_nan(), "{a}");
    }
}

#[test]
fn smooth_functions_keep_their_tails() {
    // Softplus and LogSigmoid never overflow; GELU's negative tail is a normal float.
    assert_eq!(act("softplus").forward(1e300_f64), 1e300);
    assert_eq!(
        act("softplus:beta=1,threshold=1e308").forward(1000.0_f64),
        1000.0
    );
    assert_eq!(act("logsigmoid").forward(-1000.0_f64), -1000.0);
    assert!(act("logsigmoid").forward(1000.0_f32) == 0.0);
    let g = act("gelu").forward(-8.0_f32);
    assert!(g.is_normal() && g < 0.0, "gelu(-8) = {g:e}");
    let g = act("gelu").forward(-12.0_f64);
    assert!(g.is_normal() && g < 0.0, "gelu(-12) = {g:e}");
    // Tanhshrink near 0: x³/3, not 0 from cancellation.
    let x = 1e-5_f64;
    assert!(
        ulp_f64(
            act("tanhshrink").forward(x),
            x.powi(3) / 3.0 - 2.0 * x.powi(5) / 15.0
        ) <= 2
    );
    assert!(act("tanhshrink").forward(1e-10_f32) > 0.0);
}

#[test]
fn prelu_per_channel_forward_and_slope_gradient() {
    use leaky::prelu::{self, ChannelLayout};
    // N=2, C=3, H·W=2; channel c has slope weights[c].
    let layout = ChannelLayout::new(&[2, 3, 2], 1).unwrap();
    let x: Vec<f64> = (0..12).map(|i| i as f64 - 6.0).collect();
    let weights = [0.1, 0.2, 0.3];
    let mut y = vec![0.0; 12];
    prelu::forward(&x, &weights, layout, &mut y).unwrap();
    let mut expected_grad_w = [0.0; 3];
    for i in 0..12 {
        let c = (i / 2) % 3;
        let want = if x[i] > 0.0 { x[i] } else { weights[c] * x[i] };
        assert_eq!(y[i], want, "y[{i}]");
        if x[i] <= 0.0 {
            expected_grad_w[c] += x[i] * 2.0;
        }
    }
    let grad_out = vec![2.0; 12];
    let (mut grad_in, mut grad_w) = (vec![0.0; 12], [9.0; 3]);
    prelu::backward(&x, &weights, layout, &grad_out, &mut grad_in, &mut grad_w).unwrap();
    assert_eq!(grad_w, expected_grad_w);
    assert_eq!(grad_in[0], 0.2); // x = -6 in channel 0: 2 · 0.1
    // One shared slope is the scalar PReLU.
    let mut shared = vec![0.0; 12];
    prelu::forward(&x, &[0.25], layout, &mut shared).unwrap();
    let a = act("prelu");
    assert!(x.iter().zip(&shared).all(|(&x, &y)| a.forward(x) == y));
    // Errors, not panics.
    assert!(prelu::forward(&x, &[0.1, 0.2], layout, &mut y).is_err());
    assert!(prelu::forward(&x[..5], &weights, layout, &mut y).is_err());
    assert!(ChannelLayout::new(&[2, 3], 2).is_err());
}

#[test]
fn rrelu_training_draws_reproducible_slopes_in_range() {
    use leaky::rrelu::{self, Rng};
    let x: Vec<f32> = (0..1000).map(|i| i as f32 / 10.0 - 50.0).collect();
    let (mut y, mut slopes) = (vec![0.0; 1000], vec![0.0; 1000]);
    rrelu::forward_train(&x, 0.1, 0.3, &mut Rng::new(7), &mut y, &mut slopes).unwrap();
    for i in 0..1000 {
        if x[i] > 0.0 {
            assert_eq!((y[i], slopes[i]), (x[i], 1.0));
        } else {
            assert!((0.1..=0.3).contains(&slopes[i]), "slope {}", slopes[i]);
            assert_eq!(y[i], x[i] * slopes[i]);
        }
    }
    let negative: Vec<f32> = slopes
        .iter()
        .zip(&x)
        .filter(|(_, x)| **x <= 0.0)
        .map(|(s, _)| *s)
        .collect();
    let mean = negative.iter().sum::<f32>() / negative.len() as f32;
    assert!((mean - 0.2).abs() < 0.01, "mean slope {mean}");
    let (mut y2, mut slopes2) = (vec![0.0; 1000], vec![0.0; 1000]);
    rrelu::forward_train(&x, 0.1, 0.3, &mut Rng::new(7), &mut y2, &mut slopes2).unwrap();
    assert_eq!(slopes, slopes2, "same seed, same slopes");
    let mut grad_in = vec![0.0; 1000];
    rrelu::backward(&slopes, &vec![3.0; 1000], &mut grad_in).unwrap();
    assert!(grad_in.iter().zip(&slopes).all(|(g, s)| *g == 3.0 * s));
    assert!(rrelu::forward_train(&x, 0.5, 0.1, &mut Rng::new(1), &mut y, &mut slopes).is_err());
}

#[test]
fn quick_gelu_is_x_times_sigmoid_of_1_702_x_with_its_limits() {
    let q = act("quick_gelu");
    assert_eq!(q.forward(0.0_f64), 0.0);
    assert!(same_f32(q.forward(-0.0_f32), -0.0));
    assert_eq!(q.forward(f32::INFINITY), f32::INFINITY);
    assert!(same_f32(q.forward(f32::NEG_INFINITY), -0.0));
    assert_eq!(q.derivative(0.0_f64), 0.5);
    assert_eq!(q.derivative(f64::INFINITY), 1.0);
    assert_eq!(q.derivative(f64::NEG_INFINITY), 0.0);
    assert!(q.derivative(f32::NAN).is_nan());
    // The definition at a few points: x·σ(1.702x), and SiLU's derivative at 1.702x.
    // This naive x·σ(1.702x) rounds 1.702x, which moves σ by up to |1.702x|·(1 - σ) ULPs in
    // the left tail; the definition carries that rounding error (the reference test checks
    // it against mpmath within 32 ULP), so the bound here allows for the naive side's error.
    for x in [-20.0_f64, -3.0, -0.75, 0.3, 2.0, 9.0] {
        let sigma = 1.0 / (1.0 + (-1.702 * x).exp());
        let naive_error = (1.702 * x).abs().ceil() as u64;
        let ulps = ulp_f64(q.forward(x), x * sigma);
        assert!(ulps <= 2 + naive_error, "quick_gelu({x}): {ulps} ULP");
        let sigma_of_minus = 1.0 / (1.0 + (1.702 * x).exp()); // 1 - σ, without cancellation
        let d = sigma * (1.0 + 1.702 * x * sigma_of_minus);
        assert!((q.derivative(x) - d).abs() <= 1e-15, "quick_gelu'({x})");
    }
    // The left tail stays a normal float, not 0 from an underflowing sigmoid.
    let tail = q.forward(-50.0_f32);
    assert!(tail.is_normal() && tail < 0.0, "quick_gelu(-50) = {tail:e}");
}

#[test]
fn relu_squared_is_the_square_above_zero_with_relus_kink() {
    let r = act("relu_squared");
    assert_eq!(r.forward(3.0_f32), 9.0);
    assert_eq!(r.forward(-3.0_f64), 0.0);
    assert!(same_f32(r.forward(-0.0_f32), 0.0));
    assert_eq!(r.forward(f32::MAX), f32::INFINITY);
    assert_eq!(r.forward(f64::NEG_INFINITY), 0.0);
    assert_eq!(r.derivative(3.0_f64), 6.0);
    assert_eq!(r.derivative(0.0_f32), 0.0);
    assert_eq!(r.derivative(-2.0_f32), 0.0);
    assert!(r.derivative(f64::NAN).is_nan());
    // The backward is ReLU's select after the square's: 0 where x <= 0, whatever the gradient.
    let mut grad_in = [1.0_f32; 3];
    r.backward(
        &[-1.0, 0.0, 2.0],
        &[f32::INFINITY, f32::NAN, 3.0],
        &mut grad_in,
    )
    .unwrap();
    assert_eq!(grad_in, [0.0, 0.0, 12.0]);
}
