//! Python objects in, the core's slice operations, Python objects out.
//!
//! Inputs are numpy arrays of float16, bfloat16 (`ml_dtypes.bfloat16`), float32 or float64 of
//! any shape and strides, numpy scalars, Python floats and ints, and anything `numpy.asarray`
//! accepts (lists, nested lists, CPU tensors). Integer and boolean arrays are converted to
//! float64; other dtypes are a `TypeError`. The 16-bit types compute in float32 and round once
//! (the core's slice operations on `half::f16` and `half::bf16`).
//!
//! The fast path hands the array's own memory to the core: the input, and the output when `out=`
//! is given, must be aligned and contiguous in the same order (C, or Fortran for all of them),
//! and the output must not overlap an input unless it *is* the input of an in-place forward.
//! Anything else is copied into a fresh contiguous array first (numpy's `PyArray_CopyInto`, which
//! handles every stride, alignment and byte order), and the result copied into `out` at the end.
//! From [`DETACH_MIN`] elements on, the GIL is released while the core works.

use std::sync::atomic::{AtomicBool, Ordering};

use leaky::half::{bf16, f16};
use leaky::{Activation, SliceElement};
use numpy::npyffi::{NPY_TYPES, PY_ARRAY_API};
use numpy::{
    Element, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods, dtype,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyFloat, PyInt, PyTuple};

use crate::params::{type_name, value_error};

/// From this many elements on, the GIL is released while the core computes, so that other
/// Python threads run meanwhile. Below it, releasing and taking back the GIL costs more than it
/// lets others do.
pub const DETACH_MIN: usize = 1 << 15;

/// An elementwise operation of one array.
#[derive(Clone, Copy, Debug)]
pub enum Unary {
    /// `y = f(x)`: the core's `forward_slice`, or `forward_in_place` for `out=x`.
    Forward,
    /// `y = f'(x)`: the core's scalar `derivative`, element by element.
    Derivative,
}

/// An elementwise operation of a gradient and an array.
#[derive(Clone, Copy, Debug)]
pub enum Binary {
    /// `grad_in = grad · f'(x)`: the core's `backward`.
    Backward,
    /// The same from `y = f(x)`: the core's `backward_from_output`.
    BackwardFromOutput,
}

/// The float type a computation runs in (the 16-bit ones through float32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    F16,
    /// `ml_dtypes.bfloat16`, numpy's dtype named `bfloat16`.
    Bf16,
    F32,
    F64,
}

impl Dtype {
    fn name(self) -> &'static str {
        match self {
            Dtype::F16 => "float16",
            Dtype::Bf16 => "bfloat16",
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
        }
    }

    /// numpy's descriptor. For bfloat16 it is looked up by name: only called once an array of
    /// that dtype exists, so the package that registers it (ml_dtypes) is loaded.
    fn descr(self, py: Python<'_>) -> Bound<'_, numpy::PyArrayDescr> {
        match self {
            Dtype::F16 => dtype::<f16>(py),
            Dtype::Bf16 => dtype::<bf16>(py),
            Dtype::F32 => dtype::<f32>(py),
            Dtype::F64 => dtype::<f64>(py),
        }
    }

    /// Whether `d` is this dtype, in native byte order.
    fn is(self, d: &Bound<'_, numpy::PyArrayDescr>) -> bool {
        if d.is_native_byteorder() == Some(false) {
            return false;
        }
        let num = match self {
            Dtype::Bf16 => return is_bfloat16(d),
            Dtype::F16 => NPY_TYPES::NPY_HALF,
            Dtype::F32 => NPY_TYPES::NPY_FLOAT,
            Dtype::F64 => NPY_TYPES::NPY_DOUBLE,
        };
        d.num() == num as i32
    }

    /// The wider of two (float32 for the two 16-bit types, which it holds exactly).
    fn max(self, other: Dtype) -> Dtype {
        if self == other {
            self
        } else if self == Dtype::F64 || other == Dtype::F64 {
            Dtype::F64
        } else {
            Dtype::F32
        }
    }
}

/// Whether `d` is a bfloat16 dtype (ml_dtypes registers one with numpy under that name; its kind
/// is `V`, as for every dtype numpy does not know).
fn is_bfloat16(d: &Bound<'_, numpy::PyArrayDescr>) -> bool {
    d.kind() == b'V' && d.itemsize() == 2 && d.to_string() == "bfloat16"
}

/// What the caller passed, and so what to give back. Ordered from least to most array-like:
/// with two operands the result takes the more array-like form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Wrap {
    /// A Python float or int: a Python float back.
    Number,
    /// A numpy scalar (`np.float32(1.5)`): a numpy scalar of the result's dtype back.
    NumpyScalar,
    /// An array, or a list or other array-like: an array back.
    Array,
}

/// One argument, as a numpy array.
struct Operand<'py> {
    array: Bound<'py, PyUntypedArray>,
    wrap: Wrap,
    /// The dtype it computes in when alone (float32 stays float32; float64, integers and
    /// booleans give float64).
    natural: Dtype,
    /// Whether the dtype is its own (an array or numpy scalar), rather than one numpy guessed
    /// from a list or Python number, which follows the other operand's.
    strong: bool,
}

static ASARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static GENERIC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `f(x)` or `f'(x)` of any supported input, into `out` if given.
pub fn unary<'py>(
    act: &Activation,
    op: Unary,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    if out.is_none()
        && let Some(v) = python_number(x)?
    {
        let mut y = [0.0];
        apply_unary(act, op, &[v], &mut y);
        return Ok(PyFloat::new(py, y[0]).into_any());
    }
    let x = operand(x)?;
    let dtype = x.natural;
    let array = with_dtype(&x.array, dtype)?;
    let out = out
        .map(|o| output(o, dtype, array.shape(), "the input"))
        .transpose()?;
    let out = out.as_ref();
    let result = match dtype {
        Dtype::F16 => run_unary::<f16>(act, op, &typed(&array), out.map(typed))?.into_any(),
        Dtype::Bf16 => run_unary::<bf16>(act, op, &typed(&array), out.map(typed))?.into_any(),
        Dtype::F32 => run_unary::<f32>(act, op, &typed(&array), out.map(typed))?.into_any(),
        Dtype::F64 => run_unary::<f64>(act, op, &typed(&array), out.map(typed))?.into_any(),
    };
    finish(result, x.wrap, out.is_some())
}

/// The gradient `grad · f'(x)` (or from the output) of any supported inputs, into `out` if given.
pub fn binary<'py>(
    act: &Activation,
    op: Binary,
    grad: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    if out.is_none()
        && let (Some(g), Some(v)) = (python_number(grad)?, python_number(x)?)
    {
        let mut y = [0.0];
        apply_binary(act, op, &[g], &[v], &mut y).map_err(value_error)?;
        return Ok(PyFloat::new(py, y[0]).into_any());
    }
    let x_name = match op {
        Binary::Backward => "x",
        Binary::BackwardFromOutput => "y",
    };
    let grad = operand(grad)?;
    let x = operand(x)?;
    let dtype = match (grad.strong, x.strong) {
        (true, true) if grad.natural != x.natural => {
            return Err(PyTypeError::new_err(format!(
                "grad has dtype {} but {x_name} has dtype {}; pass both in the same dtype (e.g. grad.astype({x_name}.dtype))",
                grad.natural.name(),
                x.natural.name()
            )));
        }
        (true, _) => grad.natural,
        (false, true) => x.natural,
        (false, false) => grad.natural.max(x.natural),
    };
    let grad_array = with_dtype(&grad.array, dtype)?;
    let x_array = with_dtype(&x.array, dtype)?;
    if grad_array.shape() != x_array.shape() {
        return Err(PyValueError::new_err(format!(
            "grad has shape {} but {x_name} has shape {}; they must be the same",
            shape_text(grad_array.shape()),
            shape_text(x_array.shape())
        )));
    }
    let out = out
        .map(|o| output(o, dtype, x_array.shape(), x_name))
        .transpose()?;
    let (g, x_in, out) = (&grad_array, &x_array, out.as_ref());
    let result = match dtype {
        Dtype::F16 => {
            run_binary::<f16>(act, op, &typed(g), &typed(x_in), out.map(typed))?.into_any()
        }
        Dtype::Bf16 => {
            run_binary::<bf16>(act, op, &typed(g), &typed(x_in), out.map(typed))?.into_any()
        }
        Dtype::F32 => {
            run_binary::<f32>(act, op, &typed(g), &typed(x_in), out.map(typed))?.into_any()
        }
        Dtype::F64 => {
            run_binary::<f64>(act, op, &typed(g), &typed(x_in), out.map(typed))?.into_any()
        }
    };
    finish(result, grad.wrap.max(x.wrap), out.is_some())
}

/// The value of a Python float or int (not a numpy scalar), or `None`.
fn python_number(obj: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    if obj.is_exact_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>() {
        obj.extract().map(Some)
    } else {
        Ok(None)
    }
}

/// Any supported argument as a numpy array, with what it was.
fn operand<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Operand<'py>> {
    let py = obj.py();
    if let Ok(array) = obj.cast::<PyUntypedArray>() {
        return Ok(Operand {
            natural: natural_dtype(array)?,
            array: array.clone(),
            wrap: Wrap::Array,
            strong: true,
        });
    }
    let generic = GENERIC.import(py, "numpy", "generic")?;
    let asarray = ASARRAY.import(py, "numpy", "asarray")?;
    let numpy_scalar = obj.is_instance(generic)?;
    let wrap = if numpy_scalar {
        Wrap::NumpyScalar
    } else if python_number(obj)?.is_some() {
        Wrap::Number
    } else {
        Wrap::Array
    };
    let array = asarray
        .call1((obj,))?
        .cast_into::<PyUntypedArray>()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "expected a numpy array, a number or a list, not {}",
                type_name(obj)
            ))
        })?;
    Ok(Operand {
        natural: natural_dtype(&array)?,
        array,
        wrap,
        strong: numpy_scalar,
    })
}

/// The dtype an array computes in, or a `TypeError` for one that is not a real number type.
fn natural_dtype(array: &Bound<'_, PyUntypedArray>) -> PyResult<Dtype> {
    let d = array.dtype();
    match (d.kind(), d.itemsize()) {
        (b'f', 2) => Ok(Dtype::F16),
        (b'V', 2) if is_bfloat16(&d) => Ok(Dtype::Bf16),
        (b'f', 4) => Ok(Dtype::F32),
        (b'f', 8) | (b'i' | b'u' | b'b', _) => Ok(Dtype::F64),
        _ => Err(PyTypeError::new_err(format!(
            "unsupported dtype {d}: leaky computes in float16, bfloat16 (ml_dtypes), float32 and float64 (integer and boolean inputs are converted to float64); convert with .astype(numpy.float32) or .astype(numpy.float64)"
        ))),
    }
}

/// Whether the array holds native-endian elements of `dtype`.
fn has_dtype(array: &Bound<'_, PyUntypedArray>, dtype: Dtype) -> bool {
    dtype.is(&array.dtype())
}

/// `array` itself if it holds `dtype`, else a converted copy.
fn with_dtype<'py>(
    array: &Bound<'py, PyUntypedArray>,
    dtype: Dtype,
) -> PyResult<Bound<'py, PyUntypedArray>> {
    if has_dtype(array, dtype) {
        return Ok(array.clone());
    }
    Ok(array
        .call_method1("astype", (dtype.descr(array.py()),))?
        .cast_into::<PyUntypedArray>()?)
}

/// Checks `out=`: a writeable numpy array of the result's dtype and the input's shape.
fn output<'py>(
    out: &Bound<'py, PyAny>,
    dtype: Dtype,
    shape: &[usize],
    input: &str,
) -> PyResult<Bound<'py, PyUntypedArray>> {
    let Ok(array) = out.cast::<PyUntypedArray>() else {
        return Err(PyTypeError::new_err(format!(
            "out must be a numpy array, not {}",
            type_name(out)
        )));
    };
    if !has_dtype(array, dtype) {
        return Err(PyTypeError::new_err(format!(
            "out has dtype {} but the result has dtype {} (the dtype {input} computes in); pass an out of that dtype",
            array.dtype(),
            dtype.name()
        )));
    }
    if array.shape() != shape {
        return Err(PyValueError::new_err(format!(
            "out has shape {} but {input} has shape {}; they must be the same",
            shape_text(array.shape()),
            shape_text(shape)
        )));
    }
    // SAFETY: `array` is a live numpy array; the name is a NUL-terminated string.
    let status = unsafe {
        PY_ARRAY_API.PyArray_FailUnlessWriteable(out.py(), array.as_array_ptr(), c"out".as_ptr())
    };
    if status < 0 {
        return Err(PyErr::fetch(out.py()));
    }
    Ok(array.clone())
}

/// A shape as Python writes a tuple: `()`, `(3,)`, `(2, 3)`.
fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The array as an array of `T`, whose dtype has been checked by [`has_dtype`].
fn typed<'py, T: Element>(array: &Bound<'py, PyUntypedArray>) -> Bound<'py, PyArrayDyn<T>> {
    // SAFETY: every caller has converted the array with `with_dtype` or checked it with
    // `output`, so its elements are native-endian `T`.
    unsafe { array.clone().into_any().cast_into_unchecked() }
}

/// The result as the caller passed the input: `out` itself, an array, or a scalar.
fn finish<'py>(
    result: Bound<'py, PyAny>,
    wrap: Wrap,
    into_out: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if into_out {
        return Ok(result);
    }
    let py = result.py();
    match wrap {
        Wrap::Array => Ok(result),
        Wrap::NumpyScalar => result.get_item(PyTuple::empty(py)),
        Wrap::Number => {
            let v: f64 = result.get_item(PyTuple::empty(py))?.extract()?;
            Ok(PyFloat::new(py, v).into_any())
        }
    }
}

/// `f(x)` or `f'(x)` for arrays of `T`, into `out` or a new array.
fn run_unary<'py, T: Storage>(
    act: &Activation,
    op: Unary,
    x: &Bound<'py, PyArrayDyn<T>>,
    out: Option<Bound<'py, PyArrayDyn<T>>>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let py = x.py();
    let fortran = prefers_fortran(x);
    let x_direct = is_direct(x, fortran);
    let Some(out) = out else {
        if x_direct {
            let y = new_array(py, x.shape(), fortran);
            // SAFETY: `x` and `y` are aligned and contiguous; `y` is new, so nothing aliases it.
            let (xs, ys) = unsafe { (slice(x), slice_mut(&y)) };
            detached(py, xs.len(), || apply_unary(act, op, xs, ys));
            return Ok(y);
        }
        let y = contiguous_copy(x, false)?;
        // SAFETY: `y` is new, aligned and contiguous, and nothing else refers to it.
        let ys = unsafe { slice_mut(&y) };
        detached(py, ys.len(), || apply_unary_in_place(act, op, ys));
        return Ok(y);
    };
    if x_direct && is_direct(&out, fortran) {
        if same_memory(x, &out) {
            // SAFETY: `out` is `x`: one mutable slice over it, and no other.
            let ys = unsafe { slice_mut(&out) };
            detached(py, ys.len(), || apply_unary_in_place(act, op, ys));
            return Ok(out);
        }
        if !overlaps(x, &out) {
            // SAFETY: both aligned and contiguous, and their memory does not overlap.
            let (xs, ys) = unsafe { (slice(x), slice_mut(&out)) };
            detached(py, xs.len(), || apply_unary(act, op, xs, ys));
            return Ok(out);
        }
    }
    let y = contiguous_copy(x, false)?;
    // SAFETY: `y` is new, aligned and contiguous, and nothing else refers to it.
    let ys = unsafe { slice_mut(&y) };
    detached(py, ys.len(), || apply_unary_in_place(act, op, ys));
    y.copy_to(&out)?;
    Ok(out)
}

/// The gradient for arrays of `T`, into `out` or a new array.
fn run_binary<'py, T: Storage>(
    act: &Activation,
    op: Binary,
    grad: &Bound<'py, PyArrayDyn<T>>,
    x: &Bound<'py, PyArrayDyn<T>>,
    out: Option<Bound<'py, PyArrayDyn<T>>>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let py = x.py();
    let fortran = prefers_fortran(x);
    let x = direct_or_copy(x, fortran)?;
    let grad = direct_or_copy(grad, fortran)?;
    let compute = |y: &Bound<'py, PyArrayDyn<T>>| -> PyResult<()> {
        // SAFETY: all three are aligned and contiguous in the same order, and `y` overlaps
        // neither input (checked below, or `y` is new).
        let (gs, xs, ys) = unsafe { (slice(&grad), slice(&x), slice_mut(y)) };
        detached(py, xs.len(), || apply_binary(act, op, gs, xs, ys)).map_err(value_error)
    };
    match out {
        Some(out) if is_direct(&out, fortran) && !overlaps(&out, &x) && !overlaps(&out, &grad) => {
            compute(&out)?;
            Ok(out)
        }
        Some(out) => {
            let y = new_array(py, x.shape(), fortran);
            compute(&y)?;
            y.copy_to(&out)?;
            Ok(out)
        }
        None => {
            let y = new_array(py, x.shape(), fortran);
            compute(&y)?;
            Ok(y)
        }
    }
}

/// An element type of the arrays: the core's slice operations and numpy's dtype, and the scalar
/// derivative (computed in float32 and rounded once for the 16-bit types, as their slices are).
trait Storage: SliceElement + Element {
    /// f'(v) by the core's scalar definition.
    fn derivative(act: &Activation, v: Self) -> Self;
}

impl Storage for f32 {
    fn derivative(act: &Activation, v: f32) -> f32 {
        act.derivative(v)
    }
}

impl Storage for f64 {
    fn derivative(act: &Activation, v: f64) -> f64 {
        act.derivative(v)
    }
}

impl Storage for f16 {
    fn derivative(act: &Activation, v: f16) -> f16 {
        f16::from_f32(act.derivative(v.to_f32()))
    }
}

impl Storage for bf16 {
    fn derivative(act: &Activation, v: bf16) -> bf16 {
        bf16::from_f32(act.derivative(v.to_f32()))
    }
}

/// The core's operation on slices of equal length.
fn apply_unary<T: Storage>(act: &Activation, op: Unary, x: &[T], y: &mut [T]) {
    match op {
        Unary::Forward => act
            .forward_slice(x, y)
            .expect("validated activation, equal lengths"),
        Unary::Derivative => {
            for (out, &v) in y.iter_mut().zip(x) {
                *out = T::derivative(act, v);
            }
        }
    }
}

/// The core's operation in place.
fn apply_unary_in_place<T: Storage>(act: &Activation, op: Unary, x: &mut [T]) {
    match op {
        Unary::Forward => act.forward_in_place(x).expect("validated activation"),
        Unary::Derivative => {
            for v in x.iter_mut() {
                *v = T::derivative(act, *v);
            }
        }
    }
}

/// The core's backward on slices of equal length.
fn apply_binary<T: SliceElement>(
    act: &Activation,
    op: Binary,
    grad: &[T],
    x: &[T],
    y: &mut [T],
) -> Result<(), leaky::Error> {
    match op {
        Binary::Backward => act.backward(x, grad, y),
        Binary::BackwardFromOutput => act.backward_from_output(x, grad, y),
    }
}

/// Runs `work` without the GIL when it covers at least [`DETACH_MIN`] elements.
fn detached<R: Send>(py: Python<'_>, len: usize, work: impl FnOnce() -> R + Send) -> R {
    if len >= DETACH_MIN {
        py.detach(|| fork_safe(work))
    } else {
        fork_safe(work)
    }
}

/// Set in a process forked from one that imported us (see [`after_fork_in_child`]).
static FORKED: AtomicBool = AtomicBool::new(false);

/// Marks this process as a fork (`os.fork`, `multiprocessing`): its calls run on one thread from
/// now on. The module registers it with `os.register_at_fork`.
#[pyfunction]
pub fn after_fork_in_child() {
    FORKED.store(true, Ordering::Relaxed);
}

/// Runs `work`, on one thread only in a forked process: a forked child has none of its parent's
/// threads, and rayon's pool, which thinks it still has them, would wait for them forever.
fn fork_safe<R>(work: impl FnOnce() -> R) -> R {
    if FORKED.load(Ordering::Relaxed) {
        leaky::kernels::with_threads(1, work)
    } else {
        work()
    }
}

/// Whether to lay out results in Fortran order: only for an input that is Fortran- but not
/// C-contiguous (a transposed matrix), so that its elements line up with the result's.
fn prefers_fortran<T>(x: &Bound<'_, PyArrayDyn<T>>) -> bool {
    !x.is_c_contiguous() && x.is_fortran_contiguous()
}

/// Whether the core can work on the array's own memory: aligned and contiguous in the order.
fn is_direct<T>(array: &Bound<'_, PyArrayDyn<T>>, fortran: bool) -> bool {
    array.is_aligned()
        && if fortran {
            array.is_fortran_contiguous()
        } else {
            array.is_c_contiguous()
        }
}

/// `array` itself if the core can work on it in this order, else a contiguous copy.
fn direct_or_copy<'py, T: Element>(
    array: &Bound<'py, PyArrayDyn<T>>,
    fortran: bool,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    if is_direct(array, fortran) {
        Ok(array.clone())
    } else {
        contiguous_copy(array, fortran)
    }
}

/// A new aligned, contiguous copy (any strides, alignment or byte order in).
fn contiguous_copy<'py, T: Element>(
    array: &Bound<'py, PyArrayDyn<T>>,
    fortran: bool,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let copy = new_array(array.py(), array.shape(), fortran);
    array.copy_to(&copy)?;
    Ok(copy)
}

/// A new array, not yet written: every caller fills it before handing it out.
fn new_array<'py, T: Element>(
    py: Python<'py>,
    shape: &[usize],
    fortran: bool,
) -> Bound<'py, PyArrayDyn<T>> {
    // SAFETY: `T` is a float type, plain data with no invalid bit patterns, and the caller writes
    // every element before the array reaches Python.
    unsafe { PyArrayDyn::<T>::new(py, shape, fortran) }
}

/// The elements of an aligned, contiguous array, in memory order.
///
/// # Safety
/// The array must be aligned and contiguous, and not written through any other reference while
/// the slice lives.
unsafe fn slice<'a, T>(array: &'a Bound<'_, PyArrayDyn<T>>) -> &'a [T] {
    let len = array.len();
    if len == 0 {
        return &[];
    }
    // SAFETY: the caller guarantees alignment and contiguity; numpy guarantees `len` elements.
    unsafe { std::slice::from_raw_parts(array.data(), len) }
}

/// The elements of an aligned, contiguous array, mutably.
///
/// # Safety
/// As [`slice`], and no other reference to the memory may exist while the slice lives.
#[allow(clippy::mut_from_ref)]
unsafe fn slice_mut<'a, T>(array: &'a Bound<'_, PyArrayDyn<T>>) -> &'a mut [T] {
    let len = array.len();
    if len == 0 {
        return &mut [];
    }
    // SAFETY: as in `slice`, with exclusive access promised by the caller.
    unsafe { std::slice::from_raw_parts_mut(array.data(), len) }
}

/// Whether two arrays of the same shape are views of the same elements in the same places.
fn same_memory<T>(a: &Bound<'_, PyArrayDyn<T>>, b: &Bound<'_, PyArrayDyn<T>>) -> bool {
    a.data() == b.data() && a.strides() == b.strides()
}

/// Whether the byte ranges of two arrays intersect.
fn overlaps<T>(a: &Bound<'_, PyArrayDyn<T>>, b: &Bound<'_, PyArrayDyn<T>>) -> bool {
    match (extent(a), extent(b)) {
        (Some((a_lo, a_hi)), Some((b_lo, b_hi))) => a_lo < b_hi && b_lo < a_hi,
        _ => false,
    }
}

/// The half-open byte range an array's elements occupy, or `None` when it has none.
fn extent<T>(array: &Bound<'_, PyArrayDyn<T>>) -> Option<(usize, usize)> {
    if array.is_empty() {
        return None;
    }
    let base = array.data() as usize;
    let (mut lo, mut hi) = (base, base + size_of::<T>());
    for (&dim, &stride) in array.shape().iter().zip(array.strides()) {
        let reach = (dim as isize - 1) * stride;
        if reach < 0 {
            lo = lo.wrapping_sub(reach.unsigned_abs());
        } else {
            hi += reach as usize;
        }
    }
    Some((lo, hi))
}
