//! One conformance suite, run unchanged against every kernel tier this processor has (forced one
//! by one with `kernels::with_tier`): each slice operation must give the scalar definitions'
//! results, bit for bit for the piecewise-linear functions and the backward from the output, and
//! within the stated ULP bounds for sigmoid and tanh. Lengths 0..=70 at offsets 0..=3 exercise the
//! tails and unaligned starts; guard elements around each output catch out-of-bounds writes.

use leaky::kernels::{self, Tier};
use leaky::{Activation, Float};
use proptest::prelude::*;

/// Forward of sigmoid and tanh in `f32`: within this many ULP of the scalar definition (which is
/// correctly rounded, so 2 ULP from the true value allows 2 here, rounded down).
const FORWARD_ULP: u64 = 2;
/// Backward of sigmoid and tanh in `f32` (`g·f'(x)`, two roundings on each side).
const BACKWARD_ULP: u64 = 4;
/// The other smooth kernels (GELU, SiLU, the ELU family, Softplus, LogSigmoid, Mish, Softsign,
/// Tanhshrink, QuickGELU, ReLU²):
/// 4 ULP from the true value, forward and derivative, so 4 from the rounded one; and the
/// backward's product with `g` one more.
const OTHER_FORWARD_ULP: u64 = 4;
const OTHER_BACKWARD_ULP: u64 = 6;

fn activations() -> Vec<Activation> {
    let mut acts: Vec<Activation> = [0.01, 0.0, 0.2, 1.5, -0.5]
        .into_iter()
        .map(|a| Activation::leaky_relu(a).unwrap())
        .collect();
    acts.extend([Activation::Relu, Activation::Sigmoid, Activation::Tanh]);
    acts.extend(other_smooth());
    acts
}

/// The smooth activations with `f32` kernels besides sigmoid and tanh (with parameters the
/// kernels take, and a Softplus threshold that is not an `f32`).
fn other_smooth() -> Vec<Activation> {
    [
        "gelu",
        "gelu:approximate=tanh",
        "silu",
        "elu",
        "elu:alpha=-0.3",
        "selu",
        "celu:alpha=0.7",
        "softplus:threshold=2.1",
        "softplus",
        "softplus:beta=2",
        "softplus:beta=0.05",
        "softplus:beta=10,threshold=3.7",
        "logsigmoid",
        "mish",
        "softsign",
        "tanhshrink",
        "quick_gelu",
        "relu_squared",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

fn is_smooth(a: &Activation) -> bool {
    !a.kind().is_piecewise_linear()
}

/// Distance in representable values; 0 for two NaNs; zeros of different sign are 1 apart.
fn ulp_distance<T: Float>(a: T, b: T) -> u64 {
    let (a, b) = (a.to_f64(), b.to_f64());
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    if a == 0.0 && b == 0.0 {
        return u64::from(a.is_sign_negative() != b.is_sign_negative());
    }
    let key = |v: f64| -> i128 {
        // Ordered integer keys in the type's own precision.
        if T::NAME == "f32" {
            let bits = (v as f32).to_bits() as i32;
            i128::from(if bits < 0 { i32::MIN - bits } else { bits })
        } else {
            let bits = v.to_bits() as i64;
            i128::from(if bits < 0 { i64::MIN - bits } else { bits })
        }
    };
    (key(a) - key(b)).unsigned_abs() as u64
}

/// The same value bit for bit (so -0 differs from +0); any NaN matches any NaN, since Rust (and
/// the hardware, when two NaNs meet) leave NaN payloads unspecified.
fn same_bits<T: Float>(a: T, b: T) -> bool {
    let (a, b) = (a.to_f64(), b.to_f64());
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Checks `got` against `want` for one operation: bitwise, or within `ulps` for smooth kernels.
///
/// With `scale`, a smooth backward `g·f'(x)` may also differ by `ulps` subnormal ULPs of `f'(x)`
/// times `|g|`: where the derivative itself is subnormal, its last bit is worth that much.
#[track_caller]
#[allow(clippy::too_many_arguments)]
fn check<T: Float>(
    what: &str,
    tier: Tier,
    act: &Activation,
    x: &[T],
    got: &[T],
    want: &[T],
    ulps: u64,
    scale: Option<&[T]>,
) {
    let tiny = if T::NAME == "f32" {
        f64::from(f32::from_bits(1))
    } else {
        f64::from_bits(1)
    };
    for i in 0..want.len() {
        let ok = if ulps == 0 {
            same_bits(got[i], want[i])
        } else {
            ulp_distance(got[i], want[i]) <= ulps
                || scale.is_some_and(|g| {
                    (got[i].to_f64() - want[i].to_f64()).abs()
                        <= g[i].to_f64().abs() * tiny * ulps as f64
                })
        };
        assert!(
            ok,
            "{what} {act} {} on {tier}, index {i} of {}: x = {:?}, got {:?}, want {:?} ({} ULP apart)",
            T::NAME,
            want.len(),
            x[i],
            got[i],
            want[i],
            ulp_distance(got[i], want[i])
        );
    }
}

fn scalar_results<T: Float>(act: &Activation, x: &[T], g: &[T]) -> [Vec<T>; 3] {
    kernels::with_tier(Tier::Scalar, || {
        let mut y = vec![T::ZERO; x.len()];
        act.forward_slice(x, &mut y).unwrap();
        let mut gi = vec![T::ZERO; x.len()];
        act.backward(x, g, &mut gi).unwrap();
        let mut gy = vec![T::ZERO; x.len()];
        if act.backward_from_output(&y, g, &mut gy).is_err() {
            gy.clear();
        }
        [y, gi, gy]
    })
    .unwrap()
}

/// Runs every operation on `tier` over `x` (placed at `offset` in a guarded buffer) and compares.
fn conform<T: Float>(tier: Tier, act: &Activation, x: &[T], g: &[T], offset: usize) {
    let n = x.len();
    let guard = T::from_f64(-7.25);
    let smooth = is_smooth(act) && T::NAME == "f32";
    let (fwd_ulp, bwd_ulp) = if !smooth {
        (0, 0)
    } else if matches!(act, Activation::Sigmoid | Activation::Tanh) {
        (FORWARD_ULP, BACKWARD_ULP)
    } else {
        (OTHER_FORWARD_ULP, OTHER_BACKWARD_ULP)
    };
    let [want_y, want_gi, want_gy] = scalar_results(act, x, g);
    let fresh = || vec![guard; n + offset + 5];
    let guarded = |buf: &[T]| {
        assert!(
            buf[..offset]
                .iter()
                .chain(&buf[offset + n..])
                .all(|&v| same_bits(v, guard)),
            "{act} on {tier}: wrote outside the slice (n = {n}, offset {offset})"
        );
    };
    kernels::with_tier(tier, || {
        let mut y = fresh();
        act.forward_slice(x, &mut y[offset..offset + n]).unwrap();
        guarded(&y);
        check(
            "forward",
            tier,
            act,
            x,
            &y[offset..offset + n],
            &want_y,
            fwd_ulp,
            None,
        );

        let mut inplace = fresh();
        inplace[offset..offset + n].copy_from_slice(x);
        act.forward_in_place(&mut inplace[offset..offset + n])
            .unwrap();
        guarded(&inplace);
        check(
            "in place",
            tier,
            act,
            x,
            &inplace[offset..offset + n],
            &want_y,
            fwd_ulp,
            None,
        );

        let mut gi = fresh();
        act.backward(x, g, &mut gi[offset..offset + n]).unwrap();
        guarded(&gi);
        check(
            "backward",
            tier,
            act,
            x,
            &gi[offset..offset + n],
            &want_gi,
            bwd_ulp,
            Some(g),
        );

        if act
            .backward_from_output(&want_y, g, &mut vec![T::ZERO; n])
            .is_ok()
        {
            // From the scalar outputs, so only the backward itself is compared (bitwise).
            let mut gy = fresh();
            act.backward_from_output(&want_y, g, &mut gy[offset..offset + n])
                .unwrap();
            guarded(&gy);
            check(
                "backward from output",
                tier,
                act,
                &want_y,
                &gy[offset..offset + n],
                &want_gy,
                0,
                None,
            );
        }
    })
    .unwrap();
}

/// Inputs that hit every edge: signed zeros, subnormals, infinities, NaNs with payloads, the
/// saturation and underflow thresholds of sigmoid and tanh, and ordinary values.
fn edge_inputs() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1e-30,
        -1e-30,
        1e-40,
        -1e-40,
        1e-310,
        -1e-310,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::from(f32::MIN_POSITIVE),
        f64::from(f32::MAX),
        f64::from(f32::MIN),
        3.0e38,
        -3.0e38,
        0.55,
        -0.55,
        0.549,
        0.551,
        9.0,
        9.1,
        -9.1,
        17.0,
        17.5,
        -17.0,
        -87.0,
        -87.5,
        -88.7,
        -89.0,
        -100.0,
        -103.0,
        -103.3,
        -103.9,
        -104.0,
        -105.0,
        -106.0,
        -120.0,
        44.0,
        -44.0,
        52.0,
        60.0,
        1e-4,
        -1e-4,
        2.0,
        -3.7,
        1e10,
        -1e10,
        // The roots of GELU' and SiLU', the ends of the GELU intervals and clamp, the tails
        // where results turn subnormal, the expm1 switch, Softplus's threshold, Softsign's 2^25.
        -0.751_791_5,
        -0.75,
        -1.278_464_5,
        -1.25,
        -2.0,
        4.0,
        -13.2,
        -14.0,
        -14.5,
        15.95,
        -16.5,
        -80.0,
        -80.5,
        -85.0,
        -std::f64::consts::LN_2,
        -0.7,
        20.0,
        20.5,
        33_554_432.0,
        -4e7,
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..40 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        v.push((state >> 11) as f64 / (1u64 << 53) as f64 * 24.0 - 12.0);
    }
    v
}

fn inputs<T: Float>(n: usize, shift: usize) -> (Vec<T>, Vec<T>) {
    let e = edge_inputs();
    let x: Vec<T> = (0..n)
        .map(|i| T::from_f64(e[(i * 7 + shift) % e.len()]))
        .collect();
    let g: Vec<T> = (0..n)
        .map(|i| {
            T::from_f64([1.0, -2.5, 0.0, f64::INFINITY, 3e-39, f64::NAN, 0.75][(i + shift) % 7])
        })
        .collect();
    (x, g)
}

fn all_lengths_and_offsets<T: Float>() {
    for tier in Tier::available() {
        for act in activations() {
            for n in 0..=70 {
                for offset in 0..=3 {
                    let (x, g) = inputs::<T>(n, n + offset);
                    conform(tier, &act, &x, &g, offset);
                }
            }
        }
    }
}

#[test]
fn every_tier_matches_the_scalar_definitions_f32() {
    all_lengths_and_offsets::<f32>();
}

#[test]
fn every_tier_matches_the_scalar_definitions_f64() {
    all_lengths_and_offsets::<f64>();
}

/// Long slices go through the threads: the pieces must join up exactly.
#[test]
fn threaded_slices_match_the_scalar_definitions() {
    let n = 300_007;
    for tier in Tier::available() {
        for act in activations() {
            let (x, g) = inputs::<f32>(n, 3);
            kernels::with_threads(3, || conform(tier, &act, &x, &g, 1));
            let (x, g) = inputs::<f64>(n, 5);
            kernels::with_threads(2, || conform(tier, &act, &x, &g, 2));
        }
    }
}

/// The edges the issue names: saturation, subnormal tails kept, NaN, signed zero.
#[test]
fn smooth_kernels_saturate_and_keep_subnormal_tails() {
    let x = [
        -100.0f32,
        -103.0,
        -104.5,
        17.0,
        17.5,
        100.0,
        9.5,
        -9.5,
        -0.0,
        f32::NAN,
        1e-40,
    ];
    for tier in Tier::available() {
        kernels::with_tier(tier, || {
            let mut y = [0.0f32; 11];
            Activation::Sigmoid.forward_slice(&x, &mut y).unwrap();
            assert!(
                (y[0] - 3.72e-44).abs() <= 3e-45,
                "{tier}: sigmoid(-100) = {:e}",
                y[0]
            );
            assert!(
                y[1] > 0.0 && y[1] < 1e-44,
                "{tier}: sigmoid(-103) = {:e}",
                y[1]
            );
            assert_eq!(y[2], 0.0, "{tier}");
            assert!(y[3] < 1.0 && y[4] == 1.0 && y[5] == 1.0, "{tier}: {y:?}");
            assert!(y[9].is_nan());
            Activation::Tanh.forward_slice(&x, &mut y).unwrap();
            assert_eq!((y[6], y[7]), (1.0, -1.0), "{tier}");
            assert!(
                y[8] == 0.0 && y[8].is_sign_negative(),
                "{tier}: tanh(-0) = {:e}",
                y[8]
            );
            assert!(y[9].is_nan());
            assert_eq!(y[10], 1e-40, "{tier}: tanh of a subnormal is itself");
        })
        .unwrap();
    }
}

/// The tails the issue names: GELU keeps its negative tail (PyTorch returns -0.0 below about -6),
/// Softplus and LogSigmoid do not overflow, and results that are subnormal stay so.
#[test]
fn other_smooth_kernels_keep_their_tails() {
    let x = [
        -10.0f32,
        -13.5,
        -100.0,
        1e30,
        -1e30,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let eval = |spec: &str| {
        let act: Activation = spec.parse().unwrap();
        let mut y = [0.0f32; 7];
        act.forward_slice(&x, &mut y).unwrap();
        y
    };
    for tier in Tier::available() {
        kernels::with_tier(tier, || {
            let gelu = eval("gelu");
            // gelu(-10) = -7.62e-23, gelu(-13.5) ≈ -1.1e-40 (subnormal).
            assert!(
                (gelu[0] / -7.619_853e-23 - 1.0).abs() < 1e-6,
                "{tier}: {gelu:?}"
            );
            assert!(
                gelu[1] < 0.0 && gelu[1] > -f32::MIN_POSITIVE,
                "{tier}: {gelu:?}"
            );
            assert_eq!((gelu[5], gelu[6]), (f32::INFINITY, 0.0), "{tier}");
            let softplus = eval("softplus:threshold=1e300");
            assert_eq!(softplus[3], 1e30, "{tier}");
            assert_eq!(softplus[4], 0.0, "{tier}");
            assert_eq!(softplus[5], f32::INFINITY, "{tier}");
            let log_sigmoid = eval("logsigmoid");
            assert_eq!((log_sigmoid[3], log_sigmoid[4]), (0.0, -1e30), "{tier}");
            // silu(-100) = -3.72e-42 and mish(-100) alike: subnormal, kept.
            for spec in ["silu", "mish"] {
                let y = eval(spec);
                assert!(
                    (y[2] / -3.72e-42 - 1.0).abs() < 1e-3,
                    "{tier} {spec}: {y:?}"
                );
            }
        })
        .unwrap();
    }
}

#[test]
fn every_tier_this_cpu_has_is_listed_and_forceable() {
    let available = Tier::available();
    assert_eq!(available.first(), Some(&Tier::Scalar));
    assert!(available.contains(&Tier::Portable));
    assert_eq!(Tier::best(), *available.last().unwrap());
    for tier in Tier::ALL {
        let forced = kernels::with_tier(tier, Tier::current);
        if tier.is_available() {
            assert_eq!(forced.unwrap().unwrap(), tier);
        } else {
            let err = forced.unwrap_err();
            assert!(matches!(err, leaky::Error::TierUnavailable { .. }), "{err}");
            assert!(err.to_string().contains(tier.name()));
        }
    }
    assert!("AVX-512".parse::<Tier>().is_ok_and(|t| t == Tier::Avx512));
    assert!("sse9".parse::<Tier>().is_err());
}

#[test]
fn zero_threads_is_an_error() {
    assert!(kernels::set_threads(Some(0)).is_err());
    assert_eq!(kernels::with_threads(3, kernels::threads).unwrap(), 3);
}

fn special_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        -20.0..20.0f32,
        -110.0..-80.0f32,
        -16.0..-4.0f32,
        prop::sample::select(vec![
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            1e-45,
            -1e-45
        ]),
    ]
}

fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        -40.0..40.0f64,
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            5e-324
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_f32_inputs_conform(
        act in prop::sample::select(activations()),
        x in prop::collection::vec(special_f32(), 0..300),
        g in prop::collection::vec(special_f32(), 300),
        offset in 0..4usize,
    ) {
        for tier in Tier::available() {
            conform(tier, &act, &x, &g[..x.len()], offset);
        }
    }

    #[test]
    fn random_f64_inputs_conform(
        act in prop::sample::select(activations()),
        x in prop::collection::vec(special_f64(), 0..300),
        g in prop::collection::vec(special_f64(), 300),
        offset in 0..4usize,
    ) {
        for tier in Tier::available() {
            conform(tier, &act, &x, &g[..x.len()], offset);
        }
    }
}

/// Inside a rayon pool, the default thread count is that pool's, and calls use that pool.
#[cfg(feature = "rayon")]
#[test]
fn calls_inside_a_rayon_pool_use_that_pool() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let x = vec![-1.5f32; 1 << 20];
    let mut y = vec![0.0f32; 1 << 20];
    pool.install(|| {
        assert_eq!(kernels::threads().unwrap(), 1);
        Activation::Sigmoid.forward_slice(&x, &mut y).unwrap();
    });
    assert!(y.iter().all(|&v| v == y[0] && v > 0.18 && v < 0.19));
}

/// Outputs past the streaming threshold (32 MiB) take the non-temporal store path.
#[test]
fn streamed_outputs_match_the_scalar_definitions() {
    let n = (8 << 20) + 37;
    let (x, g) = inputs::<f32>(n, 11);
    for tier in Tier::available().into_iter().filter(|&t| t != Tier::Scalar) {
        kernels::with_threads(2, || conform(tier, &Activation::DEFAULT, &x, &g, 3));
    }
}

/// Every kernel of every tier, forward, in place and backward, in both element types, on a thread
/// with 1 MiB of stack (half of what a spawned thread gets). An unoptimised build keeps all of a
/// function's locals in its frame: when every kernel was inlined into one function per tier, the
/// largest frame took 2.3 MB and this overflowed (which aborts the test binary); one kernel per
/// function takes at most about 0.5 MB.
#[test]
fn every_kernel_runs_on_a_small_stack() {
    fn run_all<T: Float>(act: &Activation) {
        let (x, g) = inputs::<T>(100, 0);
        let mut y = vec![T::ZERO; x.len()];
        act.forward_slice(&x, &mut y).unwrap();
        let mut in_place = x.clone();
        act.forward_in_place(&mut in_place).unwrap();
        assert!(
            y.iter().zip(&in_place).all(|(&a, &b)| same_bits(a, b)),
            "{act}"
        );
        let mut grad = vec![T::ZERO; x.len()];
        act.backward(&x, &g, &mut grad).unwrap();
        // Only some activations have a backward from the output; the others say so.
        let _ = act.backward_from_output(&y, &g, &mut grad);
    }
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for tier in Tier::available() {
                kernels::with_tier(tier, || {
                    for act in activations() {
                        run_all::<f32>(&act);
                        run_all::<f64>(&act);
                    }
                })
                .unwrap();
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
