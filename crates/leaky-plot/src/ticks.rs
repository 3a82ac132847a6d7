//! Axis limits, tick positions and tick labels, following matplotlib's defaults: 5% data margins,
//! `MaxNLocator` with steps 1, 2, 2.5, 5 × 10^k, and `ScalarFormatter` labels with the fewest
//! decimals that tell the ticks apart and a real minus sign.

/// The fraction of the data range added on each side, as matplotlib's `axes.xmargin`.
pub const MARGIN: f64 = 0.05;

/// The view interval for data spanning `lo..=hi`: widened when empty (as matplotlib's
/// `nonsingular`), then by `margin` of the range on each side, except that a margin does not cross
/// `sticky` (0 for bars, so they stand on the axis). `None` when the result is not finite.
pub fn view_limits(lo: f64, hi: f64, margin: f64, sticky: Option<f64>) -> Option<(f64, f64)> {
    let (lo, hi) = nonsingular(lo, hi);
    let pad = (hi - lo) * margin;
    let (mut view_lo, mut view_hi) = (lo - pad, hi + pad);
    if let Some(s) = sticky {
        if view_lo < s && s <= lo {
            view_lo = s;
        }
        if hi <= s && s < view_hi {
            view_hi = s;
        }
    }
    (view_lo.is_finite() && view_hi.is_finite() && (view_hi - view_lo).is_finite())
        .then_some((view_lo, view_hi))
}

/// Widens a zero-width interval by 5% of its value each way, or to ±0.05 around zero.
fn nonsingular(lo: f64, hi: f64) -> (f64, f64) {
    const EXPANDER: f64 = 0.05;
    let max_abs = lo.abs().max(hi.abs());
    if max_abs < 1e6 / 1e-15 * f64::MIN_POSITIVE {
        (-EXPANDER, EXPANDER)
    } else if hi - lo <= max_abs * 1e-15 {
        (lo - EXPANDER * lo.abs(), hi + EXPANDER * hi.abs())
    } else {
        (lo, hi)
    }
}

/// The most intervals between ticks on an axis `length_pt` points long, as matplotlib's
/// `get_tick_space`: a tick label needs 3 font sizes across (x) or 2 (y); never more than 9.
pub fn max_bins(length_pt: f64, font_size_pt: f64, horizontal: bool) -> usize {
    let per_tick = font_size_pt * if horizontal { 3.0 } else { 2.0 };
    ((length_pt / per_tick).floor() as usize).clamp(1, 9)
}

/// Round tick positions inside `lo..=hi`: the largest step of the form {1, 2, 2.5, 5} × 10^k
/// that gives at most `bins` intervals, made smaller if fewer than two ticks would show.
pub fn ticks(lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    const STEPS: [f64; 10] = [0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0];
    let span = hi - lo;
    let mean = (lo + hi) / 2.0;
    // Far from zero, work relative to a power of ten near the values to keep precision.
    let offset = if mean.abs() / span < 100.0 {
        0.0
    } else {
        10_f64.powf(mean.abs().log10().floor()).copysign(mean)
    };
    let scale = 10_f64.powf((span / bins as f64).log10().floor());
    let (lo_rel, hi_rel) = (lo - offset, hi - offset);
    let raw_step = span / bins as f64;
    let first_large = STEPS
        .iter()
        .position(|&s| s * scale >= raw_step)
        .unwrap_or(STEPS.len() - 1);
    let mut chosen = Vec::new();
    for &step in STEPS[..=first_large].iter().rev() {
        let step = step * scale;
        let base = (lo_rel / step).floor() * step;
        let tol = edge_tolerance(step, offset);
        let low = multiples_below(lo_rel - base, step, tol);
        let high = multiples_above(hi_rel - base, step, tol);
        chosen = (low as i64..=high as i64)
            .map(|k| k as f64 * step + base + offset)
            .collect();
        let visible = chosen.iter().filter(|&&t| lo <= t && t <= hi).count();
        if visible >= 2 {
            break;
        }
    }
    let slack = 1e-10 * span;
    chosen.retain(|&t| lo - slack <= t && t <= hi + slack);
    chosen
}

/// `ticks` if they are all whole numbers, else every whole number inside `lo..=hi` (fractional
/// ticks come from a step under 1, so there are at most as many as there were ticks, plus one).
pub fn whole(ticks: Vec<f64>, lo: f64, hi: f64) -> Vec<f64> {
    if ticks.iter().all(|t| t.fract() == 0.0) {
        return ticks;
    }
    let (first, last) = (lo.ceil(), hi.floor());
    if first > last {
        return Vec::new();
    }
    (0..=(last - first) as u64)
        .map(|k| first + k as f64)
        .collect()
}

/// How close to a whole number of steps counts as on it: more slack when the offset is large.
fn edge_tolerance(step: f64, offset: f64) -> f64 {
    if offset == 0.0 {
        1e-10
    } else {
        let digits = (offset.abs() / step).log10();
        10_f64.powf(digits - 12.0).clamp(1e-10, 0.4999)
    }
}

/// The largest n with n·step ≤ x, up to the tolerance.
fn multiples_below(x: f64, step: f64, tol: f64) -> f64 {
    let rem = x.rem_euclid(step);
    let n = ((x - rem) / step).round();
    if (rem / step - 1.0).abs() < tol {
        n + 1.0
    } else {
        n
    }
}

/// The smallest n with n·step ≥ x, up to the tolerance.
fn multiples_above(x: f64, step: f64, tol: f64) -> f64 {
    let rem = x.rem_euclid(step);
    let n = ((x - rem) / step).round();
    if (rem / step).abs() < tol { n } else { n + 1.0 }
}

/// Tick labels for an axis, and the power of ten they are in units of (as "1e6"), if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Labels {
    /// One label per tick.
    pub text: Vec<String>,
    /// The multiplier written at the end of the axis when ticks are tiny or huge.
    pub multiplier: Option<String>,
}

/// Labels for `ticks` with a shared number of decimals, as matplotlib's `ScalarFormatter`. When
/// the largest tick is 10^6 or more or below 10^-4, the labels are in units of its power of ten
/// if that makes them shorter. `view` is the axis' interval, used to choose the decimals when
/// there are fewer than two ticks.
pub fn labels(ticks: &[f64], view: (f64, f64)) -> Labels {
    let largest = ticks.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
    let magnitude = if largest == 0.0 {
        0
    } else {
        largest.log10().floor() as i32
    };
    let plain = labels_in_units_of(ticks, view, 0);
    if magnitude > -5 && magnitude < 6 {
        return plain;
    }
    let scaled = labels_in_units_of(ticks, view, magnitude);
    let longest = |l: &Labels| l.text.iter().map(|t| t.chars().count()).max();
    if longest(&scaled) < longest(&plain) {
        scaled
    } else {
        plain
    }
}

/// Labels for `ticks` written in units of 10^`power`.
fn labels_in_units_of(ticks: &[f64], view: (f64, f64), power: i32) -> Labels {
    let unit = 10_f64.powi(power);
    let scaled: Vec<f64> = ticks.iter().map(|t| t / unit).collect();
    let decimals = if scaled.len() >= 2 {
        decimals(&scaled, &scaled)
    } else {
        let ends = [view.0 / unit, view.1 / unit];
        let all: Vec<f64> = scaled.iter().chain(&ends).copied().collect();
        decimals(&all, &scaled)
    };
    Labels {
        text: scaled
            .iter()
            .map(|&v| {
                let v = if v.abs() < 1e-8 { 0.0 } else { v };
                with_minus_sign(format!("{v:.decimals$}"))
            })
            .collect(),
        multiplier: (power != 0).then(|| with_minus_sign(format!("1e{power}"))),
    }
}

/// The fewest decimals (at most 3 beyond the range's magnitude) that write every value of
/// `values` exactly to 1/1000 of the range spanned by `span_of`.
fn decimals(span_of: &[f64], values: &[f64]) -> usize {
    let (min, max) = span_of
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let mut range = max - min;
    if range == 0.0 {
        range = min.abs().max(max.abs());
    }
    if range == 0.0 {
        range = 1.0;
    }
    let range_magnitude = range.log10().floor() as i32;
    let threshold = 1e-3 * 10_f64.powi(range_magnitude);
    let mut digits = (3 - range_magnitude).max(0);
    while digits >= 0 {
        let p = 10_f64.powi(digits);
        let worst = values
            .iter()
            .map(|v| (v - (v * p).round_ties_even() / p).abs())
            .fold(0.0, f64::max);
        if worst < threshold {
            digits -= 1;
        } else {
            break;
        }
    }
    (digits + 1) as usize
}

/// `s` with ASCII hyphen-minus replaced by U+2212 MINUS SIGN, as typeset.
pub fn with_minus_sign(s: String) -> String {
    if s.contains('-') {
        s.replace('-', "\u{2212}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(lo: f64, hi: f64, bins: usize) -> Vec<String> {
        let t = ticks(lo, hi, bins);
        labels(&t, (lo, hi)).text
    }

    #[test]
    fn the_article_axes_get_matplotlib_ticks() {
        // x in [-2, 2] and y = leaky_relu(x) in [-0.02, 2], both with 5% margins.
        let (x0, x1) = view_limits(-2.0, 2.0, MARGIN, None).unwrap();
        assert_eq!(
            labelled(x0, x1, 9),
            [
                "−2.0", "−1.5", "−1.0", "−0.5", "0.0", "0.5", "1.0", "1.5", "2.0"
            ]
        );
        let (y0, y1) = view_limits(-0.02, 2.0, MARGIN, None).unwrap();
        assert_eq!(
            labelled(y0, y1, 9),
            [
                "0.00", "0.25", "0.50", "0.75", "1.00", "1.25", "1.50", "1.75", "2.00"
            ]
        );
    }

    #[test]
    fn whole_ticks_skip_fractions() {
        // Two epochs, with 5% margins: 1.0, 1.2, ..., 2.0 become 1 and 2.
        let (lo, hi) = view_limits(1.0, 2.0, MARGIN, None).unwrap();
        assert_eq!(whole(ticks(lo, hi, 9), lo, hi), [1.0, 2.0]);
        // Already whole: unchanged.
        assert_eq!(
            whole(ticks(0.0, 10.0, 9), 0.0, 10.0),
            [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        // No whole number inside: no ticks.
        assert!(whole(ticks(1.1, 1.9, 9), 1.1, 1.9).is_empty());
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(ticks(0.0, 10.0, 9), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(
            labelled(0.0, 100.0, 5),
            ["0", "20", "40", "60", "80", "100"]
        );
        assert_eq!(
            labelled(-1.0, 1.0, 9),
            [
                "−1.00", "−0.75", "−0.50", "−0.25", "0.00", "0.25", "0.50", "0.75", "1.00"
            ]
        );
        assert_eq!(
            labelled(0.5, 20.5, 9),
            ["2.5", "5.0", "7.5", "10.0", "12.5", "15.0", "17.5", "20.0"]
        );
    }

    #[test]
    fn far_from_zero_ticks_stay_exact() {
        let expected: Vec<String> = (1..=9).map(|i| format!("1000.{i}")).collect();
        assert_eq!(labelled(1000.1, 1000.9, 9), expected);
        assert_eq!(
            labelled(1e9 + 0.5, 1e9 + 5.5, 9),
            [
                "1000000001",
                "1000000002",
                "1000000003",
                "1000000004",
                "1000000005"
            ]
        );
    }

    #[test]
    fn huge_and_tiny_values_get_a_multiplier() {
        let t = ticks(0.0, 3e6, 9);
        let l = labels(&t, (0.0, 3e6));
        assert_eq!(l.text, ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"]);
        assert_eq!(l.multiplier.as_deref(), Some("1e6"));
        let l = labels(&ticks(0.0, 4e-5, 9), (0.0, 4e-5));
        assert_eq!(l.multiplier.as_deref(), Some("1e−5"));
        assert_eq!(l.text.last().map(String::as_str), Some("4.0"));
    }

    #[test]
    fn constant_data_gets_a_sensible_range() {
        let (lo, hi) = view_limits(1.0, 1.0, MARGIN, None).unwrap();
        assert!((lo - 0.945).abs() < 1e-12 && (hi - 1.055).abs() < 1e-12);
        assert_eq!(view_limits(0.0, 0.0, 0.0, None), Some((-0.05, 0.05)));
        assert_eq!(
            labelled(lo, hi, 9),
            ["0.96", "0.98", "1.00", "1.02", "1.04"]
        );
    }

    #[test]
    fn bars_stand_on_zero() {
        assert_eq!(view_limits(0.0, 10.0, MARGIN, Some(0.0)), Some((0.0, 10.5)));
        assert_eq!(
            view_limits(-10.0, 0.0, MARGIN, Some(0.0)),
            Some((-10.5, 0.0))
        );
        assert_eq!(view_limits(1.0, 11.0, MARGIN, Some(0.0)), Some((0.5, 11.5)));
    }

    #[test]
    fn overflowing_ranges_are_refused() {
        assert_eq!(view_limits(-f64::MAX, f64::MAX, MARGIN, None), None);
    }

    #[test]
    fn negative_zero_is_written_as_zero() {
        assert_eq!(labels(&[-1e-12, 1.0], (0.0, 1.0)).text, ["0", "1"]);
    }

    #[test]
    fn bins_follow_axis_length() {
        assert_eq!(max_bins(357.0, 10.0, true), 9);
        assert_eq!(max_bins(100.0, 10.0, true), 3);
        assert_eq!(max_bins(10.0, 10.0, false), 1);
    }
}
