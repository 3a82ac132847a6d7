//! Evenly spaced inputs, `--from A --to B --points N`, checked once at the edge.

use crate::ShowError;

/// The most points any command accepts: more is almost certainly a typo.
pub const MAX_POINTS: usize = 10_000_000;

/// `points` values from `from` to `to` inclusive, as numpy's `linspace` computes them
/// (`from + i·step`, with the last one exactly `to`), so the article's inputs match numpy bit for bit.
pub fn linspace(from: f64, to: f64, points: usize) -> Result<Vec<f64>, ShowError> {
    if !from.is_finite() || !to.is_finite() {
        return Err(ShowError(format!(
            "--from and --to must be finite numbers, got {from} and {to}"
        )));
    }
    if from >= to {
        return Err(ShowError(format!(
            "--from ({from}) must be less than --to ({to})"
        )));
    }
    if points < 2 {
        return Err(ShowError(format!(
            "--points must be at least 2, got {points}"
        )));
    }
    if points > MAX_POINTS {
        return Err(ShowError(format!(
            "--points must be at most {MAX_POINTS}, got {points}"
        )));
    }
    let step = (to - from) / (points - 1) as f64;
    let mut xs: Vec<f64> = (0..points).map(|i| i as f64 * step + from).collect();
    xs[points - 1] = to;
    Ok(xs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_endpoints_and_step() {
        let xs = linspace(-2.0, 2.0, 100).unwrap();
        assert_eq!(xs.len(), 100);
        assert_eq!(xs[0], -2.0);
        assert_eq!(xs[99], 2.0);
        // numpy.linspace(-2, 2, 100)[1] == -1.9595959595959596
        assert_eq!(xs[1], -1.9595959595959596);
    }

    #[test]
    fn rejects_impossible_ranges() {
        assert!(linspace(1.0, 1.0, 10).is_err());
        assert!(linspace(2.0, 1.0, 10).is_err());
        assert!(linspace(f64::NAN, 1.0, 10).is_err());
        assert!(linspace(0.0, f64::INFINITY, 10).is_err());
        assert!(linspace(0.0, 1.0, 1).is_err());
        assert!(linspace(0.0, 1.0, MAX_POINTS + 1).is_err());
    }
}
