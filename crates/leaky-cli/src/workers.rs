//! `leaky compare`'s worker processes: each run of a sweep is `leaky train cnn` (this same
//! binary, with the run's settings spelled out) in a process of its own, `jobs` at a time.
//!
//! A run gives the same figures whichever worker trains it and however many train beside it:
//! its result depends on its settings only (every reduction of leaky's ops is in a fixed order,
//! whatever the thread count). A worker writes its output to `train.log` in its run folder;
//! a failed run's error is the last `leaky: error:` line there. The sweep's process holds the
//! sweep folder's lock, and each worker the lock of its own run folder.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use leaky_lab::LabError;
use leaky_lab::data::dataset::Split;
use leaky_lab::experiments::compare::{Outcome, PlannedRun, Trainer};
use leaky_lab::files::run_folder::Start;
use leaky_lab::training::train_cnn::{CnnSettings, read_run};
use leaky_lab::units::measure::Measure;

use crate::progress::dead_units;

/// The log file of a worker in its run folder.
const LOG_FILE: &str = "train.log";
/// How often the pool looks for workers that ended.
const POLL: Duration = Duration::from_millis(20);

/// Trains a sweep's runs in `jobs` worker processes at once, each with `threads` threads.
pub struct Workers {
    exe: PathBuf,
    jobs: usize,
    threads: usize,
    data: Option<PathBuf>,
}

impl Workers {
    /// `jobs` workers sharing the machine's cores; `data` is the MNIST directory, if not the
    /// embedded digits.
    pub fn new(jobs: usize, data: Option<&Path>) -> Result<Self, LabError> {
        let exe = std::env::current_exe().map_err(|e| {
            LabError::Settings(format!(
                "cannot find the leaky binary to start workers: {e}"
            ))
        })?;
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Workers {
            exe,
            jobs,
            threads: (cores / jobs).max(1),
            data: data.map(Path::to_path_buf),
        })
    }

    fn start(&self, run: &PlannedRun) -> Result<Child, LabError> {
        let write_error = |source| LabError::Write {
            path: run.out.join(LOG_FILE),
            source,
        };
        std::fs::create_dir_all(&run.out).map_err(write_error)?;
        // A resumed run's log goes on after the lines of its earlier part.
        let log = OpenOptions::new()
            .create(true)
            .write(true)
            .append(run.start == Start::Resume)
            .truncate(run.start != Start::Resume)
            .open(run.out.join(LOG_FILE))
            .map_err(write_error)?;
        let mut command = Command::new(&self.exe);
        command.args(self.train_args(run));
        match run.start {
            Start::Fresh => {}
            Start::Resume => {
                command.arg("--resume");
            }
            Start::Overwrite => {
                command.arg("--overwrite");
            }
        }
        command
            .env("RAYON_NUM_THREADS", self.threads.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().map_err(write_error)?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                LabError::Settings(format!(
                    "cannot start a worker ({}): {e}",
                    self.exe.display()
                ))
            })
    }
}

/// The workers still running, each with its position in the plan and start time; killed if the
/// sweep stops early (an error, a panic), so that none outlives it.
struct Running(Vec<(usize, Child, Instant)>);

impl Drop for Running {
    fn drop(&mut self) {
        for (_, child, _) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Trainer for Workers {
    fn train_all(
        &mut self,
        runs: &[PlannedRun],
        data: &Split,
        finished: &mut dyn FnMut(usize, Outcome) -> Result<(), LabError>,
    ) -> Result<(), LabError> {
        let bar = sweep_bar(runs.len());
        let mut running = Running(Vec::new());
        let mut next = 0;
        loop {
            while running.0.len() < self.jobs && next < runs.len() {
                let child = self.start(&runs[next])?;
                running.0.push((next, child, Instant::now()));
                next += 1;
            }
            let names: Vec<String> = running.0.iter().map(|(i, ..)| name(&runs[*i])).collect();
            bar.set_message(names.join(", "));
            let Some(ended) = find_ended(&mut running.0)? else {
                if running.0.is_empty() {
                    break;
                }
                thread::sleep(POLL);
                continue;
            };
            let (position, _, start) = running.0.remove(ended.0);
            let run = &runs[position];
            let outcome = if ended.1 {
                read_run(&run.out, &run.settings, &data.source).map_err(|e| e.to_string())
            } else {
                Err(worker_error(&run.out))
            };
            bar.suspend(|| println!("{}", report(run, &outcome, start)));
            bar.inc(1);
            finished(position, outcome)?;
        }
        bar.finish_and_clear();
        Ok(())
    }

    fn rerun_command(&self, run: &PlannedRun) -> Option<String> {
        Some(format!("leaky {}", self.train_args(run).join(" ")))
    }
}

impl Workers {
    /// The arguments of `leaky` that train `run` alone (`train cnn` with every setting spelled
    /// out, and the data): what a worker runs, and the command each row of the report gives.
    fn train_args(&self, run: &PlannedRun) -> Vec<String> {
        let mut args = settings_args(&run.settings, &run.out);
        if let Some(data) = &self.data {
            args.extend(["--data".to_string(), data.display().to_string()]);
        }
        args
    }
}

/// `train cnn` with `run`'s settings into `out`.
fn settings_args(run: &CnnSettings, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["train", "cnn", "--activation"].map(String::from).into();
    args.push(run.activation.to_string());
    for (flag, value) in [
        ("--seed", run.seed.to_string()),
        ("--epochs", run.epochs.to_string()),
        ("--batch", run.batch.to_string()),
        ("--lr", run.lr.to_string()),
        ("--lr-decay", run.lr_decay.to_string()),
        ("--max-shift", run.max_shift.to_string()),
    ] {
        args.extend([flag.to_string(), value]);
    }
    if let Some(bias) = run.bias_init {
        args.extend(["--bias-init".to_string(), bias.to_string()]);
    }
    match run.measure {
        Measure::Auto => {}
        Measure::Every(k) => args.extend(["--measure-every".to_string(), k.to_string()]),
        Measure::Off => args.push("--no-measure".to_string()),
    }
    args.extend(["--out".to_string(), out.display().to_string()]);
    args
}

/// The first worker that ended, as its index in `running` and whether it succeeded.
fn find_ended(running: &mut [(usize, Child, Instant)]) -> Result<Option<(usize, bool)>, LabError> {
    for (i, (_, child, _)) in running.iter_mut().enumerate() {
        let status = child
            .try_wait()
            .map_err(|e| LabError::Settings(format!("cannot follow a worker: {e}")))?;
        if let Some(status) = status {
            return Ok(Some((i, status.success())));
        }
    }
    Ok(None)
}

/// The error a failed worker reported (its last `leaky: error:` line), or how it ended.
fn worker_error(out: &Path) -> String {
    let log = std::fs::read_to_string(out.join(LOG_FILE)).unwrap_or_default();
    log.lines()
        .rev()
        .find_map(|line| line.strip_prefix("leaky: error: "))
        .map_or_else(
            || {
                format!(
                    "the worker stopped without an error message (see {})",
                    out.join(LOG_FILE).display()
                )
            },
            str::to_string,
        )
}

fn name(run: &PlannedRun) -> String {
    format!("{} seed {}", run.settings.activation, run.settings.seed)
}

/// One line per finished run: its held-out accuracy and dead units, or its error.
fn report(run: &PlannedRun, outcome: &Outcome, start: Instant) -> String {
    match outcome {
        Ok(trained) => match trained.epochs.last() {
            Some(last) => format!(
                "{}: held-out accuracy {:.2}%, dead units: {} ({:.0} s)",
                name(run),
                100.0 * last.test_accuracy,
                dead_units(&last.dead),
                start.elapsed().as_secs_f64()
            ),
            None => format!("{}: no epoch recorded", name(run)),
        },
        Err(error) => format!("{}: failed: {error}", name(run)),
    }
}

/// One bar over the runs, with the ones in progress and the estimate of the time left.
fn sweep_bar(runs: usize) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "[{bar:30}] {pos}/{len} runs, {msg}, elapsed {elapsed}, eta {eta}",
    )
    .expect("the template is valid")
    .progress_chars("=> ");
    ProgressBar::new(runs as u64).with_style(style)
}
