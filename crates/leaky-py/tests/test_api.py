"""The API's shape: PyTorch's names and defaults, the Activation class, the catalogue."""

from __future__ import annotations

import copy
import inspect
import math
import pickle

import numpy as np
import pytest

import leaky
from leaky import Activation

# torch.nn.functional's signatures (PyTorch 2.x), less `inplace` (here `out=x`) and `training`.
TORCH_SIGNATURES = {
    "leaky_relu": [("negative_slope", 0.01)],
    "relu": [],
    "sigmoid": [],
    "tanh": [],
    "prelu": [("weight", 0.25)],  # a tensor in PyTorch, required; 0.25 is nn.PReLU's init
    "rrelu": [("lower", 1.0 / 8), ("upper", 1.0 / 3)],
    "elu": [("alpha", 1.0)],
    "selu": [],
    "celu": [("alpha", 1.0)],
    "gelu": [("approximate", "none")],
    "silu": [],
    "mish": [],
    "softplus": [("beta", 1.0), ("threshold", 20.0)],
    "softsign": [],
    "hardtanh": [("min_val", -1.0), ("max_val", 1.0)],
    "relu6": [],
    "hardsigmoid": [],
    "hardswish": [],
    "logsigmoid": [],
    "tanhshrink": [],
    "softshrink": [("lambd", 0.5)],
    "hardshrink": [("lambd", 0.5)],
    "threshold": [("threshold", 0.0), ("value", 0.0)],  # required in PyTorch
    "quick_gelu": [],  # not in PyTorch: x * torch.sigmoid(1.702 * x)
    "relu_squared": [],  # not in PyTorch: torch.relu(x) ** 2
}


def test_every_activation_has_a_function_and_a_backward():
    names = [entry["name"] for entry in leaky.catalogue()]
    assert len(names) == 25
    assert sorted(names) == sorted(TORCH_SIGNATURES)
    for name in names:
        assert callable(getattr(leaky, name)) and name in leaky.__all__
        assert callable(getattr(leaky, f"{name}_backward")) and f"{name}_backward" in leaky.__all__


@pytest.mark.parametrize("name", sorted(TORCH_SIGNATURES))
def test_signatures_are_pytorchs(name):
    params = list(inspect.signature(getattr(leaky, name)).parameters.values())
    assert params[0].name == "x" and params[0].kind == params[0].POSITIONAL_OR_KEYWORD
    positional = [(p.name, p.default) for p in params[1:] if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == TORCH_SIGNATURES[name]
    assert params[-1].name == "out" and params[-1].kind == params[-1].KEYWORD_ONLY
    backward = list(inspect.signature(getattr(leaky, f"{name}_backward")).parameters)
    assert backward[:2] == ["grad", "x"]
    assert backward[2 : 2 + len(positional)] == [n for n, _ in positional]


def test_leaky_relu_signature():
    sig = inspect.signature(leaky.leaky_relu)
    assert str(sig) == "(x, negative_slope=0.01, *, alpha=None, out=None)"
    x = np.array([-1.0, 1.0])
    np.testing.assert_array_equal(leaky.leaky_relu(x, 0.2), [-0.2, 1.0])
    np.testing.assert_array_equal(leaky.leaky_relu(x, negative_slope=0.2), [-0.2, 1.0])
    np.testing.assert_array_equal(leaky.leaky_relu(x, alpha=0.3), [-0.3, 1.0])
    np.testing.assert_array_equal(leaky.leaky_relu_backward([1.0, 1.0], x, alpha=0.3), [0.3, 1.0])


def test_aliases_by_the_cores_names():
    assert leaky.hardtanh(5.0, min=-2.0, max=3.0) == 3.0
    assert leaky.hardtanh(5.0, max_val=3.0) == 3.0


def test_gelu_takes_a_word():
    assert leaky.gelu(1.0, approximate="tanh") != leaky.gelu(1.0)
    assert leaky.gelu(1.0, "TANH") == leaky.gelu(1.0, approximate="tanh")
    with pytest.raises(
        ValueError, match="gelu: approximate = 'erf' is invalid: it must be one of 'none', 'tanh'"
    ):
        leaky.gelu(1.0, approximate="erf")
    with pytest.raises(TypeError, match="approximate must be one of the strings"):
        leaky.gelu(1.0, approximate=1)


def test_a_parameter_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="leaky_relu: alpha must be a real number, not str"):
        leaky.leaky_relu(1.0, "0.2")
    with pytest.raises(TypeError, match="must be a real number"):
        Activation("elu", alpha="1")


def test_docstrings_show_the_formulas():
    assert "x > 0 ? x : alpha*x" in leaky.leaky_relu.__doc__
    assert "f'(0) = alpha" in leaky.leaky_relu.__doc__
    assert "torch.nn.functional.leaky_relu" in leaky.leaky_relu.__doc__
    assert "grad * f'(x)" in leaky.sigmoid_backward.__doc__
    assert "NAME:KEY=VALUE" in Activation.__doc__
    for name in leaky.__all__:
        assert getattr(leaky, name).__doc__ or name == "__version__", name


class TestActivation:
    def test_spec_forms(self):
        a = Activation("leaky_relu:alpha=0.2")
        assert a == Activation("LeakyReLU:0.2")
        assert a == Activation("leaky_relu", negative_slope=0.2)
        assert a == Activation("leaky_relu", alpha=0.2)
        assert a == Activation("leaky-relu:negative_slope=0.2")
        assert a == Activation(a)
        assert Activation() == Activation("leaky_relu:alpha=0.01")
        assert Activation(a, alpha=0.3).alpha == 0.3
        assert Activation("leaky_relu:alpha=0.1", alpha=0.3).alpha == 0.3
        assert Activation("softshrink", **{"lambda": 0.3}).lambd == 0.3

    def test_parameters_are_attributes(self):
        a = Activation("hardtanh:min=-2")
        assert (a.min, a.max, a.min_val, a.max_val) == (-2.0, 1.0, -2.0, 1.0)
        assert a.params == {"min": -2.0, "max": 1.0}
        assert Activation("gelu:approximate=tanh").approximate == "tanh"
        assert Activation("leaky_relu").negative_slope == 0.01
        with pytest.raises(AttributeError, match="has no attribute 'alpha'"):
            _ = Activation("relu").alpha
        assert "alpha" in dir(Activation("leaky_relu"))
        assert "negative_slope" in dir(Activation("leaky_relu"))

    def test_names_and_formulas(self):
        a = Activation("LeakyReLU")
        assert a.name == "leaky_relu" and a.torch_name == "LeakyReLU"
        assert a.formula == "x > 0 ? x : alpha*x"
        assert "f'(0) = alpha" in a.derivative_formula
        assert a.is_piecewise_linear and not Activation("gelu").is_piecewise_linear

    def test_str_is_the_spec_and_repr_is_readable(self):
        a = Activation("leaky_relu", negative_slope=0.2)
        assert str(a) == a.spec == "leaky_relu:alpha=0.2"
        assert repr(a) == "Activation('leaky_relu', alpha=0.2)"
        assert repr(Activation("relu")) == "Activation('relu')"
        assert (
            repr(Activation("gelu", approximate="tanh")) == "Activation('gelu', approximate='tanh')"
        )
        assert repr(Activation("softshrink")) == "Activation('softshrink', lambda=0.5)"

    @pytest.mark.parametrize("name", [e["name"] for e in leaky.catalogue()])
    def test_round_trips(self, name):
        a = Activation(name)
        assert Activation(str(a)) == a
        assert pickle.loads(pickle.dumps(a)) == a
        assert copy.deepcopy(a) == a
        if name not in ("softshrink", "hardshrink"):  # `lambda` is a keyword in Python
            assert eval(repr(a), {"Activation": Activation}) == a

    def test_equality_and_hash(self):
        assert Activation("relu") != Activation("relu6")
        assert Activation("relu") != "relu"
        assert len({Activation("elu"), Activation("elu:alpha=1"), Activation("ELU")}) == 1

    def test_methods(self):
        a = Activation("leaky_relu:alpha=0.2")
        x = np.array([-1.0, 0.0, 2.0])
        np.testing.assert_array_equal(a.forward(x), [-0.2, 0.0, 2.0])
        np.testing.assert_array_equal(a(x), a.forward(x))
        np.testing.assert_array_equal(a.derivative(x), [0.2, 0.2, 1.0])
        np.testing.assert_array_equal(a.backward(np.full(3, 2.0), x), [0.4, 0.4, 2.0])
        y = a.forward(x)
        np.testing.assert_array_equal(a.backward_from_output(np.full(3, 2.0), y), [0.4, 0.4, 2.0])

    def test_bad_specs(self):
        with pytest.raises(ValueError, match="did you mean 'leaky_relu'"):
            Activation("leakyrelu2")
        with pytest.raises(ValueError, match="relu has no parameter 'alpha'; it takes none"):
            Activation("relu", alpha=1.0)
        with pytest.raises(TypeError, match="spec string"):
            Activation(3)

    def test_frozen(self):
        a = Activation("relu")
        with pytest.raises(AttributeError):
            a.name = "tanh"


def test_catalogue():
    entries = leaky.catalogue()
    first = entries[0]
    assert first["name"] == "leaky_relu" and first["torch_name"] == "LeakyReLU"
    assert first["params"] == [
        {
            "name": "alpha",
            "aliases": ["negative_slope"],
            "default": 0.01,
            "doc": "slope for x <= 0; any finite value",
            "choices": [],
        }
    ]
    gelu = next(e for e in entries if e["name"] == "gelu")
    assert gelu["params"][0]["default"] == "none" and gelu["params"][0]["choices"] == [
        "none",
        "tanh",
    ]
    assert all(isinstance(e["piecewise_linear"], bool) for e in entries)


def test_version():
    assert isinstance(leaky.__version__, str) and leaky.__version__.count(".") == 2


def test_nan_parameter_message():
    with pytest.raises(ValueError) as error:
        leaky.elu(1.0, alpha=math.nan)
    assert str(error.value) == "elu: alpha = NaN is invalid: it must be a finite number"


def test_the_package_docstring_examples_run():
    import doctest

    assert doctest.testmod(leaky).failed == 0
