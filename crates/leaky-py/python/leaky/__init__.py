"""Neural-network activation functions on numpy arrays, LeakyReLU first.

The functions are named and parameterised as in ``torch.nn.functional``, and computed by the
Rust library ``leaky`` (PyTorch's semantics, including at 0, -0, NaN and infinities)::

    >>> import numpy as np
    >>> from leaky import leaky_relu, leaky_relu_backward, Activation
    >>> leaky_relu(np.array([-2.0, 0.0, 3.0], dtype=np.float32))
    array([-0.02,  0.  ,  3.  ], dtype=float32)
    >>> leaky_relu_backward(np.ones(3), np.array([-2.0, 0.0, 3.0]), negative_slope=0.2)
    array([0.2, 0.2, 1. ])
    >>> act = Activation("leaky_relu:alpha=0.2")
    >>> act.forward(-1.0), act.derivative(0.0), act.alpha
    (-0.2, 0.2, 0.2)

Every activation has ``<name>(x, ...)`` and ``<name>_backward(grad, x, ...)``; ``forward``,
``derivative``, ``backward`` and ``backward_from_output`` take a spec string or an
``Activation`` instead. ``catalogue()`` lists the activations with their parameters and formulas.
"""

from . import _functions
from ._functions import *  # noqa: F403
from ._leaky import (
    Activation,
    __version__,
    backward,
    backward_from_output,
    catalogue,
    derivative,
    forward,
)

__all__ = [
    "Activation",
    "__version__",
    "backward",
    "backward_from_output",
    "catalogue",
    "derivative",
    "forward",
]
__all__ += _functions.__all__
