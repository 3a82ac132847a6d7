//! Reading run folders as the command line leaves them: a `train cnn` run (`metrics.json` after
//! each epoch, `progress.json` at each measurement) or a `compare` sweep (`compare.json`, and one
//! such run per activation and seed in `runs/`). Read with leaky-lab's own types; nothing here
//! writes.
//!
//! A folder's status: `running` while a process holds its lock (the PID in its `.lock` file is
//! alive; on systems without `/proc`, only for runs started by this server), `queued` while a
//! job of this server waits for it, `done` once every epoch (every run of a sweep) is recorded,
//! and otherwise `stopped` (resumable: the last finished epoch's checkpoint is there).

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::Path;

use leaky::Activation;
use leaky_lab::experiments::compare::{self, Comparison, RUNS_DIR, RunStatus, run_name};
use leaky_lab::experiments::shard;
use leaky_lab::files::progress::{PROGRESS_FILE, Progress, StepLoss};
use leaky_lab::files::run_folder::LOCK_FILE;
use leaky_lab::models::cnn::LAYER_NAMES;
use leaky_lab::training::train_cnn::{self, EpochRecord, METRICS_FILE, MODEL_FILE};
use leaky_lab::training::train_gan::{self, GENERATOR_FILE};
use leaky_lab::units::measure::StepRecord;
use serde::Serialize;

/// What a folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A `train cnn` run.
    TrainCnn,
    /// A `compare` sweep.
    Compare,
    /// A `train gan` run (listed, not drawn).
    TrainGan,
    /// Nothing yet (a job's folder before it starts).
    Empty,
}

/// Where a run (or a sweep) stands; see the module's documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A job of this server waits to write it.
    Queued,
    /// A process writes it now.
    Running,
    /// Every epoch (every run) is recorded.
    Done,
    /// Neither: it stopped part-way and can be resumed.
    Stopped,
    /// A sweep's run that has not started.
    Pending,
    /// A sweep's run that failed (its error is given).
    Failed,
}

/// What this server's job queue says about a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobSays {
    /// No job of this server is for it.
    Nothing,
    /// A job waits for it.
    Queued,
    /// A job writes it.
    Running,
}

/// One folder in the list of run folders.
#[derive(Debug, Serialize)]
pub struct Listed {
    /// Its name under the runs folder.
    pub folder: String,
    /// What it holds.
    pub kind: Kind,
    /// Where it stands.
    pub status: Status,
    /// The run (or sweep) in words, as the command line describes it.
    pub about: String,
    /// Its latest figures, in words.
    pub figures: String,
}

/// One run: a `train cnn` folder, or one activation and seed of a sweep.
#[derive(Debug, Serialize)]
pub struct Run {
    /// Its name: the folder's, or `NAME-seedS` in a sweep.
    pub name: String,
    /// The activation spec.
    pub activation: String,
    /// The seed.
    pub seed: u64,
    /// Where it stands.
    pub status: Status,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// The epochs asked for (those recorded when unknown).
    pub epochs: usize,
    /// The training steps done, as of its last measurement (0 when unknown: a run that does
    /// not measure its units writes no progress file).
    pub step: usize,
    /// The training steps of the whole run (0 when unknown).
    pub total_steps: usize,
    /// One record per finished epoch.
    pub epoch_records: Vec<EpochRecord>,
    /// The measurements of its units, in step order.
    pub measured: Vec<StepRecord>,
    /// The training loss against step.
    pub losses: Vec<StepLoss>,
}

/// The settings shared by a folder's runs (those of `train cnn`'s and `compare`'s options that
/// are not per run).
#[derive(Debug, Serialize)]
pub struct Settings {
    /// Where the digits came from, and the split.
    pub data: String,
    /// Images per mini-batch.
    pub batch: usize,
    /// Adam's learning rate in the first epoch.
    pub lr: f64,
    /// Its factor per epoch.
    pub lr_decay: f64,
    /// The largest shift of a training digit, in pixels.
    pub max_shift: u32,
    /// The initial biases of the activated layers, if not candle's random ones.
    pub bias_init: Option<f32>,
}

/// A table of strings: the folder's final table.
#[derive(Debug, Default, Serialize)]
pub struct Table {
    /// The column headings.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<String>>,
}

/// Everything the page draws of a folder.
#[derive(Debug, Serialize)]
pub struct Folder {
    /// Its name under the runs folder.
    pub folder: String,
    /// What it holds.
    pub kind: Kind,
    /// Where it stands.
    pub status: Status,
    /// The run (or sweep) in words, as the command line describes it.
    pub about: String,
    /// The settings its runs share, once its files record them.
    pub settings: Option<Settings>,
    /// The layers whose dead units are counted, in order.
    pub layers: Vec<&'static str>,
    /// Its runs, in sweep order.
    pub runs: Vec<Run>,
    /// The final table: per activation for a sweep (as `compare.md`), per epoch for a run.
    pub table: Table,
}

/// What `dir` holds.
pub fn kind(dir: &Path) -> Kind {
    if dir.join(compare::JSON_FILE).is_file() || dir.join(RUNS_DIR).is_dir() {
        Kind::Compare
    } else if [METRICS_FILE, PROGRESS_FILE, MODEL_FILE]
        .iter()
        .any(|f| dir.join(f).is_file())
    {
        match dir.join(GENERATOR_FILE).is_file() {
            true => Kind::TrainGan,
            false => Kind::TrainCnn,
        }
    } else if dir.join(GENERATOR_FILE).is_file() {
        Kind::TrainGan
    } else {
        Kind::Empty
    }
}

/// Whether a live process holds `dir`'s lock: the PID its `.lock` file names runs, and is not
/// a zombie (a killed worker whose parent died before reaping it). (A PID reused by another
/// program after the holder ended reads as running until the folder's files say it is done.)
pub fn held(dir: &Path) -> bool {
    let Ok(text) = fs::read_to_string(dir.join(LOCK_FILE)) else {
        return false;
    };
    let Ok(pid) = text.trim().parse::<u32>() else {
        return false;
    };
    // `/proc/PID/stat`: `PID (NAME) STATE ...`, the name possibly holding parentheses.
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    pid != 0 && !state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
}

/// A number that changes when any file the page reads in `dir` changes (its size or time), or
/// when a lock's holder starts or ends: what the live view polls.
pub fn fingerprint(dir: &Path, job: JobSays) -> u64 {
    let mut hasher = DefaultHasher::new();
    job.hash(&mut hasher);
    let mut folders = vec![dir.to_path_buf()];
    if let Ok(entries) = fs::read_dir(dir.join(RUNS_DIR)) {
        let mut runs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        runs.sort();
        folders.extend(runs);
    }
    for folder in folders {
        for file in [
            compare::JSON_FILE,
            METRICS_FILE,
            PROGRESS_FILE,
            MODEL_FILE,
            LOCK_FILE,
        ] {
            if let Ok(meta) = fs::metadata(folder.join(file)) {
                (file, meta.len(), meta.modified().ok()).hash(&mut hasher);
            }
        }
        held(&folder).hash(&mut hasher);
    }
    hasher.finish()
}

/// The run folders under `root`: its folders, and the folders of those that hold no run, down
/// to three levels; `job` says what the job queue knows of a folder.
pub fn list(root: &Path, job: &dyn Fn(&Path) -> JobSays) -> Vec<Listed> {
    let mut found = Vec::new();
    let mut to_visit = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = to_visit.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut children: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        children.sort();
        for child in children.into_iter().rev() {
            let says = job(&child);
            match (kind(&child), says) {
                (Kind::Empty, JobSays::Nothing) if depth < 2 => to_visit.push((child, depth + 1)),
                (Kind::Empty, JobSays::Nothing) => {}
                (kind, _) => found.push(summary(root, &child, kind, says)),
            }
        }
    }
    found.sort_by(|a, b| a.folder.cmp(&b.folder));
    found
}

/// One folder's line in the list.
fn summary(root: &Path, dir: &Path, kind: Kind, job: JobSays) -> Listed {
    let folder = super::paths::relative(root, dir);
    match kind {
        Kind::TrainCnn | Kind::Compare | Kind::Empty => {
            let read = read(&folder, dir, job);
            let figures = figures(&read);
            Listed {
                folder,
                kind: read.kind,
                status: read.status,
                about: read.about,
                figures,
            }
        }
        Kind::TrainGan => Listed {
            folder,
            kind,
            status: if held(dir) {
                Status::Running
            } else {
                Status::Stopped
            },
            about: train_gan::previous_run(dir).unwrap_or_default(),
            figures: "a GAN run (the page draws classifier runs and sweeps)".into(),
        },
    }
}

/// A folder's latest figures in words.
fn figures(folder: &Folder) -> String {
    let last = |run: &Run| {
        run.epoch_records
            .last()
            .map(|e| (e.epoch, 100.0 * e.test_accuracy))
    };
    match folder.kind {
        Kind::Compare => {
            let ended = folder
                .runs
                .iter()
                .filter(|r| matches!(r.status, Status::Done | Status::Failed))
                .count();
            let best = folder
                .runs
                .iter()
                .filter_map(|r| last(r).map(|(_, a)| (a, r.activation.as_str())))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let mut text = format!("{ended} of {} runs ended", folder.runs.len());
            if let Some((accuracy, activation)) = best {
                text += &format!("; best so far {accuracy:.2}% ({activation})");
            }
            text
        }
        _ => match folder.runs.first().and_then(last) {
            Some((epoch, accuracy)) => {
                format!("{accuracy:.2}% of the held-out digits after epoch {epoch}")
            }
            None => "no epoch finished yet".into(),
        },
    }
}

/// Reads the folder `dir`, named `folder`; `job` is what the job queue says of it.
pub fn read(folder: &str, dir: &Path, job: JobSays) -> Folder {
    let kind = kind(dir);
    let mut read = match kind {
        Kind::Compare => read_sweep(folder, dir),
        Kind::TrainCnn => {
            let run = read_run(folder, dir, None, None);
            let settings = train_cnn::read_metrics(dir).ok().map(|m| Settings {
                data: m.data,
                batch: m.batch,
                lr: m.lr,
                lr_decay: m.lr_decay,
                max_shift: m.max_shift,
                bias_init: m.bias_init,
            });
            Folder {
                folder: folder.to_string(),
                kind,
                status: run.status,
                about: train_cnn::previous_run(dir).unwrap_or_default(),
                settings,
                layers: LAYER_NAMES.to_vec(),
                table: epoch_table(&run.epoch_records),
                runs: vec![run],
            }
        }
        Kind::TrainGan | Kind::Empty => Folder {
            folder: folder.to_string(),
            kind,
            status: Status::Stopped,
            about: String::new(),
            settings: None,
            layers: LAYER_NAMES.to_vec(),
            runs: Vec::new(),
            table: Table::default(),
        },
    };
    read.status = match (job, read.status) {
        (JobSays::Running, _) => Status::Running,
        (JobSays::Queued, _) => Status::Queued,
        (JobSays::Nothing, _) if held(dir) => Status::Running,
        (JobSays::Nothing, status) => status,
    };
    read
}

/// A `train cnn` run's folder; `ended` is how a sweep recorded its end, if it did, and
/// `epochs` the sweep's epochs per run.
fn read_run(name: &str, dir: &Path, ended: Option<&RunStatus>, epochs: Option<usize>) -> Run {
    let metrics = train_cnn::read_metrics(dir).ok();
    let progress = Progress::read(dir).ok();
    let (activation, seed, epoch_records, mut measured) = match metrics {
        Some(m) => (m.activation, m.seed, m.epochs, m.measurement.steps),
        None => (String::new(), 0, Vec::new(), Vec::new()),
    };
    let (mut step, mut total_steps, mut losses, mut asked) = (0, 0, Vec::new(), epochs);
    if let Some(progress) = progress {
        step = progress.step;
        total_steps = progress.total_steps;
        losses = progress.losses;
        asked = asked.or(Some(progress.epochs));
        // Mid-epoch, the progress file has measurements that metrics.json has not yet.
        if progress.measured.len() > measured.len() {
            measured = progress.measured;
        }
    }
    let epochs = asked.unwrap_or(epoch_records.len());
    let (status, error) = match ended {
        Some(RunStatus::Done) => (Status::Done, None),
        Some(RunStatus::Failed(error)) => (Status::Failed, Some(error.clone())),
        None if held(dir) => (Status::Running, None),
        None if epochs > 0 && epoch_records.len() >= epochs => (Status::Done, None),
        None if epoch_records.is_empty() && measured.is_empty() => (Status::Pending, None),
        None => (Status::Stopped, None),
    };
    Run {
        name: name.to_string(),
        activation,
        seed,
        status,
        error,
        epochs,
        step,
        total_steps,
        epoch_records,
        measured,
        losses,
    }
}

/// A sweep's folder: its runs in sweep order (those not started yet included) and the table of
/// `compare.md`.
fn read_sweep(folder: &str, dir: &Path) -> Folder {
    let comparison = shard::load(dir);
    let mut read = Folder {
        folder: folder.to_string(),
        kind: Kind::Compare,
        status: Status::Stopped,
        about: compare::previous_sweep(dir).unwrap_or_default(),
        settings: None,
        layers: LAYER_NAMES.to_vec(),
        runs: Vec::new(),
        table: Table::default(),
    };
    let Ok(mut comparison) = comparison else {
        return read;
    };
    read.settings = Some(Settings {
        data: comparison.data.clone(),
        batch: comparison.batch,
        lr: comparison.lr,
        lr_decay: comparison.lr_decay,
        max_shift: comparison.max_shift,
        bias_init: comparison.bias_init,
    });
    for &seed in &comparison.seeds {
        for spec in &comparison.activations {
            let Ok(activation) = spec.parse::<Activation>() else {
                continue;
            };
            let name = run_name(&activation, seed);
            let ended = comparison
                .runs
                .iter()
                .find(|r| r.activation == *spec && r.seed == seed)
                .map(|r| &r.status);
            let mut run = read_run(
                &name,
                &dir.join(RUNS_DIR).join(&name),
                ended,
                Some(comparison.epochs),
            );
            run.activation.clone_from(spec);
            run.seed = seed;
            read.runs.push(run);
        }
    }
    let planned = comparison.activations.len() * comparison.seeds.len();
    if comparison.runs.len() >= planned {
        read.status = Status::Done;
    }
    comparison.summary = compare::summarise(&comparison.activations, &comparison.runs);
    read.table = sweep_table(&comparison);
    read
}

/// The table of `compare.md`, as the command line prints it at the end of a sweep.
fn sweep_table(comparison: &Comparison) -> Table {
    let markdown = compare::markdown(comparison);
    let mut rows = markdown
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_string())
                .collect::<Vec<_>>()
        })
        // The line under the headings.
        .filter(|cells| !cells.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))));
    let columns = rows.next().unwrap_or_default();
    Table {
        columns,
        rows: rows.collect(),
    }
}

/// A run's epochs: losses, accuracies (%) and dead units per layer (%).
fn epoch_table(epochs: &[EpochRecord]) -> Table {
    let mut columns: Vec<String> = [
        "epoch",
        "train loss",
        "train acc %",
        "held-out loss",
        "held-out acc %",
    ]
    .map(String::from)
    .to_vec();
    columns.extend(LAYER_NAMES.iter().map(|l| format!("dead {l} %")));
    columns.push("seconds".into());
    let rows = epochs
        .iter()
        .map(|e| {
            let mut row = vec![
                e.epoch.to_string(),
                format!("{:.4}", e.train_loss),
                format!("{:.2}", 100.0 * e.train_accuracy),
                format!("{:.4}", e.test_loss),
                format!("{:.2}", 100.0 * e.test_accuracy),
            ];
            row.extend(LAYER_NAMES.iter().enumerate().map(|(l, _)| {
                e.dead
                    .get(l)
                    .map_or("-".into(), |d| format!("{:.1}", 100.0 * d.dead))
            }));
            row.push(format!("{:.1}", e.seconds));
            row
        })
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_is_held_while_its_process_lives_and_is_not_a_zombie() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!held(dir.path()), "no lock file");
        let lock = |pid: u32| fs::write(dir.path().join(LOCK_FILE), format!("{pid}\n")).unwrap();
        lock(std::process::id());
        assert!(held(dir.path()));
        // A child that ended but is not reaped yet: a zombie.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        lock(child.id());
        let start = std::time::Instant::now();
        while held(dir.path()) {
            assert!(start.elapsed().as_secs() < 10, "the child never ended");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.wait().unwrap();
        assert!(!held(dir.path()), "reaped");
        fs::write(dir.path().join(LOCK_FILE), "").unwrap();
        assert!(!held(dir.path()), "no PID written yet");
    }
}
