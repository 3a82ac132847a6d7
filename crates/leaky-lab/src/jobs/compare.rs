//! The comparison jobs: [`CompareJob`] trains a sweep (or a shard of one), [`MergeJob`]
//! assembles the shards' results.

use std::path::PathBuf;

use super::load_data;
use crate::LabError;
use crate::experiments::compare::{self, CompareSettings, Comparison, Trainer};
use crate::experiments::shard::{self, Shard};
use crate::files::run_folder::{RunFolder, Start};

/// Follows a [`CompareJob`] until its runs start (the trainer reports on them).
pub trait CompareReport {
    /// The sweep starts: `runs` runs of `settings` (those of its shard) on the digits named
    /// `data`.
    fn starting(&mut self, settings: &CompareSettings, shard: Shard, data: &str, runs: usize);
}

/// The default folder of a sweep: `runs/compare`, or `runs/compare-stress` for the stress
/// setting.
pub fn default_sweep_folder(stress: bool) -> PathBuf {
    match stress {
        true => "runs/compare-stress".into(),
        false => "runs/compare".into(),
    }
}

/// Compares activations on the CNN: trains the runs of `shard` of the sweep, each in its own
/// folder under the sweep's, and writes the results as each run ends
/// ([`compare::compare`]).
#[derive(Clone, Debug)]
pub struct CompareJob {
    /// The activations, seeds and the settings of every run.
    pub settings: CompareSettings,
    /// Whether the settings are the stress setting (it labels the results).
    pub stress: bool,
    /// The share of the sweep to train.
    pub shard: Shard,
    /// Full MNIST's directory, or `None` for the embedded digits.
    pub data: Option<PathBuf>,
    /// The sweep's folder; by default [`default_sweep_folder`], and for a shard its folder
    /// `shard-I-of-N` in it.
    pub out: Option<PathBuf>,
    /// What to do with a sweep the folder already holds.
    pub start: Start,
}

impl CompareJob {
    /// The folder the results go to.
    pub fn folder(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let sweep = default_sweep_folder(self.stress);
            match self.shard == Shard::WHOLE {
                true => sweep,
                false => sweep.join(format!(
                    "shard-{}-of-{}",
                    self.shard.index, self.shard.count
                )),
            }
        })
    }

    /// Loads the digits, checks the settings, claims the folder and trains the runs with
    /// `trainer`; returns the results as written.
    pub fn run(
        &self,
        trainer: &mut dyn Trainer,
        report: &mut dyn CompareReport,
    ) -> Result<Comparison, LabError> {
        let data = load_data(self.data.as_deref())?;
        let base = &self.settings.base;
        base.measure.interval(base.steps(data.train.len()))?;
        let out = self.folder();
        let folder = RunFolder::claim(&out, self.start, compare::previous_sweep)?;
        let runs = self.settings.plan(&out, self.shard).len();
        report.starting(&self.settings, self.shard, &data.source, runs);
        compare::compare(
            &self.settings,
            self.stress,
            self.shard,
            &data,
            &folder,
            self.start,
            trainer,
        )
    }
}

/// Assembles the results of the shards of one sweep, each from its folder, into one folder:
/// every shard must be there, complete ([`shard::merge`]).
#[derive(Clone, Debug)]
pub struct MergeJob {
    /// The shards' folders.
    pub parts: Vec<PathBuf>,
    /// The folder of the merged results; by default the sweep's ([`default_sweep_folder`]).
    pub out: Option<PathBuf>,
    /// What to do with results the folder already holds ([`Start::Resume`] is not a merge's).
    pub start: Start,
}

impl MergeJob {
    /// Reads and checks the shards, claims the folder, and writes the merged results; returns
    /// them and the folder.
    pub fn run(&self) -> Result<(Comparison, PathBuf), LabError> {
        let parts = self
            .parts
            .iter()
            .map(|dir| Ok((dir.clone(), shard::load(dir)?)))
            .collect::<Result<Vec<_>, LabError>>()?;
        let comparison = shard::merge(&parts)?;
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| default_sweep_folder(comparison.stress));
        let _folder = RunFolder::claim(&out, self.start, compare::previous_sweep)?;
        compare::write(&comparison, &out)?;
        Ok((comparison, out))
    }
}
