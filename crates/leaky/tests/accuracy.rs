//! The sampled accuracy sweep on every tier: sigmoid and tanh in `f32` hold their stated bounds
//! against the definitions evaluated in `f64` (the exhaustive figures are in `docs/kernels.md`).

use leaky::Activation;
use leaky::accuracy::{Direction, Inputs, sweep_f32};
use leaky::kernels::{self, Tier};

/// The stated bounds, in ULP of the correctly rounded result.
const FORWARD_BOUND: f64 = 2.0;
const DERIVATIVE_BOUND: f64 = 3.0;

#[test]
fn sampled_sweep_holds_the_bounds_on_every_tier() {
    for tier in Tier::available() {
        for act in [Activation::Sigmoid, Activation::Tanh] {
            for (direction, bound) in [
                (Direction::Forward, FORWARD_BOUND),
                (Direction::Derivative, DERIVATIVE_BOUND),
            ] {
                let report = kernels::with_tier(tier, || {
                    sweep_f32(&act, direction, Inputs::Sample(1 << 20))
                })
                .unwrap()
                .unwrap();
                assert_eq!(report.tier, tier);
                assert!(report.inputs > 1 << 20);
                assert!(report.max_ulp <= bound, "{report}");
                if tier == Tier::Scalar {
                    // The scalar definitions round the f64 formula once.
                    assert!(report.max_ulp <= 0.5 + 1e-6, "{report}");
                }
            }
        }
    }
}

/// The other smooth kernels: forward within 4 ULP, derivative within 4 (the exhaustive maxima,
/// in `docs/kernels.md`, are 3.72 and 3.47); a smaller sample, to keep the suite quick.
#[test]
fn other_smooth_kernels_hold_4_ulp_on_every_tier() {
    for tier in Tier::available() {
        for spec in [
            "gelu",
            "gelu:approximate=tanh",
            "silu",
            "elu",
            "selu",
            "celu:alpha=0.7",
            "softplus",
            "softplus:beta=2",
            "softplus:beta=0.3",
            "softplus:beta=0.001",
            "softplus:beta=1000",
            "logsigmoid",
            "mish",
            "softsign",
            "tanhshrink",
            "quick_gelu",
        ] {
            let act: Activation = spec.parse().unwrap();
            for direction in [Direction::Forward, Direction::Derivative] {
                let report = kernels::with_tier(tier, || {
                    sweep_f32(&act, direction, Inputs::Sample(1 << 17))
                })
                .unwrap()
                .unwrap();
                let bound = match direction {
                    Direction::Forward => 4.0,
                    Direction::Derivative => 4.0,
                };
                assert!(report.max_ulp <= bound, "{report}");
            }
        }
    }
}

#[test]
fn piecewise_linear_kernels_are_correctly_rounded_on_a_sample() {
    // With α = 0.5 (exact in f32), every result must be the reference correctly rounded (α·x
    // is exact but in the subnormals, where it rounds).
    for tier in Tier::available() {
        for act in [Activation::leaky_relu(0.5).unwrap(), Activation::Relu] {
            let report = kernels::with_tier(tier, || {
                sweep_f32(&act, Direction::Forward, Inputs::Sample(1 << 18))
            })
            .unwrap()
            .unwrap();
            assert!(report.max_ulp <= 0.5, "{report}");
            assert_eq!(report.not_correctly_rounded, 0, "{report}");
        }
    }
}

#[test]
fn relu_squared_kernel_is_correctly_rounded_on_a_sample() {
    // x·x rounds once, as the definition does; the derivative 2x is exact.
    for tier in Tier::available() {
        for direction in [Direction::Forward, Direction::Derivative] {
            let report = kernels::with_tier(tier, || {
                sweep_f32(&Activation::ReluSquared, direction, Inputs::Sample(1 << 18))
            })
            .unwrap()
            .unwrap();
            assert!(report.max_ulp <= 0.5, "{report}");
            assert_eq!(report.not_correctly_rounded, 0, "{report}");
        }
    }
}
