//! The native half of the `leaky` Python package (`leaky._leaky`): the core library's activations
//! on numpy arrays and Python numbers.
//!
//! Everything numeric is done by the core crate's slice operations (`forward_slice`,
//! `forward_in_place`, `backward`, `backward_from_output`) and its scalar `derivative`; this crate
//! only turns Python objects into slices and back. The Python half (`python/leaky/`) adds one
//! function per activation, named and parameterised as in `torch.nn.functional`.

mod activation;
mod arrays;
mod params;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::activation::{PyActivation, SpecOrActivation};
use crate::arrays::{Binary, Unary};
use crate::params::activation_from_values;

/// f(x) for the activation `spec` (a spec string such as `"leaky_relu:alpha=0.2"`, or an
/// `Activation`), elementwise.
#[pyfunction]
#[pyo3(signature = (spec, x, *, out=None))]
fn forward<'py>(
    spec: SpecOrActivation,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    arrays::unary(&spec.resolve()?, Unary::Forward, x, out)
}

/// f'(x) for the activation `spec`, elementwise, by the scalar definition.
#[pyfunction]
#[pyo3(signature = (spec, x, *, out=None))]
fn derivative<'py>(
    spec: SpecOrActivation,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    arrays::unary(&spec.resolve()?, Unary::Derivative, x, out)
}

/// The gradient with respect to the input, `grad * f'(x)`, for the activation `spec`.
#[pyfunction]
#[pyo3(signature = (spec, grad, x, *, out=None))]
fn backward<'py>(
    spec: SpecOrActivation,
    grad: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    arrays::binary(&spec.resolve()?, Binary::Backward, grad, x, out)
}

/// The gradient with respect to the input computed from the output `y = f(x)`.
#[pyfunction]
#[pyo3(signature = (spec, grad, y, *, out=None))]
fn backward_from_output<'py>(
    spec: SpecOrActivation,
    grad: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    arrays::binary(&spec.resolve()?, Binary::BackwardFromOutput, grad, y, out)
}

/// The generated functions' forward: `name` is a canonical activation name, `values` its
/// parameters in the catalogue's order (a word for a parameter with choices).
#[pyfunction]
fn _forward<'py>(
    name: &str,
    values: &Bound<'py, PyTuple>,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let act = activation_from_values(name, values)?;
    arrays::unary(&act, Unary::Forward, x, out)
}

/// The generated functions' backward (`leaky_relu_backward` and the others).
#[pyfunction]
fn _backward<'py>(
    name: &str,
    values: &Bound<'py, PyTuple>,
    grad: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let act = activation_from_values(name, values)?;
    arrays::binary(&act, Binary::Backward, grad, x, out)
}

/// The core's catalogue: one dict per activation with its names, parameters and formulas, in
/// the order `leaky list` shows them. The Python functions are generated from it.
#[pyfunction]
fn catalogue(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for kind in leaky::Kind::ALL {
        let info = kind.info();
        let params = PyList::empty(py);
        for p in info.params {
            let param = PyDict::new(py);
            param.set_item("name", p.name)?;
            param.set_item("aliases", p.aliases.to_vec())?;
            match p.choices.get(p.default as usize) {
                Some(word) if !p.choices.is_empty() => param.set_item("default", *word)?,
                _ => param.set_item("default", p.default)?,
            }
            param.set_item("doc", p.doc)?;
            param.set_item("choices", p.choices.to_vec())?;
            params.append(param)?;
        }
        let entry = PyDict::new(py);
        entry.set_item("name", info.name)?;
        entry.set_item("torch_name", info.torch_name)?;
        entry.set_item("params", params)?;
        entry.set_item("formula", info.formula)?;
        entry.set_item("derivative", info.derivative)?;
        entry.set_item("piecewise_linear", kind.is_piecewise_linear())?;
        list.append(entry)?;
    }
    Ok(list)
}

/// The native module.
#[pymodule]
fn _leaky(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyActivation>()?;
    m.add_function(wrap_pyfunction!(forward, m)?)?;
    m.add_function(wrap_pyfunction!(derivative, m)?)?;
    m.add_function(wrap_pyfunction!(backward, m)?)?;
    m.add_function(wrap_pyfunction!(backward_from_output, m)?)?;
    m.add_function(wrap_pyfunction!(_forward, m)?)?;
    m.add_function(wrap_pyfunction!(_backward, m)?)?;
    m.add_function(wrap_pyfunction!(catalogue, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DETACH_MIN_ELEMENTS", arrays::DETACH_MIN)?;
    // A forked child has none of its parent's threads (`arrays::after_fork_in_child`).
    let os = m.py().import("os")?;
    if let Ok(register) = os.getattr("register_at_fork") {
        let kwargs = PyDict::new(m.py());
        kwargs.set_item(
            "after_in_child",
            wrap_pyfunction!(arrays::after_fork_in_child, m)?,
        )?;
        register.call((), Some(&kwargs))?;
    }
    Ok(())
}
