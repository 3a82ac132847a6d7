"""The Python package against the Rust command line: `leaky eval` prints x, f(x) and f'(x) for
the edge cases (0, -0, NaN, ±inf, subnormals, the largest floats) and the Python results must be
the same bits. Error messages must be the ones the CLI prints.

Needs the `leaky` binary (see conftest.py); .ci/run builds it and sets LEAKY_CLI.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import leaky

EDGES = {
    np.float32: [
        "0", "-0", "NaN", "inf", "-inf", "1e-45", "-1e-45", "1.1754942e-38", "-1.1754942e-38",
        "1.17549435e-38", "-1.17549435e-38", "3.4028235e38", "-3.4028235e38", "1e-30",
        "-1e-30", "0.5", "-0.5", "1", "-1", "3", "-3", "6", "-6", "20", "-20", "88.8", "-104",
    ],
    np.float64: [
        "0", "-0", "NaN", "inf", "-inf", "5e-324", "-5e-324", "2.225073858507201e-308",
        "-2.225073858507201e-308", "2.2250738585072014e-308", "1.7976931348623157e308",
        "-1.7976931348623157e308", "1e-300", "-1e-300", "0.5", "-0.5", "1", "-1", "3", "-3",
        "6", "-6", "20", "-20", "709.8", "-745.2",
    ],
}  # fmt: skip

SPECS = [entry["name"] for entry in leaky.catalogue()] + [
    "leaky_relu:alpha=0.2",
    "leaky_relu:alpha=-0.5",
    "leaky_relu:alpha=0",
    "elu:alpha=0.5",
    "celu:alpha=-2",
    "gelu:approximate=tanh",
    "softplus:beta=2,threshold=5",
    "hardtanh:min=-2,max=3",
    "softshrink:lambda=1",
    "threshold:threshold=0.5,value=-1",
]


def cli_eval(cli, spec: str, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    name = "f32" if dtype == np.float32 else "f64"
    xs = ",".join(EDGES[dtype])
    run = subprocess.run(
        [str(cli), "eval", spec, "--x", xs, "--dtype", name],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = run.stdout.strip().splitlines()
    assert lines[0] == "x,y,dy"
    rows = [line.split(",") for line in lines[1:]]
    columns = [np.array([float(row[i]) for row in rows]).astype(dtype) for i in range(3)]
    return tuple(columns)


def assert_same_floats(actual: np.ndarray, expected: np.ndarray, what: str):
    """Equal values, the same sign of zero, NaN where NaN."""
    assert actual.dtype == expected.dtype
    nan = np.isnan(expected)
    assert np.array_equal(np.isnan(actual), nan), f"{what}: NaN in different places"
    same = (actual[~nan] == expected[~nan]) & (
        np.signbit(actual[~nan]) == np.signbit(expected[~nan])
    )
    if not same.all():
        bad = np.flatnonzero(~same)
        pairs = [(actual[~nan][i], expected[~nan][i]) for i in bad]
        pytest.fail(f"{what}: (python, cli) differ: {pairs}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("spec", SPECS)
def test_forward_and_derivative_match_leaky_eval(cli, spec, dtype):
    x_cli, y_cli, dy_cli = cli_eval(cli, spec, dtype)
    x = np.array([float(v) for v in EDGES[dtype]]).astype(dtype)
    assert_same_floats(x, x_cli, "x")
    act = leaky.Activation(spec)
    assert_same_floats(act.forward(x), y_cli, f"{spec} f(x)")
    assert_same_floats(leaky.forward(spec, x), y_cli, f"{spec} forward()")
    assert_same_floats(act.derivative(x), dy_cli, f"{spec} f'(x)")
    # The same values one at a time, as Python floats or numpy scalars.
    for i, v in enumerate(x):
        scalar = act.forward(v)
        assert isinstance(scalar, dtype)
        assert_same_floats(np.array([scalar]), y_cli[i : i + 1], f"{spec} f({v!r})")


@pytest.mark.parametrize(
    ("spec", "call"),
    [
        ("leaky_relu:alpha=nan", lambda: leaky.leaky_relu(1.0, float("nan"))),
        ("leaky_relu:alpha=inf", lambda: leaky.Activation("leaky_relu", alpha=float("inf"))),
        ("celu:alpha=0", lambda: leaky.celu(np.ones(2), alpha=0.0)),
        ("softplus:beta=-1", lambda: leaky.softplus_backward(1.0, 1.0, beta=-1.0)),
        ("hardtanh:min=2,max=1", lambda: leaky.hardtanh(1.0, min_val=2.0, max_val=1.0)),
        ("rrelu:lower=0.5,upper=0.1", lambda: leaky.rrelu([1.0], 0.5, 0.1)),
        ("softshrink:lambda=-1", lambda: leaky.softshrink(1.0, lambd=-1.0)),
        ("leaky_rel", lambda: leaky.Activation("leaky_rel")),
        ("relu:alpha=2", lambda: leaky.Activation("relu:alpha=2")),
        ("relu:alpha=2", lambda: leaky.Activation("relu", alpha=2)),
        ("leaky_relu:alpha=x", lambda: leaky.forward("leaky_relu:alpha=x", 1.0)),
        ("leaky_relu:alpha=1,alpha=2", lambda: leaky.Activation("leaky_relu:alpha=1,alpha=2")),
    ],
)
def test_bad_parameters_raise_the_clis_message(cli, spec, call):
    run = subprocess.run([str(cli), "eval", spec, "--x", "1"], capture_output=True, text=True)
    assert run.returncode == 2
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    assert message, "empty message"
    # The CLI prints `leaky: error: MESSAGE`, or clap's `error: invalid value ...: MESSAGE`
    # for a spec it could not parse.
    assert message in run.stderr, f"{message!r} not in {run.stderr!r}"
