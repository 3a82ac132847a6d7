//! Building a [`leaky::Activation`] from Python values, with the core's errors as `ValueError`.

use leaky::{Activation, Kind};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

/// The core's error as a `ValueError` carrying its message, the one the CLI prints.
pub fn value_error(err: leaky::Error) -> PyErr {
    PyValueError::new_err(err.to_string())
}

/// The activation kind with this canonical name (the generated functions pass canonical names;
/// anything else goes through the core's lookup and its error).
fn kind_named(name: &str) -> PyResult<Kind> {
    match Kind::ALL.iter().find(|k| k.info().name == name) {
        Some(&kind) => Ok(kind),
        None => Kind::from_name(name).map_err(value_error),
    }
}

/// The activation `name` with its parameters given positionally, in the catalogue's order: a
/// number, or a word for a parameter with choices (GELU's `approximate`).
pub fn activation_from_values(name: &str, values: &Bound<'_, PyTuple>) -> PyResult<Activation> {
    let kind = kind_named(name)?;
    let info = kind.info();
    if values.len() != info.params.len() {
        return Err(PyTypeError::new_err(format!(
            "{} takes {} parameter(s), got {}",
            info.name,
            info.params.len(),
            values.len()
        )));
    }
    let mut numbers = Vec::with_capacity(values.len());
    for (param, value) in info.params.iter().zip(values.iter()) {
        numbers.push(number_or_word(info.name, param, &value)?);
    }
    kind.with_params(&numbers).map_err(value_error)
}

/// The index of `value` among the parameter's words, ignoring case.
fn choice_index(
    activation: &str,
    param: &leaky::ParamInfo,
    value: &Bound<'_, PyAny>,
) -> PyResult<f64> {
    let Ok(word) = value.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "{activation}: {} must be one of the strings {}, not {}",
            param.name,
            quoted(param.choices),
            type_name(value)
        )));
    };
    let word = word.to_cow()?;
    param
        .choices
        .iter()
        .position(|c| c.eq_ignore_ascii_case(&word))
        .map(|i| i as f64)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "{activation}: {} = '{word}' is invalid: it must be one of {}",
                param.name,
                quoted(param.choices)
            ))
        })
}

/// Parses `spec` (with the core's parser and errors), then sets the parameters in `kwargs` by
/// their canonical name or an alias, over the spec's values.
pub fn activation_from_spec(
    spec: &str,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Activation> {
    let act: Activation = spec.parse().map_err(value_error)?;
    match kwargs {
        Some(kwargs) if !kwargs.is_empty() => with_overrides(&act, kwargs),
        _ => Ok(act),
    }
}

/// `act` with the parameters in `kwargs` replaced.
pub fn with_overrides(act: &Activation, kwargs: &Bound<'_, PyDict>) -> PyResult<Activation> {
    let kind = act.kind();
    let info = kind.info();
    let mut values = act.params();
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        let wanted = key.to_ascii_lowercase();
        let Some(index) = info
            .params
            .iter()
            .position(|p| p.name == wanted || p.aliases.contains(&wanted.as_str()))
        else {
            return Err(value_error(leaky::Error::UnknownParameter {
                activation: info.name,
                parameter: key,
                expected: info.params.iter().map(|p| p.name).collect(),
            }));
        };
        values[index] = number_or_word(info.name, &info.params[index], &value)?;
    }
    kind.with_params(&values).map_err(value_error)
}

/// A parameter's value from Python: a real number, or one of the words of a parameter with
/// choices (its index).
fn number_or_word(
    activation: &str,
    param: &leaky::ParamInfo,
    value: &Bound<'_, PyAny>,
) -> PyResult<f64> {
    if !param.choices.is_empty() {
        return choice_index(activation, param, value);
    }
    if value.is_instance_of::<PyString>() {
        return Err(not_a_number(activation, param, value));
    }
    value
        .extract::<f64>()
        .map_err(|_| not_a_number(activation, param, value))
}

fn not_a_number(activation: &str, param: &leaky::ParamInfo, value: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "{activation}: {} must be a real number, not {}",
        param.name,
        type_name(value)
    ))
}

/// `'none', 'tanh'`.
fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Python type name of `value`, for error messages.
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an unknown type".into())
}
