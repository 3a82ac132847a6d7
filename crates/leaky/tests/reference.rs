//! Agreement with PyTorch and with the true values: `reference/torch_reference.csv`, made by
//! `reference/make_reference.py`, for every activation, forward and derivative, f32 and f64.
//!
//! - Piecewise-linear functions match PyTorch bit for bit, except the sign of a zero result,
//!   which PyTorch does not fix (its vectorised and scalar loops differ).
//! - Smooth functions are held to the true value (mpmath, 60 digits, rounded to the dtype):
//!   within [`F32_ULP`] in f32 and [`F64_ULP`] in f64, forward and derivative. Against PyTorch
//!   they must agree within 4 ULP, or else be within our bound of the truth, or closer to it
//!   than PyTorch is (its GELU cancels in the negative tail, its sigmoid flushes to 0 below
//!   -88.7 in f32).
//! - PyTorch's f64 Hardsigmoid backward multiplies by 1/6 rounded to f32 (0.16666667163…);
//!   ours uses 1/6 in f64.
//! - One deliberate difference: where PyTorch's formula gives NaN at x = ±inf (GELU, SiLU, Mish,
//!   Softsign, Hardswish: `inf·0` or `inf/inf`), ours gives the limit, checked in
//!   `definitions.rs`. And where PyTorch's Hardswish overflows (`x·6` for finite x > MAX/6 gives
//!   inf), ours is x, the true value.

mod common;

use common::{same_f32, same_f64, ulp_f32, ulp_f64};
use leaky::{Activation, Kind};

const TABLE: &str = include_str!("reference/torch_reference.csv");
/// The bound for f32 results: the f64 definition rounded once.
const F32_ULP: u64 = 1;
/// The bound for f64 results.
/// The bound for f64 results where the true result is a normal number, outside the
/// ill-conditioned tail of GELU's tanh form (x < -5, where the cubic's rounding error is
/// magnified by 2|u|, up to 1000 at x = -20). The worst case is Tanhshrink just past its series
/// (x ≈ 0.6). Derivatives near their zeros (GELU at x ≈ -0.75, SiLU -1.28, Mish -1.19) add
/// terms of about 0.3 that cancel, so there the bound is an absolute error of [`F64_ABS`].
const F64_ULP: u64 = 32;
/// The absolute error allowed for f64 derivatives: half an ULP of 1.
const F64_ABS: f64 = f64::EPSILON / 2.0;

struct Row<'a> {
    spec: &'a str,
    dtype: &'a str,
    x: u64,
    y: u64,
    dy: u64,
    truth: Option<(u64, u64)>,
}

fn rows() -> impl Iterator<Item = Row<'static>> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("spec,"))
        .map(|line| {
            // The spec may hold commas itself: the six other fields are taken from the right.
            let mut f: Vec<&str> = line.rsplitn(7, ',').collect();
            f.reverse();
            assert_eq!(f.len(), 7, "bad row: {line}");
            let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
            Row {
                spec: f[0],
                dtype: f[1],
                x: hex(f[2]),
                y: hex(f[3]),
                dy: hex(f[4]),
                truth: (!f[5].is_empty()).then(|| (hex(f[5]), hex(f[6]))),
            }
        })
}

/// PyTorch's NaN at an infinite input, where ours is the limit (see the module docs).
/// (At a huge finite x too: PyTorch's `x³` in GELU's tanh form overflows to inf there.)
fn limit_where_pytorch_is_nan(x: f64, ours: f64, pytorch: f64) -> bool {
    (x.is_infinite() || x.abs() > 1e30) && pytorch.is_nan() && !ours.is_nan()
}

/// PyTorch's inf for a finite Hardswish input above MAX/6, where ours is x itself (see the module
/// docs).
fn x_where_pytorch_hardswish_overflows(act: &Activation, x: f64, ours: f64, pytorch: f64) -> bool {
    *act == Activation::Hardswish && x.is_finite() && pytorch.is_infinite() && ours == x
}

/// One dtype's view of the checks, so that f32 and f64 rows share them.
trait Dtype: Copy + Into<f64> + std::fmt::LowerExp {
    const NAME: &'static str;
    const BOUND: u64;
    const MIN_NORMAL: f64;
    fn from_hex(bits: u64) -> Self;
    fn ulp(a: Self, b: Self) -> u64;
    fn same(a: Self, b: Self) -> bool;
    fn forward(a: &Activation, x: Self) -> Self;
    fn derivative(a: &Activation, x: Self) -> Self;
}

impl Dtype for f32 {
    const NAME: &'static str = "f32";
    const BOUND: u64 = F32_ULP;
    const MIN_NORMAL: f64 = f32::MIN_POSITIVE as f64;
    fn from_hex(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn ulp(a: Self, b: Self) -> u64 {
        ulp_f32(a, b)
    }
    fn same(a: Self, b: Self) -> bool {
        same_f32(a, b)
    }
    fn forward(a: &Activation, x: Self) -> Self {
        a.forward(x)
    }
    fn derivative(a: &Activation, x: Self) -> Self {
        a.derivative(x)
    }
}

impl Dtype for f64 {
    const NAME: &'static str = "f64";
    const BOUND: u64 = F64_ULP;
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    fn from_hex(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn ulp(a: Self, b: Self) -> u64 {
        ulp_f64(a, b)
    }
    fn same(a: Self, b: Self) -> bool {
        same_f64(a, b)
    }
    fn forward(a: &Activation, x: Self) -> Self {
        a.forward(x)
    }
    fn derivative(a: &Activation, x: Self) -> Self {
        a.derivative(x)
    }
}

/// Checks every row of one dtype; returns how many were checked. Errors against the truth are
/// gathered per function and reported together, worst first, so a failure shows the whole table.
fn check_rows<T: Dtype>() -> usize {
    let mut checked = 0;
    let mut worst: Vec<(String, u64, String)> = Vec::new();
    for row in rows().filter(|r| r.dtype == T::NAME) {
        let act: Activation = row.spec.parse().unwrap();
        let x = T::from_hex(row.x);
        let ours = [("f", T::forward(&act, x)), ("f'", T::derivative(&act, x))];
        let pytorch = [T::from_hex(row.y), T::from_hex(row.dy)];
        let truth = row.truth.map(|(y, dy)| [T::from_hex(y), T::from_hex(dy)]);
        for i in 0..2 {
            let ((what, v), p) = (ours[i], pytorch[i]);
            let at = format!("{} {what}({x:e}) = {v:e}", row.spec);
            if limit_where_pytorch_is_nan(x.into(), v.into(), p.into())
                || (what == "f"
                    && x_where_pytorch_hardswish_overflows(&act, x.into(), v.into(), p.into()))
            {
                continue;
            }
            let pytorch_sixth_in_f32 = act == Activation::Hardsigmoid
                && what == "f'"
                && p.into() == f64::from(1.0_f32 / 6.0)
                && v.into() == 1.0 / 6.0;
            if pytorch_sixth_in_f32 {
                continue;
            }
            if act.kind().is_piecewise_linear() {
                // PyTorch does not fix the sign of a zero result: its vector and scalar loops
                // differ (softshrink(-0.01) is -0 in one, +0 in the other).
                let both_zero = v.into() == 0.0 && p.into() == 0.0;
                assert!(T::same(v, p) || both_zero, "{at}, PyTorch {p:e}");
            } else if let Some(truth) = truth {
                let t = truth[i];
                let key = format!("{} {what}", row.spec);
                let ill_conditioned = matches!(
                    act,
                    Activation::Gelu {
                        approximate: leaky::GeluApproximation::Tanh
                    }
                ) && x.into() < -5.0;
                let subnormal = t.into() != 0.0 && t.into().abs() < T::MIN_NORMAL;
                if T::NAME == "f64" && (ill_conditioned || subnormal) {
                    continue; // outside the f64 bound (see F64_ULP)
                }
                let absolute_ok =
                    T::NAME == "f64" && what == "f'" && (v.into() - t.into()).abs() <= F64_ABS;
                let ulp = if absolute_ok { 0 } else { T::ulp(v, t) };
                match worst.iter_mut().find(|w| w.0 == key) {
                    Some(w) if w.1 >= ulp => {}
                    Some(w) => *w = (key, ulp, format!("{at}, true {t:e}")),
                    None => worst.push((key, ulp, format!("{at}, true {t:e}"))),
                }
                let agrees = T::ulp(v, p) <= 4 || ulp <= T::ulp(p, t).max(T::BOUND);
                assert!(agrees, "{at}, PyTorch {p:e}, true {t:e}");
            } else {
                // Non-finite or huge inputs: the same value as PyTorch, or within 4 ULP.
                assert!(T::ulp(v, p) <= 4, "{at}, PyTorch {p:e}");
            }
        }
        checked += 1;
    }
    worst.sort_by_key(|w| std::cmp::Reverse(w.1));
    let table: Vec<String> = worst
        .iter()
        .map(|w| format!("{:>6} ULP  {}", w.1, w.2))
        .collect();
    println!(
        "{} max ULP against the truth:\n{}",
        T::NAME,
        table.join("\n")
    );
    assert!(
        worst[0].1 <= T::BOUND,
        "{} bound is {} ULP:\n{}",
        T::NAME,
        T::BOUND,
        table.join("\n")
    );
    checked
}

#[test]
fn table_covers_every_activation_and_both_dtypes() {
    for kind in Kind::ALL {
        for dtype in ["f32", "f64"] {
            let n = rows()
                .filter(|r| r.dtype == dtype)
                .filter(|r| r.spec.parse::<Activation>().unwrap().kind() == *kind)
                .count();
            assert!(n >= 400, "{kind:?} {dtype}: only {n} reference rows");
        }
    }
}

#[test]
fn f32_agrees_with_pytorch_and_the_truth() {
    assert!(check_rows::<f32>() > 10_000);
}

#[test]
fn f64_agrees_with_pytorch_and_the_truth() {
    assert!(check_rows::<f64>() > 10_000);
}
