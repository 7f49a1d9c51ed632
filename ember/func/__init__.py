"""``ember.func``: function transforms, as ``torch.func`` — ``grad``, ``grad_and_value``,
``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``,
``functional_call`` and ``stack_module_state``. How ember computes each (reverse-mode
autograd, a loop for ``vmap``) is told in the docstrings of ``ember/func/_autodiff.py`` and
``ember/func/_vmap.py``."""
from ._autodiff import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._module_state import functional_call, stack_module_state
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian",
           "vmap", "functional_call", "stack_module_state"]
