"""The LeakyReLU article's snippet (copied below as printed) runs unchanged but for its
import: `from leaky import leaky_relu` in place of its own definition gives the same values and
the same plot on `np.linspace(-2, 2, 100)`.

matplotlib is not needed: a stand-in `matplotlib.pyplot` records what the snippet draws.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

# The article's code as printed (its indentation restored: the page lost it).
ARTICLE = """\
import matplotlib.pyplot as plt
import numpy as np
def leaky_relu(x, alpha=0.01):
    return np.maximum(alpha * x, x)
x = np.linspace(-2, 2, 100)
y = leaky_relu(x)
plt.plot(x, y)
plt.title('Leaky ReLU Activation Function')
plt.xlabel('x')
plt.ylabel('f(x)')
plt.show()
"""

DEFINITION = """\
def leaky_relu(x, alpha=0.01):
    return np.maximum(alpha * x, x)
"""

WITH_LEAKY = ARTICLE.replace(DEFINITION, "from leaky import leaky_relu\n")


class RecordingPyplot(types.ModuleType):
    """Stands in for matplotlib.pyplot and records every call."""

    def __init__(self):
        super().__init__("matplotlib.pyplot")
        self.calls = []

    def __getattr__(self, name):
        def record(*args, **kwargs):
            self.calls.append((name, args, kwargs))

        return record


def run(source: str, monkeypatch) -> tuple[dict, list]:
    pyplot = RecordingPyplot()
    matplotlib = types.ModuleType("matplotlib")
    matplotlib.pyplot = pyplot
    monkeypatch.setitem(sys.modules, "matplotlib", matplotlib)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    namespace: dict = {}
    exec(compile(source, "<article>", "exec"), namespace)
    return namespace, pyplot.calls


def test_only_the_definition_changes():
    assert WITH_LEAKY != ARTICLE
    assert "from leaky import leaky_relu" in WITH_LEAKY
    assert "np.maximum" not in WITH_LEAKY


def test_same_values_and_same_plot(monkeypatch):
    article, article_calls = run(ARTICLE, monkeypatch)
    ours, our_calls = run(WITH_LEAKY, monkeypatch)
    assert ours["y"].dtype == article["y"].dtype == np.float64
    assert ours["y"].shape == (100,)
    np.testing.assert_array_equal(ours["y"], article["y"])
    assert [c[0] for c in our_calls] == ["plot", "title", "xlabel", "ylabel", "show"]
    assert len(our_calls) == len(article_calls)
    for (name, args, kwargs), (a_name, a_args, a_kwargs) in zip(our_calls, article_calls):
        assert name == a_name and kwargs == a_kwargs
        for ours_arg, article_arg in zip(args, a_args):
            np.testing.assert_array_equal(ours_arg, article_arg)


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.2, 1.0])
def test_same_values_for_every_alpha_the_article_form_allows(alpha):
    from leaky import leaky_relu

    for dtype in (np.float32, np.float64):
        x = np.linspace(-2, 2, 100, dtype=dtype)
        np.testing.assert_array_equal(leaky_relu(x, alpha=alpha), np.maximum(dtype(alpha) * x, x))
