//! Dead units as training goes: every K steps, from step 0 (before the first update), the
//! classifier is run on a fixed subset of the held-out digits (the first [`MEASURE_DIGITS`]) and
//! each activated layer's units are counted; at the end, how many of the units that died came
//! back ([`LayerRevival`]).
//!
//! On the `n` digits measured, a unit (a channel of a convolution, a neuron of a linear layer) is
//! - **dead** if its pre-activation z is ≤ 0 everywhere (every digit, every position), as in
//!   [`crate::units::dead`];
//! - **nearly dead** if it is active (z > 0 somewhere) on at most 1% of the digits
//!   (`active ≤ 0.01·n`, so with 100 digits on at most one); the dead are nearly dead too;
//! - **without gradient** if the activation's derivative f'(z) is exactly 0 everywhere: no
//!   gradient flows through it to its weights, so only the layers above can change that. For
//!   ReLU (f'(z) = 0 for z ≤ 0) these are the dead units; for LeakyReLU with α > 0 there are
//!   none (f'(z) = α below 0); for a smooth activation, a unit whose f'(z) underflows to 0 in
//!   f32 everywhere. PReLU is judged by the slope its spec starts with, not the learned one.

use std::time::Instant;

use candle_core::Tensor;
use leaky::Activation;
use serde::{Deserialize, Serialize};

use crate::data::dataset::{Digits, Scale};
use crate::error::LabError;
use crate::models::cnn::{Cnn, LAYER_NAMES, LAYERS, correct};
use crate::units::dead::dead_shares;
use crate::units::values::with_values;

/// About how many measurements a run makes by default (step 0 and the last step included).
pub const POINTS: usize = 40;
/// How many held-out digits are measured on: the first ones (all of them if there are fewer).
pub const MEASURE_DIGITS: usize = 100;
/// Digits per forward pass when counting over a whole data set ([`activity`]).
const BATCH: usize = 250;
/// Digits per forward pass when measuring during training: a few small passes rather than one
/// of 100 digits, whose buffers (a 22 MB im2col for conv2) would push the training step's out
/// of the cache and slow the steps that follow (by about 20 ms a measurement, measured).
const MEASURE_BATCH: usize = 25;

/// When a run measures its units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Measure {
    /// Every `max(1, steps / POINTS)` steps: about [`POINTS`] measurements.
    #[default]
    Auto,
    /// Every K steps, K from 1 to the run's number of steps.
    Every(usize),
    /// Never.
    Off,
}

impl Measure {
    /// The interval in steps for a run of `steps` steps, or `None` when off; an interval of 0,
    /// or larger than the run, is an error.
    pub fn interval(self, steps: usize) -> Result<Option<usize>, LabError> {
        match self {
            Measure::Off => Ok(None),
            Measure::Auto => Ok(Some((steps / POINTS).max(1))),
            Measure::Every(every) if every == 0 || every > steps => {
                Err(LabError::MeasureInterval { every, steps })
            }
            Measure::Every(k) => Ok(Some(k)),
        }
    }
}

/// One activated layer's units at one step (see the module's definitions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerActivity {
    /// The layer's name (`conv1`, `conv2`, `hidden`).
    pub layer: String,
    /// Its number of units.
    pub units: usize,
    /// The fraction of its units that are dead.
    pub dead: f64,
    /// The fraction that are nearly dead (the dead included).
    pub nearly_dead: f64,
    /// The fraction whose activation derivative is 0 on every digit and position.
    pub zero_gradient: f64,
    /// The dead units' indices, in increasing order.
    pub dead_units: Vec<u32>,
}

/// One measurement during training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The training steps (weight updates) done before it: 0 is the initial network.
    pub step: usize,
    /// The fraction of the measured digits classified correctly.
    pub accuracy: f64,
    /// conv1, conv2, hidden.
    pub layers: Vec<LayerActivity>,
}

/// What happened to one layer's dead units over a run, from its measurements: of the units dead
/// at the first measurement (step 0 unless the run was resumed from a checkpoint that had
/// none), and of those dead at the layer's worst measurement (the most dead; the earliest if
/// tied), how many are alive at the last one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerRevival {
    /// The layer's name.
    pub layer: String,
    /// Its number of units.
    pub units: usize,
    /// The step of the first measurement.
    pub start_step: usize,
    /// Units dead then.
    pub dead_at_start: usize,
    /// Of those, the units alive at the last measurement.
    pub revived_from_start: usize,
    /// The step of the measurement with the most dead units.
    pub worst_step: usize,
    /// Units dead then.
    pub dead_at_worst: usize,
    /// Of those, the units alive at the last measurement.
    pub revived_from_worst: usize,
    /// The step of the last measurement.
    pub end_step: usize,
    /// Units dead then.
    pub dead_at_end: usize,
    /// Units lost for good: dead at the last measurement and at every one since they were first
    /// found dead (they never came back).
    pub dead_for_good: usize,
}

/// A run's measurements, as recorded in `metrics.json`, the checkpoint and `compare.json`
/// (every field is absent from files written before they were measured, and reads as empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The interval in steps; `None` when the run did not measure.
    #[serde(default)]
    pub measure_every: Option<usize>,
    /// The held-out digits measured on.
    #[serde(default)]
    pub measure_digits: usize,
    /// The seconds spent measuring (not counted in the epochs' seconds).
    #[serde(default)]
    pub measure_seconds: f64,
    /// The measurements, in step order.
    #[serde(default)]
    pub steps: Vec<StepRecord>,
    /// Per layer, what became of its dead units ([`revival`] of `steps`).
    #[serde(default)]
    pub revival: Vec<LayerRevival>,
}

/// Counts, batch by batch, on how many examples each unit of each layer is active, and whether
/// the activation's derivative is non-zero anywhere for it.
pub struct ActivityCounter {
    activation: Activation,
    examples: usize,
    /// Per layer: per unit, the examples on which it was active.
    active: [Vec<u64>; LAYERS],
    /// Per layer: per unit, whether f'(z) ≠ 0 somewhere.
    moving: [Vec<bool>; LAYERS],
}

impl ActivityCounter {
    /// A counter for a network with `activation` in its activated layers.
    pub fn new(activation: Activation) -> Self {
        ActivityCounter {
            activation,
            examples: 0,
            active: Default::default(),
            moving: Default::default(),
        }
    }

    /// Adds a batch's pre-activations, as from [`Cnn::forward_measured`].
    pub fn add(&mut self, pre: &[Tensor; LAYERS]) -> Result<(), LabError> {
        let examples = pre[0].dim(0)?;
        for (layer, t) in pre.iter().enumerate() {
            let units = t.dim(1)?;
            with_values(t, |values| self.add_layer(layer, values, examples, units))?;
        }
        self.examples += examples;
        Ok(())
    }

    /// Adds layer `layer`'s pre-activations for `examples` examples, laid out as
    /// `(examples, units, positions)` (positions = 1 for a linear layer); does not count the
    /// examples (the caller adds them once for all layers).
    fn add_layer(&mut self, layer: usize, values: &[f32], examples: usize, units: usize) {
        let positions = values.len() / (examples * units).max(1);
        let active = &mut self.active[layer];
        let moving = &mut self.moving[layer];
        active.resize(units, 0);
        moving.resize(units, false);
        for (i, unit_values) in values.chunks(positions.max(1)).enumerate() {
            let unit = i % units;
            if unit_values.iter().any(|&z| z > 0.0) {
                active[unit] += 1;
            }
            if !moving[unit] {
                moving[unit] = unit_values
                    .iter()
                    .any(|&z| self.activation.derivative(z) != 0.0);
            }
        }
    }

    /// The fractions per layer.
    pub fn finish(&self) -> Vec<LayerActivity> {
        (0..LAYERS)
            .map(|l| {
                let active = &self.active[l];
                let units = active.len();
                let (dead, nearly_dead) = dead_shares(active, self.examples);
                let dead_units: Vec<u32> = (0..units)
                    .filter(|&u| active[u] == 0)
                    .map(|u| u as u32)
                    .collect();
                let without_gradient = self.moving[l].iter().filter(|&&m| !m).count();
                LayerActivity {
                    layer: LAYER_NAMES[l].to_string(),
                    units,
                    dead,
                    nearly_dead,
                    zero_gradient: without_gradient as f64 / units.max(1) as f64,
                    dead_units,
                }
            })
            .collect()
    }
}

/// The units of `model` on all of `digits`, in batches.
pub fn activity(model: &Cnn, digits: &Digits) -> Result<Vec<LayerActivity>, LabError> {
    let mut counter = ActivityCounter::new(model.config().activation);
    let all: Vec<usize> = (0..digits.len()).collect();
    for indices in all.chunks(BATCH) {
        let (_, pre) = model.forward_measured(&digits.images_tensor(indices, Scale::Standard)?)?;
        counter.add(&pre)?;
    }
    Ok(counter.finish())
}

/// Measures a model as it trains: which steps, on which digits.
pub struct Measurer {
    every: usize,
    steps: usize,
    digits: usize,
    /// The digits in passes of at most [`MEASURE_BATCH`]: (images, labels).
    batches: Vec<(Tensor, Tensor)>,
}

impl Measurer {
    /// Measures every `every` steps of a run of `steps` steps, and after the last, on the first
    /// [`MEASURE_DIGITS`] of `held_out`; `None` when `held_out` is empty.
    pub fn new(every: usize, steps: usize, held_out: &Digits) -> Result<Option<Self>, LabError> {
        let first: Vec<usize> = (0..held_out.len().min(MEASURE_DIGITS)).collect();
        if first.is_empty() {
            return Ok(None);
        }
        let batches = first
            .chunks(MEASURE_BATCH)
            .map(|indices| {
                Ok((
                    held_out.images_tensor(indices, Scale::Standard)?,
                    held_out.labels_tensor(indices)?,
                ))
            })
            .collect::<Result<_, LabError>>()?;
        Ok(Some(Measurer {
            every,
            steps,
            digits: first.len(),
            batches,
        }))
    }

    /// The number of digits measured on.
    pub fn digits(&self) -> usize {
        self.digits
    }

    /// Whether step `step` is to be measured: a multiple of the interval, or the run's last,
    /// and not measured yet (a resumed run's first step is its previous part's last).
    pub fn due(&self, step: usize, done: &Measurement) -> bool {
        (step.is_multiple_of(self.every) || step == self.steps)
            && done.steps.last().map(|s| s.step) != Some(step)
    }

    /// Measures `model` at step `step` and adds the record to `into`, with its time, and the
    /// revival recomputed.
    pub fn record(&self, model: &Cnn, step: usize, into: &mut Measurement) -> Result<(), LabError> {
        let start = Instant::now();
        let mut counter = ActivityCounter::new(model.config().activation);
        let mut right = 0;
        for (images, labels) in &self.batches {
            let (logits, pre) = model.forward_measured(images)?;
            counter.add(&pre)?;
            right += correct(&logits, labels)?;
        }
        into.steps.push(StepRecord {
            step,
            accuracy: right as f64 / self.digits as f64,
            layers: counter.finish(),
        });
        into.revival = revival(&into.steps);
        into.measure_seconds += start.elapsed().as_secs_f64();
        Ok(())
    }
}

/// Per layer, what became of its dead units over `steps` (in step order); empty when there are
/// no steps.
pub fn revival(steps: &[StepRecord]) -> Vec<LayerRevival> {
    let (Some(start), Some(end)) = (steps.first(), steps.last()) else {
        return Vec::new();
    };
    let layers = start.layers.len().min(end.layers.len());
    (0..layers)
        .map(|l| {
            let dead = |record: &StepRecord, unit: u32| {
                record
                    .layers
                    .get(l)
                    .is_some_and(|a| a.dead_units.binary_search(&unit).is_ok())
            };
            let worst = steps
                .iter()
                .rev()
                .max_by_key(|s| s.layers.get(l).map_or(0, |a| a.dead_units.len()))
                .unwrap_or(start);
            let revived = |from: &StepRecord| {
                from.layers[l]
                    .dead_units
                    .iter()
                    .filter(|&&u| !dead(end, u))
                    .count()
            };
            let dead_for_good = end.layers[l]
                .dead_units
                .iter()
                .filter(|&&u| {
                    let first = steps.iter().position(|s| dead(s, u)).unwrap_or(0);
                    steps[first..].iter().all(|s| dead(s, u))
                })
                .count();
            LayerRevival {
                layer: end.layers[l].layer.clone(),
                units: end.layers[l].units,
                start_step: start.step,
                dead_at_start: start.layers[l].dead_units.len(),
                revived_from_start: revived(start),
                worst_step: worst.step,
                dead_at_worst: worst.layers.get(l).map_or(0, |a| a.dead_units.len()),
                revived_from_worst: if worst.layers.len() > l {
                    revived(worst)
                } else {
                    0
                },
                end_step: end.step,
                dead_at_end: end.layers[l].dead_units.len(),
                dead_for_good,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: usize, hidden_dead: &[u32]) -> StepRecord {
        let layer = |name: &str, dead: &[u32]| LayerActivity {
            layer: name.into(),
            units: 4,
            dead: dead.len() as f64 / 4.0,
            nearly_dead: dead.len() as f64 / 4.0,
            zero_gradient: dead.len() as f64 / 4.0,
            dead_units: dead.to_vec(),
        };
        StepRecord {
            step,
            accuracy: 0.5,
            layers: vec![
                layer("conv1", &[]),
                layer("conv2", &[0]),
                layer("hidden", hidden_dead),
            ],
        }
    }

    #[test]
    fn revival_counts_units_that_come_back_and_those_lost_for_good() {
        // Hidden: 0 and 1 dead at step 0; 0 comes back; 2 dies at step 10 and stays dead; 3
        // dies at step 10 and comes back. The worst step is 10 (four dead).
        let steps = [
            record(0, &[0, 1]),
            record(10, &[0, 1, 2, 3]),
            record(20, &[1, 2]),
        ];
        let revival = revival(&steps);
        assert_eq!(revival.len(), 3);
        let hidden = &revival[2];
        assert_eq!(hidden.layer, "hidden");
        assert_eq!((hidden.start_step, hidden.dead_at_start), (0, 2));
        assert_eq!(hidden.revived_from_start, 1);
        assert_eq!((hidden.worst_step, hidden.dead_at_worst), (10, 4));
        assert_eq!(hidden.revived_from_worst, 2);
        assert_eq!((hidden.end_step, hidden.dead_at_end), (20, 2));
        assert_eq!(hidden.dead_for_good, 2);
        let conv2 = &revival[1];
        assert_eq!(
            (
                conv2.dead_at_start,
                conv2.revived_from_start,
                conv2.dead_for_good
            ),
            (1, 0, 1)
        );
        assert!(super::revival(&[]).is_empty());
    }

    #[test]
    fn a_unit_that_dies_again_is_not_lost_for_good() {
        let steps = [record(0, &[0]), record(5, &[]), record(9, &[0])];
        let hidden = &revival(&steps)[2];
        assert_eq!((hidden.dead_at_end, hidden.dead_for_good), (1, 0));
    }

    #[test]
    fn the_counter_follows_the_definitions() {
        // Two examples, three units, two positions: unit 0 is active on both examples, unit 1
        // only on the second (at one position), unit 2 never (0 counts as inactive).
        #[rustfmt::skip]
        let values = [
            1.0, -1.0,   -2.0, -1.0,   0.0, -3.0,
            0.5,  2.0,   -1.0,  4.0,  -1.0,  0.0,
        ];
        for (spec, zero_gradient) in [("relu", 1.0 / 3.0), ("leaky_relu", 0.0)] {
            let mut counter = ActivityCounter::new(spec.parse().unwrap());
            for layer in 0..LAYERS {
                counter.add_layer(layer, &values, 2, 3);
            }
            counter.examples += 2;
            let hidden = &counter.finish()[2];
            assert_eq!(hidden.units, 3);
            assert_eq!(hidden.dead_units, [2]);
            assert_eq!(hidden.dead, 1.0 / 3.0);
            // Active on at most 1% of 2 examples: never.
            assert_eq!(hidden.nearly_dead, 1.0 / 3.0);
            assert_eq!(hidden.zero_gradient, zero_gradient, "{spec}");
        }
    }

    #[test]
    fn the_interval_is_checked_against_the_run() {
        assert_eq!(Measure::Auto.interval(1000).unwrap(), Some(25));
        assert_eq!(Measure::Auto.interval(10).unwrap(), Some(1));
        assert_eq!(Measure::Every(7).interval(10).unwrap(), Some(7));
        assert_eq!(Measure::Every(10).interval(10).unwrap(), Some(10));
        assert_eq!(Measure::Off.interval(10).unwrap(), None);
        for bad in [0, 11] {
            let err = Measure::Every(bad).interval(10).unwrap_err().to_string();
            assert!(
                err.contains("from 1 to the run's 10 training steps"),
                "{err}"
            );
        }
    }
}
