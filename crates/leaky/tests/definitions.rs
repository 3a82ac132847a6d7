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
