//! Runs started from the page: each job is the `leaky` program itself run as a child process
//! (`leaky train cnn ...` or `leaky compare ...` into a folder under `--runs`), so that a job is
//! exactly a command-line run: the same folder, the same files, the same messages. One job runs
//! at a time; the others wait in order (first in, first out). A job goes on when the page is
//! closed; cancelling it kills its process group (a sweep's workers too), which leaves the
//! checkpoint of its last finished epoch to resume from. Stopping the server stops its running
//! job the same way.
//!
//! A job's output goes to `serve.log` in its folder; a failed job's error is the last
//! `leaky: error:` line there.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use leaky::Activation;
use leaky_lab::LabError;
use leaky_lab::experiments::compare::{self, parse_activations};
use leaky_lab::jobs::default_sweep_folder;
use leaky_lab::training::train_cnn;
use leaky_show::shown;
use serde::{Deserialize, Serialize};

use super::folders::{self, JobSays};
use super::paths;
use crate::failure::Failure;

/// A job's log file in its folder.
pub const LOG_FILE: &str = "serve.log";
/// The most epochs a job may ask for.
pub const MAX_EPOCHS: usize = 1000;
/// The most seeds a sweep may ask for.
pub const MAX_SEEDS: usize = 100;
/// How many ended jobs the queue remembers.
const KEPT: usize = 20;

/// The commands a job can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// `leaky train cnn`.
    TrainCnn,
    /// `leaky compare`.
    Compare,
}

/// A request to start a job, as the page posts it (JSON). Fields left out take the command
/// line's defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// Which command.
    pub kind: JobKind,
    /// The folder under `--runs` [default: the command's: `cnn`, `compare`, `compare-stress`].
    pub folder: Option<String>,
    /// `train cnn --activation`.
    pub activation: Option<String>,
    /// `compare --activations` (comma-separated specs).
    pub activations: Option<String>,
    /// `--epochs`.
    pub epochs: Option<usize>,
    /// `train cnn --seed`.
    pub seed: Option<u64>,
    /// `compare --seeds`.
    pub seeds: Option<usize>,
    /// `compare --stress`.
    #[serde(default)]
    pub stress: bool,
    /// `--resume`.
    #[serde(default)]
    pub resume: bool,
    /// `--overwrite`.
    #[serde(default)]
    pub overwrite: bool,
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// It waits for the job before it.
    Queued,
    /// Its process runs.
    Running,
    /// Its process ended well.
    Done,
    /// Its process failed (the error is given).
    Failed,
    /// It was cancelled.
    Cancelled,
}

/// A job, as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Job {
    /// Its number, from 1.
    pub id: u64,
    /// Its command.
    pub kind: JobKind,
    /// Its folder under `--runs`.
    pub folder: String,
    /// The command line it runs (after the program).
    pub args: Vec<String>,
    /// Where it stands.
    pub state: JobState,
    /// Why it failed.
    pub error: Option<String>,
    /// Its folder's path.
    #[serde(skip)]
    dir: PathBuf,
}

/// The jobs: the one running, those waiting, and the last ones that ended.
pub struct Queue {
    program: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// Every job remembered, in the order asked.
    jobs: VecDeque<Job>,
    /// The running job's number and its process (and process group) ID.
    running: Option<(u64, u32)>,
}

impl Queue {
    /// A queue whose jobs run `program` (the `leaky` binary).
    pub fn new(program: PathBuf) -> Queue {
        Queue {
            program,
            state: Mutex::new(State {
                next_id: 1,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding it cannot leave the state half-changed: every change is one
        // assignment.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every job remembered, in the order asked.
    pub fn jobs(&self) -> Vec<Job> {
        self.lock().jobs.iter().cloned().collect()
    }

    /// What the queue says of the folder `dir`: a waiting or running job writes it, or a folder
    /// inside it, or the sweep it is in.
    pub fn says(&self, dir: &Path) -> JobSays {
        let state = self.lock();
        let mut says = JobSays::Nothing;
        for job in &state.jobs {
            if job.dir.starts_with(dir) || dir.starts_with(&job.dir) {
                match job.state {
                    JobState::Running => return JobSays::Running,
                    JobState::Queued => says = JobSays::Queued,
                    _ => {}
                }
            }
        }
        says
    }

    /// Checks `request`, creates its folder under `root` and queues it; starts it if nothing
    /// runs. A bad request is a 400 with the command line's message; a folder that another job
    /// or process writes, or that holds a run not to be resumed or replaced, a 409.
    pub fn submit(self: &Arc<Self>, root: &Path, request: JobRequest) -> Result<Job, Failure> {
        let (kind, folder, options) = command(&request)?;
        let dir = paths::resolve(root, &folder)?;
        let conflict = |message: String| Failure(StatusCode::CONFLICT, message);
        let mut state = self.lock();
        if let Some(other) = state.jobs.iter().find(|j| {
            matches!(j.state, JobState::Queued | JobState::Running)
                && (j.dir.starts_with(&dir) || dir.starts_with(&j.dir))
        }) {
            return Err(conflict(format!(
                "folder '{}' is written by job {} ({}), which is {}",
                shown(&folder),
                other.id,
                other.folder,
                if other.state == JobState::Running {
                    "running"
                } else {
                    "queued"
                }
            )));
        }
        if folders::held(&dir) {
            let pid = fs::read_to_string(dir.join(leaky_lab::files::run_folder::LOCK_FILE))
                .ok()
                .and_then(|t| t.trim().parse().ok());
            let dir = PathBuf::from(&folder);
            return Err(conflict(LabError::Locked { dir, pid }.to_string()));
        }
        if !request.resume && !request.overwrite {
            let previous = match kind {
                JobKind::TrainCnn => train_cnn::previous_run(&dir),
                JobKind::Compare => compare::previous_sweep(&dir),
            };
            if let Some(run) = previous {
                let dir = PathBuf::from(&folder);
                return Err(conflict(LabError::Occupied { dir, run }.to_string()));
            }
        }
        fs::create_dir_all(&dir).map_err(|e| {
            Failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot create the folder '{}': {e}", shown(&folder)),
            )
        })?;
        let mut args: Vec<String> = match kind {
            JobKind::TrainCnn => vec!["train".into(), "cnn".into()],
            JobKind::Compare => vec!["compare".into()],
        };
        args.extend(["--out".into(), dir.display().to_string()]);
        args.extend(options);
        let job = Job {
            id: state.next_id,
            kind,
            folder,
            args,
            state: JobState::Queued,
            error: None,
            dir,
        };
        state.next_id += 1;
        state.jobs.push_back(job.clone());
        self.start_next(&mut state);
        forget_old(&mut state);
        let started = state.jobs.iter().find(|j| j.id == job.id).cloned();
        Ok(started.unwrap_or(job))
    }

    /// Cancels job `id`: a waiting one is taken off the queue, a running one's processes are
    /// killed. An unknown job is a 404; one that has ended, a 409.
    pub fn cancel(self: &Arc<Self>, id: u64) -> Result<Job, Failure> {
        let mut state = self.lock();
        let running = state.running;
        let Some(job) = state.jobs.iter_mut().find(|j| j.id == id) else {
            return Err(Failure(StatusCode::NOT_FOUND, format!("no job {id}")));
        };
        match job.state {
            JobState::Queued => job.state = JobState::Cancelled,
            JobState::Running => {
                job.state = JobState::Cancelled;
                if let Some((running_id, pid)) = running
                    && running_id == id
                {
                    kill_group(pid);
                }
            }
            ended => {
                return Err(Failure(
                    StatusCode::CONFLICT,
                    format!("job {id} has already ended ({})", state_name(ended)),
                ));
            }
        }
        Ok(job.clone())
    }

    /// Kills the running job's processes, if one runs.
    pub fn stop(&self) {
        if let Some((_, pid)) = self.lock().running {
            kill_group(pid);
        }
    }

    /// Starts the first waiting job if none runs (and the next, if that one cannot start).
    fn start_next(self: &Arc<Self>, state: &mut State) {
        while state.running.is_none() {
            let Some(job) = state.jobs.iter_mut().find(|j| j.state == JobState::Queued) else {
                return;
            };
            match spawn(&self.program, job) {
                Ok(child) => {
                    job.state = JobState::Running;
                    let pid = child.id().unwrap_or(0);
                    state.running = Some((job.id, pid));
                    tokio::spawn(Arc::clone(self).wait(job.id, job.dir.clone(), child));
                }
                Err(error) => {
                    job.state = JobState::Failed;
                    job.error = Some(error);
                }
            }
        }
    }

    /// Waits for job `id`'s process, records how it ended and starts the next job.
    async fn wait(self: Arc<Self>, id: u64, dir: PathBuf, mut child: tokio::process::Child) {
        let status = child.wait().await;
        let error = match &status {
            Ok(status) if status.success() => None,
            Ok(status) => Some(last_error(&dir).unwrap_or_else(|| format!("it {status}"))),
            Err(e) => Some(format!("cannot wait for its process: {e}")),
        };
        let mut state = self.lock();
        state.running = None;
        if let Some(job) = state.jobs.iter_mut().find(|j| j.id == id)
            && job.state == JobState::Running
        {
            job.state = match error {
                None => JobState::Done,
                Some(_) => JobState::Failed,
            };
            job.error = error;
        }
        self.start_next(&mut state);
        forget_old(&mut state);
    }
}

/// The job's kind, folder and options (the command line after the command and `--out`),
/// checked as the command line checks its arguments.
fn command(request: &JobRequest) -> Result<(JobKind, String, Vec<String>), Failure> {
    let not_for = |field: &str, given: bool| match given {
        true => Err(Failure::bad(format!(
            "'{field}' is not an option of {}",
            match request.kind {
                JobKind::TrainCnn => "train_cnn (it takes activation, epochs, seed)",
                JobKind::Compare => "compare (it takes activations, seeds, epochs, stress)",
            }
        ))),
        false => Ok(()),
    };
    if request.resume && request.overwrite {
        return Err(Failure::bad(
            "the argument '--resume' cannot be used with '--overwrite'",
        ));
    }
    let epochs = request
        .epochs
        .map(|n| at_least_one("--epochs <EPOCHS>", n, MAX_EPOCHS))
        .transpose()?;
    let mut args: Vec<String> = Vec::new();
    let folder = match request.kind {
        JobKind::TrainCnn => {
            not_for("activations", request.activations.is_some())?;
            not_for("seeds", request.seeds.is_some())?;
            not_for("stress", request.stress)?;
            if let Some(spec) = &request.activation {
                let activation: Activation = spec.parse().map_err(|e| {
                    Failure::bad(format!(
                        "invalid value '{}' for '--activation <SPEC>': {e}",
                        shown(spec)
                    ))
                })?;
                args.extend(["--activation".into(), activation.to_string()]);
            }
            if let Some(seed) = request.seed {
                args.extend(["--seed".into(), seed.to_string()]);
            }
            "cnn".to_string()
        }
        JobKind::Compare => {
            not_for("activation", request.activation.is_some())?;
            not_for("seed", request.seed.is_some())?;
            if let Some(text) = &request.activations {
                let activations = parse_activations(text)
                    .map_err(|e| Failure::bad(format!("--activations: {e}")))?;
                let specs: Vec<String> = activations.iter().map(|a| a.to_string()).collect();
                args.extend(["--activations".into(), specs.join(",")]);
            }
            if let Some(seeds) = request.seeds {
                at_least_one("--seeds <N>", seeds, MAX_SEEDS)?;
                args.extend(["--seeds".into(), seeds.to_string()]);
            }
            if request.stress {
                args.push("--stress".into());
            }
            let sweep = default_sweep_folder(request.stress);
            let name = sweep.file_name().expect("a folder name");
            name.to_string_lossy().into_owned()
        }
    };
    if let Some(epochs) = epochs {
        args.extend(["--epochs".into(), epochs.to_string()]);
    }
    if request.resume {
        args.push("--resume".into());
    }
    if request.overwrite {
        args.push("--overwrite".into());
    }
    Ok((request.kind, request.folder.clone().unwrap_or(folder), args))
}

/// `n` if it is from 1 to `max`, else the command line's message for `flag`.
fn at_least_one(flag: &str, n: usize, max: usize) -> Result<usize, Failure> {
    match n {
        0 => Err(Failure::bad(format!(
            "invalid value '0' for '{flag}': must be at least 1"
        ))),
        n if n > max => Err(Failure::bad(format!(
            "invalid value '{n}' for '{flag}': must be at most {max} here"
        ))),
        n => Ok(n),
    }
}

/// Starts `program` with the job's arguments, its output to its log, in a process group of
/// its own (so that cancelling it reaches a sweep's workers).
fn spawn(program: &Path, job: &Job) -> Result<tokio::process::Child, String> {
    let log = File::create(job.dir.join(LOG_FILE))
        .map_err(|e| format!("cannot write {LOG_FILE} in its folder: {e}"))?;
    let log_too = log
        .try_clone()
        .map_err(|e| format!("cannot write {LOG_FILE} in its folder: {e}"))?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(&job.args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_too);
    #[cfg(unix)]
    command.process_group(0);
    command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))
}

/// Kills the process group `pid` leads (the job's process and its workers).
fn kill_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        // SAFETY: kill has no memory effects; a group that has already ended gives ESRCH.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// The last `leaky: error:` line of a job's log, without that prefix.
fn last_error(dir: &Path) -> Option<String> {
    let log = fs::read_to_string(dir.join(LOG_FILE)).ok()?;
    log.lines()
        .rev()
        .find_map(|l| l.strip_prefix("leaky: error: "))
        .map(str::to_string)
}

fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Queued => "queued",
        JobState::Running => "running",
        JobState::Done => "done",
        JobState::Failed => "failed",
        JobState::Cancelled => "cancelled",
    }
}

/// Forgets the oldest ended jobs beyond [`KEPT`].
fn forget_old(state: &mut State) {
    let ended = |j: &Job| !matches!(j.state, JobState::Queued | JobState::Running);
    while state.jobs.iter().filter(|j| ended(j)).count() > KEPT {
        let Some(oldest) = state.jobs.iter().position(ended) else {
            return;
        };
        state.jobs.remove(oldest);
    }
}
