//! `leaky.Activation`: an activation with its parameters, built from a spec string.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use leaky::Activation;
use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::arrays::{self, Binary, Unary};
use crate::params::{activation_from_spec, type_name, with_overrides};

/// An activation function with its parameters, validated.
///
/// ``Activation("leaky_relu:alpha=0.2")``, ``Activation("leaky_relu", negative_slope=0.2)``,
/// ``Activation("LeakyReLU")`` and ``Activation("gelu", approximate="tanh")`` all work: a spec
/// is ``NAME`` or ``NAME:KEY=VALUE[,KEY=VALUE...]`` as in the ``leaky`` command line, and
/// keyword arguments set parameters by their name or PyTorch's, over the spec's. Unset ones
/// take their defaults; bad ones raise ``ValueError`` with the command line's message.
///
/// Parameters are attributes (``act.alpha``, and PyTorch's names: ``act.negative_slope``);
/// ``str(act)`` is the spec, which parses back to an equal activation.
#[pyclass(name = "Activation", module = "leaky", frozen)]
pub struct PyActivation {
    pub inner: Activation,
}

#[pymethods]
impl PyActivation {
    #[new]
    #[pyo3(signature = (spec = None, **params), text_signature = "(spec='leaky_relu', **params)")]
    fn new(spec: Option<&Bound<'_, PyAny>>, params: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let Some(spec) = spec else {
            return Ok(PyActivation {
                inner: activation_from_spec("leaky_relu", params)?,
            });
        };
        if let Ok(other) = spec.cast::<PyActivation>() {
            let inner = match params {
                Some(params) if !params.is_empty() => with_overrides(&other.get().inner, params)?,
                _ => other.get().inner,
            };
            return Ok(PyActivation { inner });
        }
        let Ok(text) = spec.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "Activation() takes a spec string such as 'leaky_relu:alpha=0.2', not {}",
                type_name(spec)
            )));
        };
        Ok(PyActivation {
            inner: activation_from_spec(&text.to_cow()?, params)?,
        })
    }

    /// f(x), elementwise. ``out=x`` computes in place.
    #[pyo3(signature = (x, *, out=None))]
    fn forward<'py>(
        &self,
        x: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        arrays::unary(&self.inner, Unary::Forward, x, out)
    }

    /// f(x), elementwise: the same as ``forward``.
    #[pyo3(signature = (x, *, out=None))]
    fn __call__<'py>(
        &self,
        x: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        arrays::unary(&self.inner, Unary::Forward, x, out)
    }

    /// f'(x), elementwise, by the scalar definition (PyTorch's value at the kinks; the ``dy``
    /// column of ``leaky eval``).
    #[pyo3(signature = (x, *, out=None))]
    fn derivative<'py>(
        &self,
        x: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        arrays::unary(&self.inner, Unary::Derivative, x, out)
    }

    /// The gradient with respect to the input: ``grad * f'(x)`` (for the piecewise-linear
    /// functions a select, as in PyTorch: LeakyReLU gives ``x > 0 ? grad : grad*alpha``).
    /// ``grad`` and ``x`` have the same shape.
    #[pyo3(signature = (grad, x, *, out=None))]
    fn backward<'py>(
        &self,
        grad: &Bound<'py, PyAny>,
        x: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        arrays::binary(&self.inner, Binary::Backward, grad, x, out)
    }

    /// The gradient with respect to the input computed from the output ``y = f(x)``, for when
    /// the input was overwritten by an in-place forward. Defined where f' can be told from
    /// f(x) (ReLU; LeakyReLU and PReLU with a slope >= 0; RReLU; sigmoid; tanh; ELU with
    /// alpha >= 0; SELU; CELU; Softsign; Hardtanh; ReLU6; Hardsigmoid); ``ValueError`` elsewhere.
    #[pyo3(signature = (grad, y, *, out=None))]
    fn backward_from_output<'py>(
        &self,
        grad: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        arrays::binary(&self.inner, Binary::BackwardFromOutput, grad, y, out)
    }

    /// The canonical name, as in ``torch.nn.functional`` (``leaky_relu``).
    #[getter]
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// PyTorch's module class name (``LeakyReLU``).
    #[getter]
    fn torch_name(&self) -> &'static str {
        self.inner.kind().info().torch_name
    }

    /// The spec: the canonical name and every parameter (``leaky_relu:alpha=0.01``).
    #[getter]
    fn spec(&self) -> String {
        self.inner.to_string()
    }

    /// The parameters by canonical name, in the catalogue's order (a word for GELU's
    /// ``approximate``).
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        let info = self.inner.kind().info();
        for (param, value) in info.params.iter().zip(self.inner.params()) {
            dict.set_item(param.name, param_value(py, param, value)?)?;
        }
        Ok(dict)
    }

    /// The forward formula, in plain text.
    #[getter]
    fn formula(&self) -> &'static str {
        self.inner.kind().info().formula
    }

    /// The derivative's formula, with its value at the kinks.
    #[getter]
    fn derivative_formula(&self) -> &'static str {
        self.inner.kind().info().derivative
    }

    /// Whether the function is piecewise linear (bit-exact against PyTorch, and its backward is
    /// a select) rather than smooth.
    #[getter]
    fn is_piecewise_linear(&self) -> bool {
        self.inner.kind().is_piecewise_linear()
    }

    /// A parameter by its canonical name (``alpha``) or one of its aliases (``negative_slope``).
    fn __getattr__<'py>(&self, py: Python<'py>, attr: &str) -> PyResult<Bound<'py, PyAny>> {
        let info = self.inner.kind().info();
        let found = info
            .params
            .iter()
            .zip(self.inner.params())
            .find(|(p, _)| p.name == attr || p.aliases.contains(&attr));
        match found {
            Some((param, value)) => param_value(py, param, value),
            None => Err(PyAttributeError::new_err(format!(
                "'Activation' object ({}) has no attribute '{attr}'",
                info.name
            ))),
        }
    }

    fn __dir__(slf: &Bound<'_, Self>) -> PyResult<Vec<String>> {
        let mut names: Vec<String> = slf
            .get_type()
            .dir()?
            .iter()
            .map(|n| n.extract::<String>())
            .collect::<PyResult<_>>()?;
        for param in slf.get().inner.kind().info().params {
            names.push(param.name.to_string());
            names.extend(param.aliases.iter().map(|a| a.to_string()));
        }
        Ok(names)
    }

    fn __repr__(&self) -> String {
        let info = self.inner.kind().info();
        let mut text = format!("Activation('{}'", info.name);
        for (param, value) in info.params.iter().zip(self.inner.params()) {
            match param.choices.get(value as usize) {
                Some(word) if !param.choices.is_empty() => {
                    text.push_str(&format!(", {}='{word}'", param.name))
                }
                _ => text.push_str(&format!(", {}={}", param.name, python_float(value))),
            }
        }
        text.push(')');
        text
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyActivation>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.inner.to_string().hash(&mut hasher);
        hasher.finish()
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let args = PyTuple::new(py, [slf.get().inner.to_string()])?;
        Ok((slf.get_type().into_any(), args))
    }
}

/// A parameter's value as Python sees it: a float, or the word for a parameter with choices.
fn param_value<'py>(
    py: Python<'py>,
    param: &leaky::ParamInfo,
    value: f64,
) -> PyResult<Bound<'py, PyAny>> {
    match param.choices.get(value as usize) {
        Some(word) if !param.choices.is_empty() => Ok(PyString::new(py, word).into_any()),
        _ => Ok(value.into_pyobject(py)?.into_any()),
    }
}

/// `value` as Python's `repr` writes a float (`0.2`, `1.0`, `1e-05`, `inf`).
fn python_float(value: f64) -> String {
    let text = format!("{value:?}");
    match text.as_str() {
        "inf" | "-inf" | "NaN" => format!("float('{}')", text.to_lowercase()),
        _ => text,
    }
}

/// An argument that names an activation: an `Activation`, or a spec string.
pub struct SpecOrActivation(Activation);

impl SpecOrActivation {
    /// The activation.
    pub fn resolve(&self) -> PyResult<Activation> {
        Ok(self.0)
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for SpecOrActivation {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(act) = obj.cast::<PyActivation>() {
            return Ok(SpecOrActivation(act.get().inner));
        }
        if let Ok(text) = obj.cast::<PyString>() {
            return activation_from_spec(&text.to_cow()?, None).map(SpecOrActivation);
        }
        Err(PyTypeError::new_err(format!(
            "expected an Activation or a spec string such as 'leaky_relu:alpha=0.2', not {}",
            type_name(&obj)
        )))
    }
}
