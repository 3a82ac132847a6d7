//! `leaky compare`: train the same CNN with several activations and seeds, in worker processes
//! (`--jobs`), or a share of them (`--shard`), or merge the shares' results (`--merge`); write
//! the results as Markdown, JSON, CSV and plots (against training step when the runs were
//! measured as they trained, against epoch otherwise).

use std::path::{Path, PathBuf};

use clap::Args;
use leaky_lab::experiments::compare::{
    self, CSV_FILE, CompareSettings, Comparison, DEFAULT_ACTIVATIONS, JSON_FILE, MARKDOWN_FILE,
    RunResult, RunStatus, STEPS_CSV_FILE, STRESS_BIAS,
};
use leaky_lab::experiments::shard::Shard;
use leaky_lab::jobs::{CompareJob, CompareReport, MergeJob};
use leaky_lab::models::cnn::LAYER_NAMES;
use leaky_lab::training::train_cnn::{CnnSettings, EpochRecord};
use leaky_plot::{Chart, Figure, Legend, Series};

use crate::cnn_options::CnnOptions;
use crate::error::CliError;
use crate::step_plots;
use crate::values::{count, start};
use crate::workers::Workers;

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
    /// Runs trained at once, each in a worker process of its own; the results are the same
    /// whatever N is [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = count)]
    jobs: Option<usize>,
    /// Train only share I of N of the runs (every Nth run from the Ith), for spreading a sweep
    /// over machines; `--merge` assembles the shares' results.
    #[arg(long, value_name = "I/N", value_parser = clap::value_parser!(Shard))]
    shard: Option<Shard>,
    /// Train nothing: assemble the results of the shards of one sweep from their output
    /// directories (every shard, each complete) into --out.
    #[arg(long, value_name = "DIR", num_args = 1.., conflicts_with_all = ["activations", "seeds", "epochs", "stress", "jobs", "shard", "resume"])]
    merge: Vec<PathBuf>,
    /// Continue the sweep in the output directory: runs that finished are kept, runs with a
    /// checkpoint continue, the others start (in a directory without a sweep, all of them).
    #[arg(long)]
    resume: bool,
    /// Replace the sweep (or the merged results) the output directory holds (without this, or
    /// --resume, a directory that holds one is refused).
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
    /// The output directory [default: runs/compare, or runs/compare-stress with --stress;
    /// a shard's default is the folder shard-I-of-N in it].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs `leaky compare`.
pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    if !args.merge.is_empty() {
        return merge(args);
    }
    let activations = compare::parse_activations(&args.activations)
        .map_err(|e| CliError::Usage(format!("--activations: {e}")))?;
    let base = CnnSettings {
        epochs: args.epochs,
        bias_init: args.stress.then_some(STRESS_BIAS),
        ..CnnSettings::default()
    };
    let job = CompareJob {
        settings: CompareSettings {
            activations,
            seeds: (1..=args.seeds as u64).collect(),
            base: args.options.changes().apply(base),
        },
        stress: args.stress,
        shard: args.shard.unwrap_or(Shard::WHOLE),
        data: args.options.data.clone(),
        out: args.out.clone(),
        start: start(args.resume, args.overwrite),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut workers = Workers::new(jobs, args.options.data.as_deref())?;
    let comparison = job.run(&mut workers, &mut Starting { jobs })?;
    finish(&comparison, &job.folder())
}

/// Prints the sweep's settings line as it starts.
struct Starting {
    jobs: usize,
}

impl CompareReport for Starting {
    fn starting(&mut self, settings: &CompareSettings, shard: Shard, data: &str, runs: usize) {
        let base = &settings.base;
        println!(
            "comparing {} activations x {} seeds on {data}{}: {runs} runs of {} epochs, batch {}, lr {} (x{} per epoch){}; {} at a time",
            settings.activations.len(),
            settings.seeds.len(),
            match shard == Shard::WHOLE {
                true => String::new(),
                false => format!(", shard {shard}"),
            },
            base.epochs,
            base.batch,
            base.lr,
            base.lr_decay,
            base.bias_init
                .map_or(String::new(), |b| format!(", initial biases {b}")),
            self.jobs
        );
    }
}

/// `leaky compare --merge DIR...`.
fn merge(args: &CompareArgs) -> Result<(), CliError> {
    let job = MergeJob {
        parts: args.merge.clone(),
        out: args.out.clone(),
        start: start(false, args.overwrite),
    };
    let (comparison, out) = job.run()?;
    println!(
        "merged {} shards: {} runs",
        job.parts.len(),
        comparison.runs.len()
    );
    finish(&comparison, &out)
}

/// Draws the plots, prints the table and the files written.
fn finish(comparison: &Comparison, out: &Path) -> Result<(), CliError> {
    let (accuracy, dead) = (out.join(ACCURACY_PLOT), out.join(DEAD_PLOT));
    let mut written = vec![
        out.join(MARKDOWN_FILE),
        out.join(JSON_FILE),
        out.join(CSV_FILE),
        out.join(STEPS_CSV_FILE),
        accuracy.clone(),
        dead.clone(),
    ];
    if step_plots::measured(comparison) {
        written.push(step_plots::draw(comparison, &accuracy, &dead, out)?);
    } else {
        draw(comparison, out)?;
    }
    print!("\n{}", table_only(&compare::markdown(comparison)));
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    println!("wrote {}", names.join(", "));
    Ok(())
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
/// per activation (means over the seeds whose runs finished): the plots of runs that were not
/// measured as they trained.
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
    accuracy.legend = Legend::Outside;
    for chart in &mut dead[..LAYER_NAMES.len() - 1] {
        chart.legend = Legend::Hidden;
    }
    dead[LAYER_NAMES.len() - 1].legend = Legend::Outside;
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
