//! The 16-bit storage types, `f16` and `bf16`, exhaustively: for every one of the 65,536 bit
//! patterns as input, every activation (defaults and other parameters), forward (out of place and
//! in place), backward from the input and from the output, on every tier this processor has, the
//! result is the `f32` slice operation's result on the widened input, rounded once to the 16-bit
//! type (`from_f32`, the `half` crate's rounding to nearest even). A NaN result must be a quiet
//! NaN; every NaN input must give NaN.

use leaky::half::{bf16, f16};
use leaky::kernels::{self, Tier};
use leaky::{Activation, Error, Kind, SliceElement};

/// What the tests need of a 16-bit type, from the `half` crate (not from leaky).
trait Half: SliceElement + PartialEq {
    /// The exponent all ones and the quiet bit: set in every quiet NaN.
    const QUIET_NAN: u16;
    fn from_bits(bits: u16) -> Self;
    fn to_bits(self) -> u16;
    fn to_f32(self) -> f32;
    fn from_f32(v: f32) -> Self;
}

impl Half for f16 {
    const QUIET_NAN: u16 = 0x7e00;
    fn from_bits(bits: u16) -> Self {
        f16::from_bits(bits)
    }
    fn to_bits(self) -> u16 {
        f16::to_bits(self)
    }
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
}

impl Half for bf16 {
    const QUIET_NAN: u16 = 0x7fc0;
    fn from_bits(bits: u16) -> Self {
        bf16::from_bits(bits)
    }
    fn to_bits(self) -> u16 {
        bf16::to_bits(self)
    }
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
    fn from_f32(v: f32) -> Self {
        bf16::from_f32(v)
    }
}

/// Every activation with its defaults, and each one with parameters with other values (LeakyReLU
/// with α = 0.5 halves the subnormals: ties for the rounding).
fn activations() -> Vec<Activation> {
    let mut acts: Vec<Activation> = Kind::ALL.iter().map(|k| k.default_activation()).collect();
    let others = [
        "leaky_relu:alpha=0.2",
        "leaky_relu:alpha=0.5",
        "prelu:weight=-0.3",
        "rrelu:lower=0.1,upper=0.3",
        "elu:alpha=0.5",
        "celu:alpha=0.7",
        "gelu:approximate=tanh",
        "softplus:beta=2,threshold=3.7",
        "hardtanh:min=-2,max=0.5",
        "softshrink:lambda=0.3",
        "hardshrink:lambda=0.3",
        "threshold:threshold=0.5,value=-2",
    ];
    acts.extend(others.iter().map(|s| s.parse::<Activation>().unwrap()));
    acts
}

/// The values widened to `f32` by the `half` crate.
fn widen<H: Half>(v: &[H]) -> Vec<f32> {
    v.iter().map(|h| h.to_f32()).collect()
}

/// Checks `got[i] == from_f32(want[i])` bit for bit, and a quiet NaN where `want[i]` is NaN.
fn assert_rounded<H: Half>(what: &str, inputs: &[H], want: &[f32], got: &[H]) {
    assert_eq!(want.len(), got.len());
    for (i, (&w, &g)) in want.iter().zip(got).enumerate() {
        let ok = if w.is_nan() {
            g.to_bits() & H::QUIET_NAN == H::QUIET_NAN
        } else {
            g.to_bits() == H::from_f32(w).to_bits()
        };
        assert!(
            ok,
            "{what} {}: input {:#06x} ({:e}): f32 gives {w:e}, rounded {:#06x}; got {:#06x} ({:e})",
            H::NAME,
            inputs[i].to_bits(),
            inputs[i].to_f32(),
            H::from_f32(w).to_bits(),
            g.to_bits(),
            g.to_f32()
        );
    }
}

/// The exhaustive check of one type on one tier.
fn check_every_input<H: Half>(tier: Tier) {
    let n = 1 << 16;
    let x: Vec<H> = (0..=u16::MAX).map(H::from_bits).collect();
    // Every bit pattern again, in another order (40503 is odd: a permutation), as the gradient.
    let g: Vec<H> = (0..=u16::MAX)
        .map(|i| H::from_bits(i.wrapping_mul(40503)))
        .collect();
    let (wide_x, wide_g) = (widen(&x), widen(&g));
    let mut want = vec![0.0f32; n];
    let mut got = vec![H::default(); n];
    for act in activations() {
        let what = |op: &str| format!("{tier} {act} {op}");

        act.forward_slice(&wide_x, &mut want).unwrap();
        act.forward_slice(&x, &mut got).unwrap();
        assert_rounded(&what("forward"), &x, &want, &got);
        for (h, y) in x.iter().zip(&got) {
            if h.to_f32().is_nan() {
                assert!(
                    y.to_f32().is_nan(),
                    "{}: NaN in, {y:?} out",
                    what("forward")
                );
            }
        }

        let mut in_place = x.clone();
        act.forward_in_place(&mut in_place).unwrap();
        assert_rounded(&what("in place"), &x, &want, &in_place);

        act.backward(&wide_x, &wide_g, &mut want).unwrap();
        act.backward(&x, &g, &mut got).unwrap();
        assert_rounded(&what("backward"), &x, &want, &got);

        // From the output, with every bit pattern as the output.
        match act.backward_from_output(&wide_x, &wide_g, &mut want) {
            Ok(()) => {
                act.backward_from_output(&x, &g, &mut got).unwrap();
                assert_rounded(&what("backward from the output"), &x, &want, &got);
            }
            Err(wide_err) => {
                let err = act.backward_from_output(&x, &g, &mut got).unwrap_err();
                assert_eq!(err.to_string(), wide_err.to_string());
            }
        }
    }
}

fn on_every_tier(check: fn(Tier)) {
    for tier in Tier::available() {
        kernels::with_tier(tier, || check(tier)).unwrap();
    }
}

#[test]
fn every_f16_result_is_the_f32_result_rounded() {
    on_every_tier(check_every_input::<f16>);
}

#[test]
fn every_bf16_result_is_the_f32_result_rounded() {
    on_every_tier(check_every_input::<bf16>);
}

/// Short and odd lengths at unaligned starts, and lengths across the 1,024-element blocks: the
/// same rounded results, and nothing written outside the output (guards on either side).
fn check_lengths<H: Half>(tier: Tier) {
    const GUARD: usize = 3;
    let acts = ["leaky_relu:alpha=0.2", "sigmoid", "gelu", "hardswish"];
    for act in acts.map(|s| s.parse::<Activation>().unwrap()) {
        for len in [0, 1, 7, 8, 15, 16, 17, 31, 33, 1023, 1024, 1025, 2049, 5000] {
            for offset in 0..3 {
                // A spread of bit patterns: the golden-ratio multiple of i.
                let pattern = |i: usize, salt: usize| {
                    H::from_bits((((i + salt) as u32).wrapping_mul(2_654_435_761) >> 16) as u16)
                };
                let x: Vec<H> = (0..len).map(|i| pattern(i, 0)).collect();
                let g: Vec<H> = (0..len).map(|i| pattern(i, 77)).collect();
                let (wide_x, wide_g) = (widen(&x), widen(&g));
                let guard = H::from_f32(-7.5);
                let mut buf = vec![guard; offset + len + GUARD];
                let mut want = vec![0.0f32; len];
                let what = format!("{tier} {act} len {len} offset {offset}");

                act.forward_slice(&wide_x, &mut want).unwrap();
                act.forward_slice(&x, &mut buf[offset..offset + len])
                    .unwrap();
                assert_rounded(&what, &x, &want, &buf[offset..offset + len]);
                assert!(
                    buf[..offset]
                        .iter()
                        .chain(&buf[offset + len..])
                        .all(|&v| v == guard)
                );

                buf[offset..offset + len].copy_from_slice(&x);
                act.forward_in_place(&mut buf[offset..offset + len])
                    .unwrap();
                assert_rounded(&what, &x, &want, &buf[offset..offset + len]);
                assert!(
                    buf[..offset]
                        .iter()
                        .chain(&buf[offset + len..])
                        .all(|&v| v == guard)
                );

                act.backward(&wide_x, &wide_g, &mut want).unwrap();
                act.backward(&x, &g, &mut buf[offset..offset + len])
                    .unwrap();
                assert_rounded(&what, &x, &want, &buf[offset..offset + len]);
                assert!(
                    buf[..offset]
                        .iter()
                        .chain(&buf[offset + len..])
                        .all(|&v| v == guard)
                );
            }
        }
    }
}

#[test]
fn every_length_and_offset_rounds_and_stays_in_bounds() {
    on_every_tier(check_lengths::<f16>);
    on_every_tier(check_lengths::<bf16>);
}

/// Bad input gives the errors of `f32`, and writes nothing.
fn check_errors<H: Half>() {
    let x = [H::from_f32(1.0); 4];
    let mut short = [H::from_f32(9.0); 3];
    let act = Activation::DEFAULT;
    assert!(matches!(
        act.forward_slice(&x, &mut short),
        Err(Error::LengthMismatch {
            expected: 4,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        act.backward(&x, &x[..3], &mut [H::default(); 4]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(short.iter().all(|v| v.to_f32() == 9.0));
    let invalid = Activation::LeakyRelu { alpha: f64::NAN };
    assert!(matches!(
        invalid.forward_in_place(&mut short),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(short.iter().all(|v| v.to_f32() == 9.0));
    let mut out = [H::from_f32(9.0); 4];
    let gelu: Activation = "gelu".parse().unwrap();
    assert!(matches!(
        gelu.backward_from_output(&x, &x, &mut out),
        Err(Error::Unsupported { .. })
    ));
    assert!(out.iter().all(|v| v.to_f32() == 9.0));
}

#[test]
fn bad_input_is_an_error_as_in_f32() {
    check_errors::<f16>();
    check_errors::<bf16>();
}
