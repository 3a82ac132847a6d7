//! Dead units: a unit (a channel of a convolution, a neuron of a linear layer) is dead on a data
//! set if its pre-activation is ≤ 0 for every example, and nearly dead if it is active (> 0
//! somewhere) on at most 1% of the examples. A channel is active on an example if its
//! pre-activation is > 0 at some position.

use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

use crate::models::cnn::{LAYER_NAMES, LAYERS};
use crate::units::values::with_values;

/// A unit active on at most this fraction of the examples is nearly dead.
pub const NEARLY_DEAD: f64 = 0.01;

/// From how many of `examples` examples each unit of a layer was active on: the fractions of
/// its units that are dead (active on none) and nearly dead (on at most [`NEARLY_DEAD`] of
/// them, the dead included).
pub(crate) fn dead_shares(active: &[u64], examples: usize) -> (f64, f64) {
    let limit = NEARLY_DEAD * examples as f64;
    let share = |n: usize| n as f64 / active.len().max(1) as f64;
    (
        share(active.iter().filter(|&&a| a == 0).count()),
        share(active.iter().filter(|&&a| a as f64 <= limit).count()),
    )
}

/// What one layer's units did on a data set: how many died, and the spread of their
/// pre-activations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerDeath {
    /// The layer's name (`conv1`, `conv2`, `hidden`).
    pub layer: String,
    /// Its number of units.
    pub units: usize,
    /// The fraction of units dead (never > 0).
    pub dead: f64,
    /// The fraction of units nearly dead (active on ≤ 1% of the examples; includes the dead).
    pub nearly_dead: f64,
    /// The fraction of all pre-activation values (every unit, position and example) that are < 0.
    pub negative: f64,
    /// The mean of all pre-activation values.
    #[serde(default)]
    pub mean: f64,
    /// Their standard deviation.
    #[serde(default)]
    pub std: f64,
}

/// Counts, batch by batch, how often each unit of each layer is active.
pub struct DeathCounter {
    examples: usize,
    /// Per layer: per unit, the examples on which it was active.
    active: [Vec<u64>; LAYERS],
    /// Per layer: the negative values and all values seen.
    negative: [(u64, u64); LAYERS],
    /// Per layer: the sum of the values and of their squares.
    sums: [(f64, f64); LAYERS],
}

impl Default for DeathCounter {
    fn default() -> Self {
        DeathCounter {
            examples: 0,
            active: Default::default(),
            negative: [(0, 0); LAYERS],
            sums: [(0.0, 0.0); LAYERS],
        }
    }
}

/// Independent running sums in [`moments`]: enough for the compiler to add them as vectors.
const LANES: usize = 8;

/// How many of `values` are negative, their sum and the sum of their squares (in `f64`). Value
/// `i` goes to lane `i mod LANES` and the lanes are added in order at the end: a fixed order
/// whatever the machine, and vector code where one running sum would wait on each addition.
fn moments(values: &[f32]) -> (u64, f64, f64) {
    let mut negative = [0u64; LANES];
    let mut sum = [0.0f64; LANES];
    let mut sum_sq = [0.0f64; LANES];
    let mut add = |lane: usize, v: f32| {
        negative[lane] += u64::from(v < 0.0);
        let v = f64::from(v);
        sum[lane] += v;
        sum_sq[lane] += v * v;
    };
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, &v) in chunk.iter().enumerate() {
            add(lane, v);
        }
    }
    for (lane, &v) in chunks.remainder().iter().enumerate() {
        add(lane, v);
    }
    (negative.iter().sum(), sum.iter().sum(), sum_sq.iter().sum())
}

impl DeathCounter {
    /// Adds a batch's pre-activations, as from [`crate::models::cnn::Cnn::forward_measured`]:
    /// `(n, C, H, W)` for a convolution, `(n, H)` for a linear layer. One pass over each layer's
    /// values: per example and unit whether it is active, and the negative count and the sums.
    pub fn add(&mut self, pre: &[Tensor; LAYERS]) -> Result<()> {
        self.examples += pre[0].dim(0)?;
        for (l, t) in pre.iter().enumerate() {
            let units = t.dim(1)?;
            let batch = t.dim(0)?;
            with_values(t, |values| self.add_layer(l, values, batch, units))?;
        }
        Ok(())
    }

    /// Adds layer `l`'s pre-activations for `batch` examples of `units` units each.
    fn add_layer(&mut self, l: usize, values: &[f32], batch: usize, units: usize) {
        let active = &mut self.active[l];
        active.resize(units, 0);
        let per_unit = values.len() / (batch * units).max(1);
        if per_unit > 0 {
            for example in values.chunks_exact(units * per_unit) {
                for (a, unit) in active.iter_mut().zip(example.chunks_exact(per_unit)) {
                    *a += u64::from(unit.iter().any(|&v| v > 0.0));
                }
            }
        }
        let (negative, sum, sum_sq) = moments(values);
        self.negative[l].0 += negative;
        self.negative[l].1 += values.len() as u64;
        self.sums[l].0 += sum;
        self.sums[l].1 += sum_sq;
    }

    /// The fractions per layer.
    pub fn finish(&self) -> Vec<LayerDeath> {
        (0..LAYERS)
            .map(|l| {
                let (dead, nearly_dead) = dead_shares(&self.active[l], self.examples);
                let (negative, all) = self.negative[l];
                let n = all.max(1) as f64;
                let (sum, sum_sq) = self.sums[l];
                let mean = sum / n;
                LayerDeath {
                    layer: LAYER_NAMES[l].to_string(),
                    units: self.active[l].len(),
                    dead,
                    nearly_dead,
                    negative: negative as f64 / n,
                    mean,
                    std: (sum_sq / n - mean * mean).max(0.0).sqrt(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_count_the_negatives_and_sum_every_value_once() {
        // 8k + 5 values: whole chunks of the lanes and a remainder.
        let values: Vec<f32> = (0..8 * 37 + 5)
            .map(|i| ((i * 29 % 83) as f32 - 40.0) / 8.0)
            .collect();
        let (negative, sum, sum_sq) = moments(&values);
        assert_eq!(negative, values.iter().filter(|&&v| v < 0.0).count() as u64);
        let exact: f64 = values.iter().map(|&v| f64::from(v)).sum();
        let exact_sq: f64 = values.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        assert!((sum - exact).abs() <= 1e-9 * exact_sq, "{sum} vs {exact}");
        assert!(
            (sum_sq - exact_sq).abs() <= 1e-12 * exact_sq,
            "{sum_sq} vs {exact_sq}"
        );
        assert_eq!(moments(&[]), (0, 0.0, 0.0));
        assert_eq!(moments(&[-2.0, 3.0]), (1, 1.0, 13.0));
    }
}
