//! `curves.png` of `leaky train cnn`: loss and accuracy against epoch, training and held out.

use std::path::Path;

use leaky_lab::training::train_cnn::{CnnMetrics, EpochRecord};
use leaky_plot::{Chart, Figure, Series};

use crate::error::CliError;

/// Draws the loss and the accuracy of every epoch side by side and writes them to `path`
/// (atomically).
pub fn draw(metrics: &CnnMetrics, path: &Path) -> Result<(), CliError> {
    let points = |value: fn(&EpochRecord) -> f64| -> Vec<(f64, f64)> {
        metrics
            .epochs
            .iter()
            .map(|r| (r.epoch as f64, value(r)))
            .collect()
    };
    let loss = Chart::new(
        format!("Loss, CNN with {}", metrics.activation),
        "epoch",
        "cross-entropy",
    )
    .with_whole_x()
    .with_series(Series::line("train", points(|r| r.train_loss)))
    .with_series(Series::line("held out", points(|r| r.test_loss)));
    let accuracy = Chart::new("Accuracy", "epoch", "accuracy (%)")
        .with_whole_x()
        .with_series(Series::line("train", points(|r| 100.0 * r.train_accuracy)))
        .with_series(Series::line(
            "held out",
            points(|r| 100.0 * r.test_accuracy),
        ));
    Figure::new(vec![loss, accuracy])
        .save(path)
        .map_err(|e| CliError::Failure(format!("cannot draw {}: {e}", path.display())))
}
