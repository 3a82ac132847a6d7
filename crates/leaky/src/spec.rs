//! Spec strings: `NAME` or `NAME:KEY=VALUE[,KEY=VALUE...]` parsed into an [`Activation`], names
//! looked up in the catalogue (ignoring case, `_` and `-`), and the "did you mean" of an unknown
//! name.

use std::str::FromStr;

use crate::{Activation, Error, Kind, KindInfo};

impl Kind {
    /// Finds an activation by name: canonical (`leaky_relu`) or PyTorch's (`LeakyReLU`),
    /// ignoring case, `_` and `-`.
    pub fn from_name(name: &str) -> Result<Kind, Error> {
        let wanted = normalize(name);
        Kind::ALL
            .iter()
            .copied()
            .find(|k| {
                let info = k.info();
                normalize(info.name) == wanted || normalize(info.torch_name) == wanted
            })
            .ok_or_else(|| Error::UnknownActivation {
                name: name.to_string(),
                suggestion: closest_name(&wanted),
            })
    }
}

/// Parses a spec: `NAME` or `NAME:KEY=VALUE[,KEY=VALUE...]`. A value may also be given without
/// its key, in the catalogue's order (`leaky_relu:0.2`). Unset parameters take their defaults.
impl FromStr for Activation {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self, Error> {
        let malformed = |reason: String| Error::MalformedSpec {
            spec: spec.to_string(),
            reason,
        };
        let (name, args) = match spec.split_once(':') {
            Some((name, args)) => (name.trim(), Some(args)),
            None => (spec.trim(), None),
        };
        if name.is_empty() {
            return Err(malformed("the name is empty".into()));
        }
        let kind = Kind::from_name(name)?;
        let info = kind.info();
        let mut values: Vec<f64> = info.params.iter().map(|p| p.default).collect();
        let mut given = vec![false; values.len()];
        for (position, arg) in args.into_iter().flat_map(|a| a.split(',')).enumerate() {
            let arg = arg.trim();
            if arg.is_empty() {
                return Err(malformed("an empty parameter".into()));
            }
            let (index, text) = match arg.split_once('=') {
                Some((key, text)) => (param_index(info, key.trim())?, text.trim()),
                None if position < info.params.len() => (position, arg),
                None => {
                    return Err(malformed(format!(
                        "'{arg}' has no name and {} takes {} parameter(s)",
                        info.name,
                        info.params.len()
                    )));
                }
            };
            if given[index] {
                return Err(malformed(format!(
                    "{} is given twice",
                    info.params[index].name
                )));
            }
            given[index] = true;
            let param = &info.params[index];
            values[index] = if param.choices.is_empty() {
                text.parse().map_err(|_| {
                    malformed(format!("'{text}' is not a number (for {})", param.name))
                })?
            } else {
                let word = text.to_ascii_lowercase();
                let position = param.choices.iter().position(|c| *c == word);
                position.ok_or_else(|| {
                    malformed(format!(
                        "'{text}' is not one of {} (for {})",
                        param.choices.join(", "),
                        param.name
                    ))
                })? as f64
            };
        }
        kind.with_params(&values)
    }
}

fn param_index(info: &'static KindInfo, key: &str) -> Result<usize, Error> {
    let wanted = key.to_ascii_lowercase();
    info.params
        .iter()
        .position(|p| p.name == wanted || p.aliases.contains(&wanted.as_str()))
        .ok_or_else(|| Error::UnknownParameter {
            activation: info.name,
            parameter: key.to_string(),
            expected: info.params.iter().map(|p| p.name).collect(),
        })
}

/// Lower-cases and drops `_`, `-` and spaces, so `Leaky_ReLU`, `leaky-relu` and `LeakyReLU` meet.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The canonical name closest to `wanted` (already normalized), if it is close enough to be a typo.
fn closest_name(wanted: &str) -> Option<&'static str> {
    Kind::ALL
        .iter()
        .map(|k| k.info())
        .map(|info| {
            let d = edit_distance(wanted, &normalize(info.name))
                .min(edit_distance(wanted, &normalize(info.torch_name)));
            (d, info.name)
        })
        .min_by_key(|&(d, _)| d)
        .filter(|&(d, name)| d <= 2.max(name.len() / 3))
        .map(|(_, name)| name)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}
