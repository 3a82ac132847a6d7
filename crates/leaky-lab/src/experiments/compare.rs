//! Comparing activations on one network: the same CNN trained with each activation and seed
//! (for a seed, the same initial weights and the same order of digits whatever the activation),
//! summarised per activation. Runs that fail (a diverging loss, say) are recorded as failed and
//! the sweep goes on. A sweep resumed ([`Start::Resume`]) keeps the runs that finished, continues
//! those with a checkpoint, and starts the others.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use leaky::Activation;
use serde::{Deserialize, Serialize};

use crate::data::dataset::Split;
use crate::error::LabError;
use crate::experiments::shard::Shard;
use crate::files::atomic;
use crate::files::metrics::write_json;
use crate::files::run_folder::{RunFolder, Start};
use crate::models::cnn::{LAYER_NAMES, LAYERS};
use crate::training::train_cnn::{
    CnnProgress, CnnResume, CnnSettings, EpochRecord, TrainedRun, previous_run, read_run, train_cnn,
};
use crate::units::measure::{LayerRevival, Measurement};

/// The activations compared by default: those the article names, LeakyReLU's variants, and the
/// smooth ones in use today.
pub const DEFAULT_ACTIVATIONS: &str =
    "relu,leaky_relu,leaky_relu:alpha=0.2,prelu,elu,gelu,silu,sigmoid,tanh";
/// The initial bias of the activated layers under `--stress`: every ReLU unit of the hidden
/// layer starts negative on every digit, gets no gradient, and never recovers, so a ReLU network
/// does not learn; LeakyReLU's units still get α times the gradient and climb back.
pub const STRESS_BIAS: f32 = -2.0;
/// The summary files' names in the output directory.
pub const MARKDOWN_FILE: &str = "compare.md";
/// The JSON file: settings, every run's epochs, and the summary.
pub const JSON_FILE: &str = "compare.json";
/// The CSV file: one row per run and epoch.
pub const CSV_FILE: &str = "compare.csv";
/// The CSV file of the measurements: one row per run and measured step.
pub const STEPS_CSV_FILE: &str = "compare-steps.csv";
/// The folder, in a sweep's folder, of the runs' folders.
pub const RUNS_DIR: &str = "runs";

/// What to compare.
#[derive(Clone, Debug)]
pub struct CompareSettings {
    /// The activations, in the order of the tables.
    pub activations: Vec<Activation>,
    /// The seeds; each activation is trained once per seed.
    pub seeds: Vec<u64>,
    /// The settings of every run, except its activation and seed.
    pub base: CnnSettings,
}

impl CompareSettings {
    /// The settings of one run.
    pub fn run(&self, activation: Activation, seed: u64) -> CnnSettings {
        CnnSettings {
            activation,
            seed,
            ..self.base.clone()
        }
    }

    /// The number of runs.
    pub fn runs(&self) -> usize {
        self.activations.len() * self.seeds.len()
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", content = "error", rename_all = "snake_case")]
pub enum RunStatus {
    /// It trained every epoch.
    Done,
    /// It stopped with this error.
    Failed(String),
}

/// One activation and seed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    /// The activation spec.
    pub activation: String,
    /// The seed.
    pub seed: u64,
    /// How it ended.
    #[serde(flatten)]
    pub status: RunStatus,
    /// The command that re-runs it alone, when its trainer has one ([`Trainer::rerun_command`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its output directory (checkpoint and metrics).
    pub out: PathBuf,
    /// The epochs it finished.
    pub epochs: Vec<EpochRecord>,
    /// Its units measured as it trained (empty for a failed run, or one recorded before).
    #[serde(flatten)]
    pub measurement: Measurement,
}

/// Mean and sample standard deviation (0 for a single value).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// The mean.
    pub mean: f64,
    /// The sample standard deviation.
    pub std: f64,
}

impl Spread {
    /// The spread of `values`, or `None` if there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = if values.len() > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Some(Spread {
            mean,
            std: var.sqrt(),
        })
    }
}

/// One activation's results over its seeds (those of the runs that finished).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The activation spec.
    pub activation: String,
    /// Runs that finished.
    pub done: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Final held-out accuracy.
    pub test_accuracy: Option<Spread>,
    /// Final training loss (mean over the last epoch).
    pub train_loss: Option<Spread>,
    /// Final held-out loss.
    pub test_loss: Option<Spread>,
    /// Final dead fraction per layer (conv1, conv2, hidden).
    pub dead: Vec<Option<Spread>>,
    /// Seconds per epoch.
    pub seconds_per_epoch: Option<Spread>,
}

/// The whole comparison, as written to `compare.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comparison {
    /// Where the digits came from.
    pub data: String,
    /// Whether this is the `--stress` setting.
    pub stress: bool,
    /// Epochs per run.
    pub epochs: usize,
    /// Images per batch.
    pub batch: usize,
    /// Adam's first learning rate.
    pub lr: f64,
    /// Its factor per epoch.
    pub lr_decay: f64,
    /// Training shifts, in pixels.
    pub max_shift: u32,
    /// The initial biases of the activated layers, if set.
    pub bias_init: Option<f32>,
    /// The activation specs, in the order of the tables.
    pub activations: Vec<String>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// The share of the sweep these runs are, if not all of it (`--shard I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Per activation, over the seeds (recomputed from the runs, not read back).
    #[serde(skip_deserializing)]
    pub summary: Vec<Summary>,
    /// Every run that ended, in sweep order.
    pub runs: Vec<RunResult>,
}

/// One run of a sweep as planned: its place in the whole sweep, its settings and its folder.
#[derive(Clone, Debug)]
pub struct PlannedRun {
    /// Its index in the whole sweep, from 0: seeds in order, and within a seed the activations in
    /// order (the same index whatever the shard).
    pub index: usize,
    /// Its settings.
    pub settings: CnnSettings,
    /// Its output directory (checkpoint and metrics).
    pub out: PathBuf,
    /// What its training does with what its folder holds: [`Start::Fresh`] in a new sweep,
    /// [`Start::Resume`] for a run to continue in a resumed one, [`Start::Overwrite`] otherwise.
    pub start: Start,
}

impl CompareSettings {
    /// The runs of `shard` of the sweep, each in `out/runs/NAME-seedS` ([`run_name`]), in
    /// sweep order, each to start fresh.
    pub fn plan(&self, out: &Path, shard: Shard) -> Vec<PlannedRun> {
        let pairs = self
            .seeds
            .iter()
            .flat_map(|&seed| self.activations.iter().map(move |&a| (a, seed)));
        pairs
            .enumerate()
            .filter(|&(index, _)| shard.holds(index))
            .map(|(index, (activation, seed))| PlannedRun {
                index,
                settings: self.run(activation, seed),
                out: out.join(RUNS_DIR).join(run_name(&activation, seed)),
                start: Start::Fresh,
            })
            .collect()
    }
}

/// How a run ended: what it recorded, or why it failed.
pub type Outcome = Result<TrainedRun, String>;

/// Trains the runs of a sweep: one after another in this process ([`InProcess`]), or
/// elsewhere and several at once (the command line's worker processes).
pub trait Trainer {
    /// Trains every run of `runs` on `data`, calling `finished` with the run's position in
    /// `runs` and its outcome as each ends, in any order; stops at the first error `finished`
    /// returns.
    fn train_all(
        &mut self,
        runs: &[PlannedRun],
        data: &Split,
        finished: &mut dyn FnMut(usize, Outcome) -> Result<(), LabError>,
    ) -> Result<(), LabError>;

    /// How a user trains `run` alone again, if this trainer has a way to say it (a command
    /// line): the reports list it.
    fn rerun_command(&self, run: &PlannedRun) -> Option<String>;
}

/// Follows an [`InProcess`] sweep: each run's batches through [`CnnProgress`], and its start
/// and end.
pub trait CompareProgress: CnnProgress {
    /// `run`, number `position` (from 0) of the `total` to train here, starts.
    fn run_started(&mut self, run: &PlannedRun, position: usize, total: usize);
    /// It ended.
    fn run_done(&mut self, run: &PlannedRun, outcome: &Outcome);
}

/// Trains the runs one after another in this process.
pub struct InProcess<'a> {
    /// Where the progress goes.
    pub progress: &'a mut dyn CompareProgress,
}

impl Trainer for InProcess<'_> {
    fn train_all(
        &mut self,
        runs: &[PlannedRun],
        data: &Split,
        finished: &mut dyn FnMut(usize, Outcome) -> Result<(), LabError>,
    ) -> Result<(), LabError> {
        for (position, run) in runs.iter().enumerate() {
            self.progress.run_started(run, position, runs.len());
            let outcome = self.train(run, data).map_err(|err| err.to_string());
            self.progress.run_done(run, &outcome);
            finished(position, outcome)?;
        }
        Ok(())
    }

    /// None: a run trained in a program has no command line.
    fn rerun_command(&self, _run: &PlannedRun) -> Option<String> {
        None
    }
}

impl InProcess<'_> {
    /// Claims the run's folder and trains it, or continues it.
    fn train(&mut self, run: &PlannedRun, data: &Split) -> Result<TrainedRun, LabError> {
        let folder = RunFolder::claim(&run.out, run.start, previous_run)?;
        let resume = match run.start {
            Start::Resume => Some(CnnResume::load(&run.out)?),
            Start::Fresh | Start::Overwrite => None,
        };
        let metrics = train_cnn(&run.settings, data, &folder, resume, self.progress)?;
        Ok(TrainedRun {
            epochs: metrics.epochs,
            measurement: metrics.measurement,
        })
    }
}

/// Trains the runs of `shard` of the sweep with `trainer`, each into `out/runs/NAME-seedS/`,
/// rewriting `compare.json`, `compare.csv`, `compare-steps.csv` and `compare.md` in `out` at the start and as each
/// run ends (atomically, the runs in sweep order whatever order they end in), on `data`;
/// `stress` only labels the results: the settings are in
/// `settings.base`. With [`Start::Resume`], a run whose folder records it finished
/// ([`read_run`]) is kept as it is, one with a checkpoint of fewer epochs continues, and the
/// others start afresh; with [`Start::Overwrite`], every run starts afresh in its folder.
pub fn compare(
    settings: &CompareSettings,
    stress: bool,
    shard: Shard,
    data: &Split,
    out: &RunFolder,
    start: Start,
    trainer: &mut dyn Trainer,
) -> Result<Comparison, LabError> {
    let base = &settings.base;
    let mut comparison = Comparison {
        data: data.source.clone(),
        stress,
        epochs: base.epochs,
        batch: base.batch,
        lr: base.lr,
        lr_decay: base.lr_decay,
        max_shift: base.max_shift,
        bias_init: base.bias_init,
        activations: settings.activations.iter().map(|a| a.to_string()).collect(),
        seeds: settings.seeds.clone(),
        shard: (shard != Shard::WHOLE).then_some(shard),
        summary: Vec::new(),
        runs: Vec::new(),
    };
    let mut plan = settings.plan(out.path(), shard);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.len()];
    for (run, outcome) in plan.iter_mut().zip(&mut outcomes) {
        run.start = match start {
            Start::Fresh | Start::Overwrite => start,
            Start::Resume => match read_run(&run.out, &run.settings, &data.source) {
                Ok(trained) => {
                    *outcome = Some(Ok(trained));
                    Start::Resume
                }
                // A checkpoint is continued only if it has epochs to go: one that has them all
                // beside metrics that do not (damaged, or for other settings) is trained again.
                Err(_) => match CnnResume::load(&run.out) {
                    Ok(resume) if resume.settings.epochs < run.settings.epochs => Start::Resume,
                    _ => Start::Overwrite,
                },
            },
        };
    }
    let commands: Vec<Option<String>> = plan.iter().map(|r| trainer.rerun_command(r)).collect();
    let record = |comparison: &mut Comparison, outcomes: &[Option<Outcome>]| {
        comparison.runs = plan
            .iter()
            .zip(outcomes)
            .zip(&commands)
            .filter_map(|((run, outcome), command)| {
                Some(result(run, outcome.clone()?, command.clone()))
            })
            .collect();
        comparison.summary = summarise(&comparison.activations, &comparison.runs);
        write(comparison, out.path())
    };
    record(&mut comparison, &outcomes)?;
    let (to_train, positions): (Vec<PlannedRun>, Vec<usize>) = plan
        .iter()
        .zip(&outcomes)
        .enumerate()
        .filter(|(_, (_, outcome))| outcome.is_none())
        .map(|(position, (run, _))| (run.clone(), position))
        .unzip();
    trainer.train_all(&to_train, data, &mut |position, outcome| {
        outcomes[positions[position]] = Some(outcome);
        record(&mut comparison, &outcomes)
    })?;
    Ok(comparison)
}

/// The sweep that `dir` holds, in words (its activations, seeds, epochs and the runs that
/// ended, from its `compare.json`, or else the count of its run folders), or `None` when it
/// holds neither: what [`RunFolder::claim`] needs to refuse replacing it.
pub fn previous_sweep(dir: &Path) -> Option<String> {
    if dir.join(JSON_FILE).exists() {
        return Some(match crate::experiments::shard::load(dir) {
            Ok(c) => format!(
                "a `compare` sweep ({} with seeds {:?}, {} epochs; {} runs ended)",
                c.activations.join(","),
                c.seeds,
                c.epochs,
                c.runs.len()
            ),
            Err(err) => format!("a {JSON_FILE} that cannot be read ({err})"),
        });
    }
    let runs = std::fs::read_dir(dir.join(RUNS_DIR)).ok()?.count();
    (runs > 0).then(|| format!("the folders of {runs} `compare` runs in {RUNS_DIR}/"))
}

/// The record of a run that ended.
fn result(run: &PlannedRun, outcome: Outcome, command: Option<String>) -> RunResult {
    let (status, trained) = match outcome {
        Ok(trained) => (RunStatus::Done, trained),
        Err(error) => (RunStatus::Failed(error), TrainedRun::default()),
    };
    RunResult {
        activation: run.settings.activation.to_string(),
        seed: run.settings.seed,
        status,
        command,
        out: run.out.clone(),
        epochs: trained.epochs,
        measurement: trained.measurement,
    }
}

/// Splits a comma-separated list of specs, as `DEFAULT_ACTIVATIONS` is written
/// (`relu,leaky_relu:alpha=0.2,hardtanh:min=-2,max=2`): a piece with `=` but no `:` continues
/// the spec before it. An empty entry, a spec that does not parse, or one listed twice is an
/// error, in one line.
pub fn parse_activations(text: &str) -> Result<Vec<Activation>, String> {
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
            return Err(format!("empty entry in '{text}'"));
        }
        let activation: Activation = spec.parse().map_err(|e| format!("{e}"))?;
        if activations.contains(&activation) {
            return Err(format!("{activation} is listed twice"));
        }
        activations.push(activation);
    }
    Ok(activations)
}

/// A run's folder name: the spec with characters other than letters, digits, `.`, `_` and `-`
/// replaced (`leaky_relu:alpha=0.2` → `leaky_relu-alpha-0.2`), then `-seedS`.
pub fn run_name(activation: &Activation, seed: u64) -> String {
    let spec: String = activation
        .to_string()
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '-',
        })
        .collect();
    format!("{spec}-seed{seed}")
}

/// One [`Summary`] per activation, from the runs so far.
pub fn summarise(activations: &[String], runs: &[RunResult]) -> Vec<Summary> {
    activations
        .iter()
        .map(|name| {
            let mine: Vec<&RunResult> = runs.iter().filter(|r| &r.activation == name).collect();
            let last: Vec<&EpochRecord> = mine
                .iter()
                .filter(|r| r.status == RunStatus::Done)
                .filter_map(|r| r.epochs.last())
                .collect();
            let spread = |value: &dyn Fn(&EpochRecord) -> f64| {
                Spread::of(&last.iter().map(|r| value(r)).collect::<Vec<_>>())
            };
            let seconds: Vec<f64> = mine
                .iter()
                .filter(|r| r.status == RunStatus::Done)
                .flat_map(|r| r.epochs.iter().map(|e| e.seconds))
                .collect();
            Summary {
                activation: name.clone(),
                done: last.len(),
                failed: mine.len() - last.len(),
                test_accuracy: spread(&|r| r.test_accuracy),
                train_loss: spread(&|r| r.train_loss),
                test_loss: spread(&|r| r.test_loss),
                dead: (0..LAYERS)
                    .map(|l| spread(&|r| r.dead.get(l).map_or(f64::NAN, |d| d.dead)))
                    .collect(),
                seconds_per_epoch: Spread::of(&seconds),
            }
        })
        .collect()
}

/// Writes `compare.json`, `compare.csv`, `compare-steps.csv` and `compare.md` into `out`, each
/// atomically.
pub fn write(comparison: &Comparison, out: &Path) -> Result<(), LabError> {
    write_json(&out.join(JSON_FILE), comparison)?;
    atomic::write(&out.join(CSV_FILE), csv(comparison).as_bytes())?;
    atomic::write(&out.join(STEPS_CSV_FILE), steps_csv(comparison).as_bytes())?;
    atomic::write(&out.join(MARKDOWN_FILE), markdown(comparison).as_bytes())
}

/// One row per run and finished epoch (a failed run's row has its error and no figures), with
/// the run's settings, so that any row can be re-run alone.
pub fn csv(comparison: &Comparison) -> String {
    let mut text = String::from(
        "activation,seed,status,epoch,train_loss,train_accuracy,test_loss,test_accuracy,",
    );
    for layer in LAYER_NAMES {
        write!(text, "dead_{layer},").expect("writing to a String");
    }
    text.push_str("seconds,epochs,batch,lr,lr_decay,max_shift,bias_init,error\n");
    let c = comparison;
    let settings = format!(
        "{},{},{},{},{},{}",
        c.epochs,
        c.batch,
        c.lr,
        c.lr_decay,
        c.max_shift,
        c.bias_init.map_or(String::new(), |b| b.to_string())
    );
    for run in &c.runs {
        let activation = quote(&run.activation);
        match &run.status {
            RunStatus::Done => {
                for e in &run.epochs {
                    write!(
                        text,
                        "{activation},{},done,{},{},{},{},{},",
                        run.seed,
                        e.epoch,
                        e.train_loss,
                        e.train_accuracy,
                        e.test_loss,
                        e.test_accuracy
                    )
                    .expect("writing to a String");
                    for l in 0..LAYERS {
                        let dead = e.dead.get(l).map_or(String::new(), |d| d.dead.to_string());
                        write!(text, "{dead},").expect("writing to a String");
                    }
                    writeln!(text, "{},{settings},", e.seconds).expect("writing to a String");
                }
            }
            RunStatus::Failed(error) => {
                writeln!(
                    text,
                    "{activation},{},failed,,,,,,{}{settings},{}",
                    run.seed,
                    ",".repeat(LAYERS + 1),
                    quote(error)
                )
                .expect("writing to a String");
            }
        }
    }
    text
}

/// One row per run and measured step: the accuracy on the measured digits and, per layer, the
/// dead, nearly dead and zero-gradient fractions (see [`crate::units::measure`]).
pub fn steps_csv(comparison: &Comparison) -> String {
    let mut text = String::from("activation,seed,step,accuracy");
    for layer in LAYER_NAMES {
        write!(
            text,
            ",dead_{layer},nearly_dead_{layer},zero_gradient_{layer}"
        )
        .expect("writing to a String");
    }
    text.push('\n');
    for run in &comparison.runs {
        let activation = quote(&run.activation);
        for step in &run.measurement.steps {
            write!(
                text,
                "{activation},{},{},{}",
                run.seed, step.step, step.accuracy
            )
            .expect("writing to a String");
            for layer in &step.layers {
                write!(
                    text,
                    ",{},{},{}",
                    layer.dead, layer.nearly_dead, layer.zero_gradient
                )
                .expect("writing to a String");
            }
            text.push('\n');
        }
    }
    text
}

/// A CSV field, quoted if it holds a comma, a quote or a line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The Markdown report: the settings, a table per activation, failed runs, and how to re-run.
pub fn markdown(comparison: &Comparison) -> String {
    let c = comparison;
    let mut text = String::new();
    let kind = if c.stress { " (stress setting)" } else { "" };
    writeln!(text, "# Activations compared on the CNN{kind}\n").expect("writing to a String");
    writeln!(
        text,
        "{} epochs per run, batch {}, Adam lr {} (x{} per epoch), shifts up to {} px, initial biases {}, seeds {:?}; data: {}.\n",
        c.epochs,
        c.batch,
        c.lr,
        c.lr_decay,
        c.max_shift,
        c.bias_init
            .map_or("random (candle's default)".to_string(), |b| b.to_string()),
        c.seeds,
        c.data
    )
    .expect("writing to a String");
    text.push_str(
        "Mean ± standard deviation over the seeds, after the last epoch. A unit is dead when its \
         pre-activation is ≤ 0 on every held-out digit.\n\n",
    );
    text.push_str("| activation | runs | held-out accuracy (%) | train loss | held-out loss |");
    for layer in LAYER_NAMES {
        write!(text, " dead {layer} (%) |").expect("writing to a String");
    }
    text.push_str(" s/epoch |\n|---|---|---|---|---|");
    text.push_str(&"---|".repeat(LAYERS + 1));
    text.push('\n');
    for s in &c.summary {
        let runs = match s.failed {
            0 => s.done.to_string(),
            f => format!("{} (+{f} failed)", s.done),
        };
        write!(
            text,
            "| {} | {runs} | {} | {} | {} |",
            s.activation,
            show(s.test_accuracy, 100.0, 2),
            show(s.train_loss, 1.0, 4),
            show(s.test_loss, 1.0, 4)
        )
        .expect("writing to a String");
        for d in &s.dead {
            write!(text, " {} |", show(*d, 100.0, 1)).expect("writing to a String");
        }
        writeln!(text, " {} |", show(s.seconds_per_epoch, 1.0, 1)).expect("writing to a String");
    }
    revival_table(&mut text, c);
    let failed: Vec<&RunResult> = c
        .runs
        .iter()
        .filter(|r| r.status != RunStatus::Done)
        .collect();
    if !failed.is_empty() {
        text.push_str("\n## Failed runs\n\n");
        for run in failed {
            if let RunStatus::Failed(error) = &run.status {
                writeln!(text, "- {} seed {}: {error}", run.activation, run.seed)
                    .expect("writing to a String");
            }
        }
    }
    let commands: Vec<&str> = c.runs.iter().filter_map(|r| r.command.as_deref()).collect();
    if !commands.is_empty() {
        text.push_str("\n## Re-running one row\n\nEach run's checkpoint and metrics are in its folder; this re-runs it alone:\n\n");
        for command in commands {
            writeln!(text, "    {command}").expect("writing to a String");
        }
    }
    text
}

/// The revival table: per activation and layer, the dead units of its finished runs added up
/// over the seeds, and how many came back; nothing when no run was measured.
fn revival_table(text: &mut String, c: &Comparison) {
    if c.runs.iter().all(|r| r.measurement.revival.is_empty()) {
        return;
    }
    text.push_str(
        "\n## Revival\n\nUnits dead at step 0 (before the first update) and at the layer's worst \
         measurement, and how many of them are alive at the end, added up over the seeds; lost for \
         good: dead at the end and at every measurement since they died, as a share of the \
         layer's units. Measured on the first held-out digits every few steps.\n\n",
    );
    text.push_str(
        "| activation | layer | dead at step 0 | revived | dead at worst | revived | lost for good |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for activation in &c.activations {
        let revivals: Vec<&Vec<LayerRevival>> = c
            .runs
            .iter()
            .filter(|r| &r.activation == activation && r.status == RunStatus::Done)
            .map(|r| &r.measurement.revival)
            .filter(|r| !r.is_empty())
            .collect();
        for (l, layer) in LAYER_NAMES.iter().enumerate() {
            let sum = |count: fn(&LayerRevival) -> usize| -> usize {
                revivals.iter().filter_map(|r| r.get(l)).map(count).sum()
            };
            if revivals.iter().all(|r| r.get(l).is_none()) {
                continue;
            }
            let share = |part: usize, whole: usize| match whole {
                0 => "-".to_string(),
                _ => format!("{} ({:.0}%)", part, 100.0 * part as f64 / whole as f64),
            };
            let units = sum(|r| r.units);
            writeln!(
                text,
                "| {activation} | {layer} | {} of {units} | {} | {} | {} | {} |",
                sum(|r| r.dead_at_start),
                share(sum(|r| r.revived_from_start), sum(|r| r.dead_at_start)),
                sum(|r| r.dead_at_worst),
                share(sum(|r| r.revived_from_worst), sum(|r| r.dead_at_worst)),
                share(sum(|r| r.dead_for_good), units),
            )
            .expect("writing to a String");
        }
    }
}

/// `mean ± std` scaled, or `-` when there is nothing to show.
fn show(spread: Option<Spread>, scale: f64, decimals: usize) -> String {
    match spread {
        Some(s) if s.mean.is_finite() => format!(
            "{:.decimals$} ± {:.decimals$}",
            s.mean * scale,
            s.std * scale
        ),
        _ => "-".into(),
    }
}
