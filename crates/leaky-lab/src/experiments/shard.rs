//! Splitting a sweep across processes or machines: the runs that shard `I/N` holds, and the
//! shards' results merged back into one [`Comparison`].
//!
//! Shard `I` of `N` holds the runs whose index in the whole sweep is `I - 1` modulo `N`, so
//! that each shard gets a share of every activation. A merge checks that its parts are the
//! shards of one sweep (the same settings, no shard twice, none missing, each complete) and
//! names the shard at fault otherwise: no run is ever silently left out.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::LabError;
use crate::experiments::compare::{Comparison, JSON_FILE, RunResult, RunStatus, summarise};
use crate::files::metrics::read_json;

/// How many missing shards a failed merge names.
const MISSING_SHOWN: usize = 10;

/// Shard `index` (from 1) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedShard")]
pub struct Shard {
    /// Which share, from 1 to `count`.
    pub index: usize,
    /// Into how many shares the sweep is split.
    pub count: usize,
}

/// A shard as read from a results file, before [`Shard::new`] checks it.
#[derive(Deserialize)]
struct UncheckedShard {
    index: usize,
    count: usize,
}

impl TryFrom<UncheckedShard> for Shard {
    type Error = String;

    fn try_from(shard: UncheckedShard) -> Result<Self, Self::Error> {
        Shard::new(shard.index, shard.count)
    }
}

impl Shard {
    /// The whole sweep: shard 1 of 1.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Shard `index` of `count`, which must be from 1 to `count`.
    pub fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "shard {index}/{count}: I must be from 1 to N, and N at least 1"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether run `run` (its index in the whole sweep, from 0) belongs to this shard.
    pub fn holds(&self, run: usize) -> bool {
        run % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with 1 ≤ I ≤ N.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = |part: &str| part.trim().parse::<usize>().ok();
        let Some((Some(index), Some(count))) = text
            .split_once('/')
            .map(|(index, count)| (number(index), number(count)))
        else {
            return Err(format!("'{text}' is not I/N (for example 2/4)"));
        };
        Shard::new(index, count)
    }
}

/// Reads the `compare.json` of a sweep's (or a shard's) output directory.
pub fn load(dir: &Path) -> Result<Comparison, LabError> {
    let path = dir.join(JSON_FILE);
    read_json(&path, "the results of `leaky compare`")
        .map_err(|message| LabError::Results { path, message })
}

/// The sweep whose shards are `parts` (each with the directory it was read from), its runs in
/// sweep order and its summary recomputed. Fails, naming the directory or the shard, when the
/// parts are not the shards of one sweep, when one is given twice or missing, or when one is
/// incomplete (a run of its share has no result, or a finished run lacks epochs).
pub fn merge(parts: &[(PathBuf, Comparison)]) -> Result<Comparison, LabError> {
    let Some((first_dir, first)) = parts.first() else {
        return Err(LabError::Settings("nothing to merge".into()));
    };
    let count = first.shard.unwrap_or(Shard::WHOLE).count;
    // By shard index; not a vector of `count` slots, since the count comes from a file.
    let mut holders: BTreeMap<usize, &Path> = BTreeMap::new();
    for (dir, part) in parts {
        let differs = settings_difference(first, part);
        if let Some(what) = differs {
            return Err(LabError::Settings(format!(
                "{} and {} are not shards of one sweep: {what}",
                first_dir.display(),
                dir.display()
            )));
        }
        let shard = part.shard.unwrap_or(Shard::WHOLE);
        if let Some(other) = holders.insert(shard.index, dir) {
            return Err(LabError::Settings(format!(
                "shard {shard} is given twice: {} and {}",
                other.display(),
                dir.display()
            )));
        }
        let expected = expected_runs(part, shard);
        let got: Vec<(&str, u64)> = part
            .runs
            .iter()
            .map(|r| (r.activation.as_str(), r.seed))
            .collect();
        if got != expected {
            let missing: Vec<String> = expected
                .iter()
                .filter(|run| !got.contains(run))
                .map(|(activation, seed)| format!("{activation} seed {seed}"))
                .collect();
            return Err(LabError::Settings(format!(
                "shard {shard} in {} is incomplete or altered ({} of {} runs; missing: {}): \
                 resume its sweep to finish it",
                dir.display(),
                got.len(),
                expected.len(),
                if missing.is_empty() {
                    "none, but the runs differ".to_string()
                } else {
                    missing.join(", ")
                }
            )));
        }
        let epochs = |run: &RunResult| run.epochs.iter().map(|e| e.epoch).collect::<Vec<_>>();
        if let Some(run) = part.runs.iter().find(|run| {
            run.status == RunStatus::Done && !epochs(run).into_iter().eq(1..=part.epochs)
        }) {
            return Err(LabError::Settings(format!(
                "shard {shard} in {} is incomplete or altered: {} seed {} is marked done with \
                 epochs {:?} of {}",
                dir.display(),
                run.activation,
                run.seed,
                epochs(run),
                part.epochs
            )));
        }
    }
    if holders.len() < count {
        let missing: Vec<String> = (1..=count)
            .filter(|index| !holders.contains_key(index))
            .take(MISSING_SHOWN)
            .map(|index| format!("{index}/{count}"))
            .collect();
        let more = count - holders.len() - missing.len();
        return Err(LabError::Settings(format!(
            "shard{} {}{} missing: give the folder of every shard of the sweep",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )));
    }
    let mut runs: Vec<_> = parts.iter().flat_map(|(_, p)| p.runs.clone()).collect();
    let order = |activation: &str, seed: u64| {
        let a = first.activations.iter().position(|x| x == activation);
        let s = first.seeds.iter().position(|&x| x == seed);
        (s, a)
    };
    runs.sort_by_key(|r| order(&r.activation, r.seed));
    Ok(Comparison {
        shard: None,
        summary: summarise(&first.activations, &runs),
        runs,
        ..first.clone()
    })
}

/// The `(activation, seed)` of each run that `shard` of `sweep` holds, in sweep order.
fn expected_runs(sweep: &Comparison, shard: Shard) -> Vec<(&str, u64)> {
    let pairs = sweep.seeds.iter().flat_map(|&seed| {
        sweep
            .activations
            .iter()
            .map(move |activation| (activation.as_str(), seed))
    });
    pairs
        .enumerate()
        .filter(|&(index, _)| shard.holds(index))
        .map(|(_, pair)| pair)
        .collect()
}

/// The first setting in which two parts of a sweep differ, as `name a vs b`.
fn settings_difference(a: &Comparison, b: &Comparison) -> Option<String> {
    let count = |c: &Comparison| c.shard.unwrap_or(Shard::WHOLE).count;
    let pairs = [
        ("data", a.data.clone(), b.data.clone()),
        ("stress", a.stress.to_string(), b.stress.to_string()),
        ("epochs", a.epochs.to_string(), b.epochs.to_string()),
        ("batch", a.batch.to_string(), b.batch.to_string()),
        ("lr", a.lr.to_string(), b.lr.to_string()),
        ("lr_decay", a.lr_decay.to_string(), b.lr_decay.to_string()),
        (
            "max_shift",
            a.max_shift.to_string(),
            b.max_shift.to_string(),
        ),
        (
            "bias_init",
            format!("{:?}", a.bias_init),
            format!("{:?}", b.bias_init),
        ),
        (
            "activations",
            a.activations.join(","),
            b.activations.join(","),
        ),
        ("seeds", format!("{:?}", a.seeds), format!("{:?}", b.seeds)),
        ("shard count", count(a).to_string(), count(b).to_string()),
    ];
    pairs
        .into_iter()
        .find(|(_, x, y)| x != y)
        .map(|(name, x, y)| format!("{name} {x} vs {y}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_split_every_run_once() {
        let shard: Shard = "2/3".parse().unwrap();
        assert_eq!(shard, Shard { index: 2, count: 3 });
        assert_eq!(shard.to_string(), "2/3");
        for bad in ["3/2", "0/2", "1/0", "x", "1/", "/2", "1/2/3", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (1..=3).map(|index| Shard { index, count: 3 }).collect();
        for run in 0..20 {
            let holders = shards.iter().filter(|s| s.holds(run)).count();
            assert_eq!(holders, 1, "run {run}");
        }
        assert!((0..20).all(|run| Shard::WHOLE.holds(run)));
    }
}
