//! `leaky compare`'s figures against training step, from the runs' measurements: accuracy and
//! the dead fraction of each layer, one line per activation (the mean over the seeds) in a band
//! from the lowest seed to the highest; and a heatmap of the hidden layer's units over time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use leaky::Activation;
use leaky_lab::experiments::compare::{Comparison, RunResult, RunStatus};
use leaky_lab::models::cnn::{LAYER_NAMES, LAYERS};
use leaky_lab::units::measure::StepRecord;
use leaky_plot::{Chart, Figure, Legend, Series};

use crate::error::CliError;

/// The heatmap's file name.
pub const UNITS_PLOT: &str = "compare-units.png";
/// The tab10 colours of the heatmap: dead units in red, live ones in light grey.
const DEAD_COLOR: usize = 3;
const ALIVE_COLOR: usize = 7;

/// Whether any finished run of `c` was measured as it trained.
pub fn measured(c: &Comparison) -> bool {
    done(c).any(|r| !r.measurement.steps.is_empty())
}

/// Draws the accuracy into `accuracy`, the dead fractions into `dead` and the heatmap into
/// `compare-units.png` in `out`; returns the heatmap's path.
pub fn draw(c: &Comparison, accuracy: &Path, dead: &Path, out: &Path) -> Result<PathBuf, CliError> {
    let stress = if c.stress { " (--stress)" } else { "" };
    let digits = done(c)
        .map(|r| r.measurement.measure_digits)
        .max()
        .unwrap_or(0);
    let mut accuracy_chart = Chart::new(
        format!("Accuracy on {digits} held-out digits{stress}"),
        "training step",
        "accuracy (%)",
    );
    let mut dead_charts: Vec<Chart> = LAYER_NAMES
        .iter()
        .map(|layer| {
            Chart::new(
                format!("Dead units, {layer}{stress}"),
                "training step",
                "dead (%)",
            )
        })
        .collect();
    for (color, activation) in c.activations.iter().enumerate() {
        add_spread(&mut accuracy_chart, c, activation, color, &|s| {
            Some(100.0 * s.accuracy)
        });
        for (l, chart) in dead_charts.iter_mut().enumerate() {
            add_spread(chart, c, activation, color, &|s| {
                s.layers.get(l).map(|a| 100.0 * a.dead)
            });
        }
    }
    accuracy_chart.legend = Legend::Outside;
    for chart in &mut dead_charts[..LAYERS - 1] {
        chart.legend = Legend::Hidden;
    }
    dead_charts[LAYERS - 1].legend = Legend::Outside;
    save(Figure::new(vec![accuracy_chart]), accuracy)?;
    save(Figure::new(dead_charts), dead)?;
    let units = out.join(UNITS_PLOT);
    save(units_figure(c, stress)?, &units)?;
    Ok(units)
}

/// The finished runs.
fn done(c: &Comparison) -> impl Iterator<Item = &RunResult> {
    c.runs.iter().filter(|r| r.status == RunStatus::Done)
}

/// Adds to `chart` the mean over the seeds of `value` at each measured step of `activation`'s
/// finished runs, as a line in colour `color`, over a band from the lowest to the highest seed.
fn add_spread(
    chart: &mut Chart,
    c: &Comparison,
    activation: &str,
    color: usize,
    value: &dyn Fn(&StepRecord) -> Option<f64>,
) {
    let mut by_step: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for run in done(c).filter(|r| r.activation == activation) {
        for step in &run.measurement.steps {
            if let Some(v) = value(step) {
                by_step.entry(step.step).or_default().push(v);
            }
        }
    }
    let spread: Vec<(f64, f64, f64, f64)> = by_step
        .iter()
        .map(|(&step, values)| {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (step as f64, mean, low, high)
        })
        .collect();
    let band: Vec<(f64, f64, f64)> = spread.iter().map(|&(x, _, lo, hi)| (x, lo, hi)).collect();
    let mean: Vec<(f64, f64)> = spread.iter().map(|&(x, m, _, _)| (x, m)).collect();
    chart.series.push(Series::band("", &band).with_color(color));
    chart
        .series
        .push(Series::line(activation, mean).with_color(color));
}

/// One heatmap panel per ReLU and LeakyReLU activation of the sweep (or the first two
/// activations if it has none of them): the hidden layer's units (rows) at each measured step
/// (columns) of the activation's first finished run, dead units in red.
fn units_figure(c: &Comparison, stress: &str) -> Result<Figure, CliError> {
    let relu_like = |spec: &&String| {
        matches!(
            spec.parse::<Activation>(),
            Ok(Activation::Relu | Activation::LeakyRelu { .. })
        )
    };
    let mut chosen: Vec<&String> = c.activations.iter().filter(relu_like).collect();
    if chosen.is_empty() {
        chosen = c.activations.iter().take(2).collect();
    }
    let mut panels = Vec::new();
    for activation in chosen {
        let Some(run) = done(c)
            .filter(|r| &r.activation == activation)
            .find(|r| !r.measurement.steps.is_empty())
        else {
            continue;
        };
        panels.push(units_chart(run, stress));
    }
    if panels.is_empty() {
        return Err(CliError::Failure(
            "no measured run of a ReLU or LeakyReLU to draw the units of".into(),
        ));
    }
    if let Some(last) = panels.last_mut() {
        last.legend = Legend::Outside;
    }
    Ok(Figure::new(panels))
}

/// The hidden layer's units of `run` over its measured steps.
fn units_chart(run: &RunResult, stress: &str) -> Chart {
    let m = &run.measurement;
    let hidden = LAYERS - 1;
    let every = m.measure_every.unwrap_or(1).max(1) as f64;
    let units = m
        .steps
        .iter()
        .filter_map(|s| s.layers.get(hidden))
        .map(|a| a.units)
        .max()
        .unwrap_or(0);
    let dead: Vec<(f64, f64)> = m
        .steps
        .iter()
        .flat_map(|s| {
            let layer = s.layers.get(hidden);
            layer
                .into_iter()
                .flat_map(|a| a.dead_units.iter())
                .map(move |&u| (s.step as f64, f64::from(u)))
        })
        .collect();
    let first = m.steps.first().map_or(0.0, |s| s.step as f64) - every / 2.0;
    let last = m.steps.last().map_or(0.0, |s| s.step as f64) + every / 2.0;
    let top = units as f64 - 0.5;
    let title = format!("Hidden units, {} seed {}{stress}", run.activation, run.seed);
    let mut chart = Chart::new(title, "training step", "unit").with_series(
        Series::band("alive", &[(first, -0.5, top), (last, -0.5, top)]).with_color(ALIVE_COLOR),
    );
    if !dead.is_empty() {
        chart = chart.with_series(Series::cells("dead", dead, every, 1.0).with_color(DEAD_COLOR));
    }
    chart.legend = Legend::Hidden;
    chart
}

fn save(figure: Figure, path: &Path) -> Result<(), CliError> {
    figure
        .save(path)
        .map_err(|e| CliError::Failure(format!("cannot draw {}: {e}", path.display())))
}
