//! `leaky compare`: train the same CNN with several activations and seeds, and write the results
//! as Markdown, JSON, CSV and two plots.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use leaky::Activation;
use leaky_lab::cnn::LAYER_NAMES;
use leaky_lab::compare::{
    self, CSV_FILE, CompareProgress, CompareSettings, Comparison, DEFAULT_ACTIVATIONS, JSON_FILE,
    MARKDOWN_FILE, RunResult, RunStatus, STRESS_BIAS,
};
use leaky_lab::train_cnn::{CnnProgress, CnnSettings, EpochRecord};
use leaky_plot::{Chart, Figure, Legend, Series};

use crate::error::CliError;
use crate::progress::dead_units;
use crate::train::{CnnOptions, count, create_out, load_data};

/// The accuracy plot's file name.
const ACCURACY_PLOT: &str = "compare-accuracy.png";
/// The dead-units plot's file name.
const DEAD_PLOT: &str = "compare-dead.png";

/// Arguments of `leaky compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The activations, comma-separated; a spec's own parameters follow it after commas too
    /// (`hardtanh:min=-2,max=2`).
    #[arg(long, value_name = "SPECS", default_value = DEFAULT_ACTIVATIONS)]
    activations: String,
    /// Train each activation with seeds 1 to N.
    #[arg(long, value_name = "N", default_value = "3", value_parser = count)]
    seeds: usize,
    /// Epochs per run.
    #[arg(long, default_value = "2", value_parser = count)]
    epochs: usize,
    #[command(flatten)]
    options: CnnOptions,
    /// The setting in which ReLU units die: the activated layers' biases start at -2, so that
    /// every hidden unit starts inactive on every digit (--bias-init still overrides it).
    #[arg(long)]
    stress: bool,
    /// The output directory [default: runs/compare, or runs/compare-stress with --stress].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs `leaky compare`.
pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    let activations = parse_activations(&args.activations)?;
    let defaults = CnnSettings::default();
    let stress_bias = args.stress.then_some(STRESS_BIAS);
    let settings = CompareSettings {
        activations,
        seeds: (1..=args.seeds as u64).collect(),
        base: args.options.apply(CnnSettings {
            epochs: args.epochs,
            bias_init: stress_bias,
            ..defaults
        }),
    };
    let out = args.out.clone().unwrap_or_else(|| match args.stress {
        true => "runs/compare-stress".into(),
        false => "runs/compare".into(),
    });
    let data = load_data(args.options.data.as_deref())?;
    create_out(&out)?;
    let base = &settings.base;
    println!(
        "comparing {} activations x {} seeds on {}: {} epochs each, batch {}, lr {} (x{} per epoch){}",
        settings.activations.len(),
        settings.seeds.len(),
        data.source,
        base.epochs,
        base.batch,
        base.lr,
        base.lr_decay,
        base.bias_init
            .map_or(String::new(), |b| format!(", initial biases {b}"))
    );
    let per_run = data.train.len().div_ceil(base.batch) * base.epochs;
    let mut bar = SweepBar::new(per_run, settings.runs());
    let result = compare::compare(&settings, args.stress, &data, &out, &mut bar);
    bar.bar.finish_and_clear();
    let comparison = result?;
    draw(&comparison, &out)?;
    print!("\n{}", table_only(&compare::markdown(&comparison)));
    println!(
        "wrote {}, {}, {}, {} and {}",
        out.join(MARKDOWN_FILE).display(),
        out.join(JSON_FILE).display(),
        out.join(CSV_FILE).display(),
        out.join(ACCURACY_PLOT).display(),
        out.join(DEAD_PLOT).display()
    );
    Ok(())
}

/// Splits `relu,leaky_relu:alpha=0.2,hardtanh:min=-2,max=2` into specs: a piece with `=` but no
/// `:` continues the spec before it.
fn parse_activations(text: &str) -> Result<Vec<Activation>, CliError> {
    let mut specs: Vec<String> = Vec::new();
    for piece in text.split(',').map(str::trim) {
        match specs.last_mut() {
            Some(last) if piece.contains('=') && !piece.contains(':') && last.contains(':') => {
                last.push(',');
                last.push_str(piece);
            }
            _ => specs.push(piece.to_string()),
        }
    }
    let mut activations: Vec<Activation> = Vec::new();
    for spec in specs {
        if spec.is_empty() {
            return Err(CliError::Usage(format!(
                "--activations: empty entry in '{text}'"
            )));
        }
        let activation: Activation = spec
            .parse()
            .map_err(|e| CliError::Usage(format!("--activations: {e}")))?;
        if activations.contains(&activation) {
            return Err(CliError::Usage(format!(
                "--activations: {activation} is listed twice"
            )));
        }
        activations.push(activation);
    }
    Ok(activations)
}

/// The summary table of the Markdown report, for the terminal.
fn table_only(markdown: &str) -> String {
    markdown
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Held-out accuracy against epoch, and the dead fraction of each layer against epoch, one line
/// per activation (means over the seeds whose runs finished).
fn draw(c: &Comparison, out: &Path) -> Result<(), CliError> {
    let mean_by_epoch = |activation: &str, value: &dyn Fn(&EpochRecord) -> Option<f64>| {
        let runs: Vec<&RunResult> = c
            .runs
            .iter()
            .filter(|r| r.activation == activation && r.status == RunStatus::Done)
            .collect();
        (0..c.epochs)
            .filter_map(|e| {
                let values: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| r.epochs.get(e).and_then(value))
                    .collect();
                (!values.is_empty()).then(|| {
                    (
                        (e + 1) as f64,
                        values.iter().sum::<f64>() / values.len() as f64,
                    )
                })
            })
            .collect::<Vec<_>>()
    };
    let stress = if c.stress { " (--stress)" } else { "" };
    let mut accuracy = Chart::new(
        format!("Held-out accuracy{stress}"),
        "epoch",
        "accuracy (%)",
    )
    .with_whole_x();
    let mut dead: Vec<Chart> = LAYER_NAMES
        .iter()
        .map(|layer| {
            Chart::new(format!("Dead units, {layer}{stress}"), "epoch", "dead (%)").with_whole_x()
        })
        .collect();
    for s in &c.summary {
        let points = mean_by_epoch(&s.activation, &|e| Some(100.0 * e.test_accuracy));
        accuracy = accuracy.with_series(series(&s.activation, points));
        for (l, chart) in dead.iter_mut().enumerate() {
            let points = mean_by_epoch(&s.activation, &|e| e.dead.get(l).map(|d| 100.0 * d.dead));
            chart.series.push(series(&s.activation, points));
        }
    }
    for chart in &mut dead[1..] {
        chart.legend = Legend::Hidden;
    }
    save(Figure::new(vec![accuracy]), &out.join(ACCURACY_PLOT))?;
    save(Figure::new(dead), &out.join(DEAD_PLOT))
}

/// A line through the points, or markers when there is only one epoch.
fn series(label: &str, points: Vec<(f64, f64)>) -> Series {
    match points.len() {
        0 | 1 => Series::markers(label, points),
        _ => Series::line(label, points),
    }
}

fn save(figure: Figure, path: &Path) -> Result<(), CliError> {
    figure
        .save(path)
        .map_err(|e| CliError::Failure(format!("cannot draw {}: {e}", path.display())))
}

/// One bar over every batch of the sweep, with its estimate of the time left.
struct SweepBar {
    bar: ProgressBar,
    /// Batches per run.
    per_run: u64,
    /// The bar's position at the end of the current run.
    run_end: u64,
    run: String,
    epoch: String,
    start: Instant,
}

impl SweepBar {
    fn new(per_run: usize, runs: usize) -> Self {
        let per_run = per_run as u64;
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {percent}% {msg}, elapsed {elapsed}, eta {eta}",
        )
        .expect("the template is valid")
        .progress_chars("=> ");
        let bar = ProgressBar::new(per_run * runs as u64).with_style(style);
        SweepBar {
            bar,
            per_run,
            run_end: 0,
            run: String::new(),
            epoch: String::new(),
            start: Instant::now(),
        }
    }
}

impl CnnProgress for SweepBar {
    fn epoch_started(&mut self, epoch: usize, epochs: usize, _batches: usize) {
        self.epoch = format!("epoch {epoch}/{epochs}");
        self.bar
            .set_message(format!("{}, {}", self.run, self.epoch));
    }

    fn batch_done(&mut self, loss: f32, _images: usize) {
        self.bar
            .set_message(format!("{}, {}, loss {loss:.3}", self.run, self.epoch));
        self.bar.inc(1);
    }

    fn epoch_done(&mut self, _record: &EpochRecord) {}
}

impl CompareProgress for SweepBar {
    fn run_started(&mut self, index: usize, total: usize, activation: &Activation, seed: u64) {
        self.bar.set_prefix(format!("run {}/{total}", index + 1));
        self.run = format!("{activation} seed {seed}");
        self.start = Instant::now();
        self.run_end = self.per_run * (index as u64 + 1);
    }

    fn run_done(&mut self, result: &RunResult) {
        let line = match (&result.status, result.epochs.last()) {
            (RunStatus::Done, Some(last)) => {
                format!(
                    "{} seed {}: held-out accuracy {:.2}%, dead units: {} ({:.0} s)",
                    result.activation,
                    result.seed,
                    100.0 * last.test_accuracy,
                    dead_units(&last.dead),
                    self.start.elapsed().as_secs_f64()
                )
            }
            (status, _) => {
                let error = match status {
                    RunStatus::Failed(error) => error.as_str(),
                    RunStatus::Done => "no epoch recorded",
                };
                format!(
                    "{} seed {}: failed: {error}",
                    result.activation, result.seed
                )
            }
        };
        // Skip the batches a failed run did not train, so that the estimate stays right.
        self.bar.set_position(self.run_end);
        self.bar.suspend(|| println!("{line}"));
    }
}
