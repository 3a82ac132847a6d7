# The native module, leaky._leaky (Rust, PyO3). Public names are re-exported by leaky.

from typing import Any, TypedDict, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Array = TypeVar("_Array", bound=np.ndarray[Any, Any])
_Scalar = TypeVar("_Scalar", np.float16, np.float32, np.float64)

__version__: str
DETACH_MIN_ELEMENTS: int

class ParamEntry(TypedDict):
    name: str
    aliases: list[str]
    default: float | str
    doc: str
    choices: list[str]

class CatalogueEntry(TypedDict):
    name: str
    torch_name: str
    params: list[ParamEntry]
    formula: str
    derivative: str
    piecewise_linear: bool

class Activation:
    """An activation function with its parameters, validated.

    ``Activation("leaky_relu:alpha=0.2")``, ``Activation("leaky_relu", negative_slope=0.2)``,
    ``Activation("LeakyReLU")`` and ``Activation("gelu", approximate="tanh")`` all work: a spec is
    ``NAME`` or ``NAME:KEY=VALUE[,KEY=VALUE...]`` as in the ``leaky`` command line, and keyword
    arguments set parameters by their name or PyTorch's, over the spec's. Unset ones take their
    defaults; bad ones raise ``ValueError`` with the command line's message.

    Parameters are attributes (``act.alpha``, and PyTorch's names: ``act.negative_slope``);
    ``str(act)`` is the spec, which parses back to an equal activation.
    """

    def __init__(self, spec: str | Activation = "leaky_relu", **params: float | str) -> None: ...
    @property
    def name(self) -> str:
        """The canonical name, as in ``torch.nn.functional`` (``leaky_relu``)."""
    @property
    def torch_name(self) -> str:
        """PyTorch's module class name (``LeakyReLU``)."""
    @property
    def spec(self) -> str:
        """The spec: the canonical name and every parameter (``leaky_relu:alpha=0.01``)."""
    @property
    def params(self) -> dict[str, float | str]:
        """The parameters by canonical name (a word for GELU's ``approximate``)."""
    @property
    def formula(self) -> str:
        """The forward formula, in plain text."""
    @property
    def derivative_formula(self) -> str:
        """The derivative's formula, with its value at the kinks."""
    @property
    def is_piecewise_linear(self) -> bool:
        """Whether the function is piecewise linear rather than smooth."""
    def __getattr__(self, name: str) -> float | str:
        """A parameter by its canonical name (``alpha``) or an alias (``negative_slope``)."""
    @overload
    def forward(self, x: _Array, *, out: _Array | None = None) -> _Array:
        """f(x), elementwise. ``out=x`` computes in place."""
    @overload
    def forward(self, x: _Scalar, *, out: None = None) -> _Scalar: ...
    @overload
    def forward(self, x: float, *, out: None = None) -> float: ...
    @overload
    def forward(self, x: ArrayLike, *, out: _Array) -> _Array: ...
    @overload
    def forward(self, x: ArrayLike, *, out: None = None) -> NDArray[Any]: ...
    @overload
    def __call__(self, x: _Array, *, out: _Array | None = None) -> _Array:
        """f(x), elementwise: the same as ``forward``."""
    @overload
    def __call__(self, x: _Scalar, *, out: None = None) -> _Scalar: ...
    @overload
    def __call__(self, x: float, *, out: None = None) -> float: ...
    @overload
    def __call__(self, x: ArrayLike, *, out: _Array) -> _Array: ...
    @overload
    def __call__(self, x: ArrayLike, *, out: None = None) -> NDArray[Any]: ...
    @overload
    def derivative(self, x: _Array, *, out: _Array | None = None) -> _Array:
        """f'(x), elementwise, by the scalar definition (PyTorch's value at the kinks)."""
    @overload
    def derivative(self, x: _Scalar, *, out: None = None) -> _Scalar: ...
    @overload
    def derivative(self, x: float, *, out: None = None) -> float: ...
    @overload
    def derivative(self, x: ArrayLike, *, out: _Array) -> _Array: ...
    @overload
    def derivative(self, x: ArrayLike, *, out: None = None) -> NDArray[Any]: ...
    @overload
    def backward(self, grad: ArrayLike, x: _Array, *, out: _Array | None = None) -> _Array:
        """The gradient with respect to the input, ``grad * f'(x)`` (a select for the
        piecewise-linear functions, as in PyTorch). ``grad`` has the shape of ``x``."""
    @overload
    def backward(self, grad: ArrayLike, x: _Scalar, *, out: None = None) -> _Scalar: ...
    @overload
    def backward(self, grad: float, x: float, *, out: None = None) -> float: ...
    @overload
    def backward(self, grad: ArrayLike, x: ArrayLike, *, out: _Array) -> _Array: ...
    @overload
    def backward(self, grad: ArrayLike, x: ArrayLike, *, out: None = None) -> NDArray[Any]: ...
    @overload
    def backward_from_output(
        self, grad: ArrayLike, y: _Array, *, out: _Array | None = None
    ) -> _Array:
        """The gradient with respect to the input from the output ``y = f(x)``; ``ValueError``
        where f' cannot be told from f(x)."""
    @overload
    def backward_from_output(self, grad: ArrayLike, y: _Scalar, *, out: None = None) -> _Scalar: ...
    @overload
    def backward_from_output(self, grad: float, y: float, *, out: None = None) -> float: ...
    @overload
    def backward_from_output(self, grad: ArrayLike, y: ArrayLike, *, out: _Array) -> _Array: ...
    @overload
    def backward_from_output(
        self, grad: ArrayLike, y: ArrayLike, *, out: None = None
    ) -> NDArray[Any]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

_Spec = str | Activation

@overload
def forward(spec: _Spec, x: _Array, *, out: _Array | None = None) -> _Array:
    """f(x) for the activation ``spec`` (a spec string or an ``Activation``), elementwise."""
@overload
def forward(spec: _Spec, x: _Scalar, *, out: None = None) -> _Scalar: ...
@overload
def forward(spec: _Spec, x: float, *, out: None = None) -> float: ...
@overload
def forward(spec: _Spec, x: ArrayLike, *, out: _Array) -> _Array: ...
@overload
def forward(spec: _Spec, x: ArrayLike, *, out: None = None) -> NDArray[Any]: ...
@overload
def derivative(spec: _Spec, x: _Array, *, out: _Array | None = None) -> _Array:
    """f'(x) for the activation ``spec``, elementwise, by the scalar definition."""
@overload
def derivative(spec: _Spec, x: _Scalar, *, out: None = None) -> _Scalar: ...
@overload
def derivative(spec: _Spec, x: float, *, out: None = None) -> float: ...
@overload
def derivative(spec: _Spec, x: ArrayLike, *, out: _Array) -> _Array: ...
@overload
def derivative(spec: _Spec, x: ArrayLike, *, out: None = None) -> NDArray[Any]: ...
@overload
def backward(spec: _Spec, grad: ArrayLike, x: _Array, *, out: _Array | None = None) -> _Array:
    """The gradient with respect to the input, ``grad * f'(x)``, for the activation ``spec``."""
@overload
def backward(spec: _Spec, grad: ArrayLike, x: _Scalar, *, out: None = None) -> _Scalar: ...
@overload
def backward(spec: _Spec, grad: float, x: float, *, out: None = None) -> float: ...
@overload
def backward(spec: _Spec, grad: ArrayLike, x: ArrayLike, *, out: _Array) -> _Array: ...
@overload
def backward(spec: _Spec, grad: ArrayLike, x: ArrayLike, *, out: None = None) -> NDArray[Any]: ...
@overload
def backward_from_output(
    spec: _Spec, grad: ArrayLike, y: _Array, *, out: _Array | None = None
) -> _Array:
    """The gradient with respect to the input from the output ``y = f(x)``."""
@overload
def backward_from_output(
    spec: _Spec, grad: ArrayLike, y: _Scalar, *, out: None = None
) -> _Scalar: ...
@overload
def backward_from_output(spec: _Spec, grad: float, y: float, *, out: None = None) -> float: ...
@overload
def backward_from_output(spec: _Spec, grad: ArrayLike, y: ArrayLike, *, out: _Array) -> _Array: ...
@overload
def backward_from_output(
    spec: _Spec, grad: ArrayLike, y: ArrayLike, *, out: None = None
) -> NDArray[Any]: ...
def catalogue() -> list[CatalogueEntry]:
    """Every activation with its names, parameters and formulas, as ``leaky list`` shows them."""

def _forward(
    name: str, values: tuple[float | str, ...], x: ArrayLike, out: NDArray[Any] | None
) -> Any: ...
def _backward(
    name: str,
    values: tuple[float | str, ...],
    grad: ArrayLike,
    x: ArrayLike,
    out: NDArray[Any] | None,
) -> Any: ...
