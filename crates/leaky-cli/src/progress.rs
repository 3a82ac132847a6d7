//! Progress bars for training (on standard error, hidden when it is not a terminal), and the
//! per-epoch summary lines (on standard output).

use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use leaky_lab::training::train_cnn::{CnnProgress, EpochRecord};
use leaky_lab::training::train_gan::GanProgress;
use leaky_lab::units::dead::LayerDeath;

fn bar(len: usize, template: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(template)
        .expect("the templates are valid")
        .progress_chars("=> ");
    ProgressBar::new(len as u64).with_style(style)
}

/// A bar per epoch with the running loss and images per second.
pub struct CnnBars {
    bar: Option<ProgressBar>,
    start: Instant,
    images: usize,
    loss_sum: f64,
    batches: usize,
}

impl CnnBars {
    /// No bar yet: one starts with each epoch.
    pub fn new() -> Self {
        CnnBars {
            bar: None,
            start: Instant::now(),
            images: 0,
            loss_sum: 0.0,
            batches: 0,
        }
    }
}

impl CnnProgress for CnnBars {
    fn epoch_started(&mut self, epoch: usize, epochs: usize, batches: usize) {
        let template = "{prefix} [{bar:30}] {pos}/{len} batches, {msg}, eta {eta}";
        self.bar = Some(bar(batches, template).with_prefix(format!("epoch {epoch}/{epochs}")));
        self.start = Instant::now();
        (self.images, self.loss_sum, self.batches) = (0, 0.0, 0);
    }

    fn batch_done(&mut self, loss: f32, images: usize) {
        self.images += images;
        self.loss_sum += f64::from(loss);
        self.batches += 1;
        if let Some(bar) = &self.bar {
            let speed = self.images as f64 / self.start.elapsed().as_secs_f64();
            let mean = self.loss_sum / self.batches as f64;
            bar.set_message(format!("loss {mean:.4}, {speed:.0} images/s"));
            bar.inc(1);
        }
    }

    fn epoch_done(&mut self, r: &EpochRecord) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        println!(
            "epoch {}: train loss {:.4}, train accuracy {:.2}%, held-out loss {:.4}, held-out accuracy {:.2}%, dead units: {} ({:.1} s)",
            r.epoch,
            r.train_loss,
            100.0 * r.train_accuracy,
            r.test_loss,
            100.0 * r.test_accuracy,
            dead_units(&r.dead),
            r.seconds
        );
    }
}

/// `conv1 0%, conv2 2%, hidden 55%`: each layer's dead fraction.
pub fn dead_units(layers: &[LayerDeath]) -> String {
    let parts: Vec<String> = layers
        .iter()
        .map(|d| format!("{} {:.0}%", d.layer, 100.0 * d.dead))
        .collect();
    parts.join(", ")
}

/// One bar for the whole GAN run, with both losses, from the run's start.
#[derive(Default)]
pub struct GanBar {
    bar: Option<ProgressBar>,
}

impl GanBar {
    /// Shows a bar for `steps` steps, starting at `done`.
    pub fn start(&mut self, steps: usize, done: usize) {
        let template = "{prefix} [{bar:30}] {pos}/{len} steps, {msg}, {per_sec}, eta {eta}";
        let bar = bar(steps, template).with_prefix("gan");
        bar.set_position(done as u64);
        bar.reset_eta();
        self.bar = Some(bar);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl GanProgress for GanBar {
    fn step_done(&mut self, _step: usize, d_loss: f32, g_loss: f32) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("D loss {d_loss:.3}, G loss {g_loss:.3}"));
            bar.inc(1);
        }
    }

    fn saved(&mut self, step: usize, grid: &Path) {
        let line = || println!("step {step}: wrote {} and the checkpoints", grid.display());
        match &self.bar {
            Some(bar) => bar.suspend(line),
            None => line(),
        }
    }
}
