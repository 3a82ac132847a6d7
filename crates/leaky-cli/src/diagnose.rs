//! `leaky diagnose`: a trained classifier's dead units, pre-activations and gradients, layer by
//! layer, and a histogram of its pre-activations.

use std::path::PathBuf;

use clap::Args;
use leaky_lab::experiments::diagnose::Diagnosis;
use leaky_lab::jobs::{DiagnoseJob, Diagnosed};
use leaky_plot::{Chart, Figure, Series};

use crate::checkpoints::NotesToStderr;
use crate::error::CliError;
use crate::values::count;

/// Bins of each layer's histogram.
const BINS: usize = 60;

/// Arguments of `leaky diagnose`.
#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    /// A classifier checkpoint (model.safetensors from `leaky train cnn` or `leaky compare`).
    #[arg(long, value_name = "MODEL")]
    checkpoint: PathBuf,
    /// Read full MNIST from this directory and diagnose on its test set, instead of the 2,000
    /// held-out embedded digits.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Digits in the batch whose gradients and pre-activations are sampled.
    #[arg(long, default_value = "256", value_parser = count)]
    batch: usize,
    /// The histogram of pre-activations per layer (PNG or SVG).
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "pre-activations.png"
    )]
    output: PathBuf,
    /// Print the diagnosis as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `leaky diagnose`.
pub fn run(args: &DiagnoseArgs) -> Result<(), CliError> {
    let job = DiagnoseJob {
        checkpoint: args.checkpoint.clone(),
        data: args.data.clone(),
        batch: args.batch,
    };
    let Diagnosed {
        activation,
        data,
        diagnosis,
    } = job.run(&mut NotesToStderr)?;
    draw(&diagnosis, &activation, args)?;
    if args.json {
        let json = serde_json::json!({
            "checkpoint": args.checkpoint,
            "activation": activation,
            "data": format!("{data} (held out)"),
            "diagnosis": diagnosis,
            "histogram": args.output,
        });
        println!("{json:#}");
        return Ok(());
    }
    println!(
        "{}: CNN with {activation}; on {} held-out digits of {}: accuracy {:.2}%, loss {:.4}",
        args.checkpoint.display(),
        diagnosis.examples,
        data,
        100.0 * diagnosis.accuracy,
        diagnosis.loss
    );
    println!(
        "{:<7} {:>6} {:>7} {:>12} {:>10} {:>10} {:>10} {:>10} {:>14}",
        "layer",
        "units",
        "dead",
        "nearly dead",
        "zero grad",
        "negative",
        "mean",
        "std",
        "mean |grad|"
    );
    for layer in &diagnosis.layers {
        let a = &layer.activity;
        println!(
            "{:<7} {:>6} {:>6.1}% {:>11.1}% {:>9.1}% {:>9.1}% {:>10.4} {:>10.4} {:>14.3e}",
            a.layer,
            a.units,
            100.0 * a.dead,
            100.0 * a.nearly_dead,
            100.0 * layer.zero_gradient,
            100.0 * a.negative,
            a.mean,
            a.std,
            layer.mean_abs_gradient
        );
    }
    println!(
        "dead: pre-activation <= 0 on every digit; nearly dead: > 0 on at most 1% of them; \
         zero grad: the activation's derivative is 0 on every digit, so no gradient reaches the \
         unit's weights; mean |grad| of the layer's weights on a batch of {}",
        diagnosis.gradient_batch
    );
    println!("wrote {}", args.output.display());
    Ok(())
}

/// One histogram per layer, side by side.
fn draw(diagnosis: &Diagnosis, activation: &str, args: &DiagnoseArgs) -> Result<(), CliError> {
    let mut panels = Vec::new();
    for layer in &diagnosis.layers {
        let values: Vec<f64> = layer.sample.iter().map(|&v| f64::from(v)).collect();
        let histogram = Series::histogram("", &values, BINS)
            .map_err(|e| CliError::Failure(format!("cannot draw the histogram: {e}")))?;
        let title = format!(
            "{} ({activation}): {:.0}% dead",
            layer.activity.layer,
            100.0 * layer.activity.dead
        );
        panels.push(Chart::new(title, "pre-activation", "count").with_series(histogram));
    }
    Figure::new(panels)
        .save(&args.output)
        .map_err(|e| CliError::Failure(format!("cannot write {}: {e}", args.output.display())))
}
