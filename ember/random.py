"""``ember.random``: the default random generators' state (``torch.random``).

``get_rng_state``/``set_rng_state``/``manual_seed``/``seed``/``initial_seed`` are the
top-level functions (``ember.manual_seed`` ...); :func:`fork_rng` runs a block and puts the
generators back as they were before it, so the block's random draws do not disturb the
program's stream (``ember.utils.checkpoint`` replays a block's draws this way).

A GPU generator's state here is a copy of the generator object itself (PyTorch's is a byte
tensor): it can be put back with the functions of this module and
``ember.utils.checkpoint.set_device_states``, and is not meant to be saved to a file.
"""
from __future__ import annotations

import contextlib
import copy
import warnings

from . import backend
from .backend import get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng"]

_fork_rng_warned_already = False


def _generator(device_type: str, index):
    return backend.generator_for(backend.device(device_type, int(index or 0)))


def _device_state(device_type: str, index):
    """A copy of the state of the default generator of ``device_type:index``."""
    g = _generator(device_type, index)
    try:
        return copy.deepcopy(g._rng)
    except Exception as exc:  # noqa: BLE001 - a generator object that cannot be copied
        raise NotImplementedError(
            f"ember cannot save the state of the {device_type}:{index} generator "
            f"({type(g._rng).__name__}: {exc}); run without forking its state "
            "(preserve_rng_state=False in checkpoint)") from None


def _set_device_state(device_type: str, index, state) -> None:
    _generator(device_type, index)._rng = copy.deepcopy(state)


def _live_devices(device_type: str) -> list:
    """The indices of the ``device_type`` generators that have been created (used)."""
    if device_type != "cuda":
        return []
    return sorted(backend._cuda_generators)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Run the block, then put the CPU generator (and those of ``devices``) back in the
    state they had before it.

    Args:
        devices: indices of the ``device_type`` devices whose generators are forked too.
            Default: every device of that type (with a warning when there are several).
        enabled: ``False`` runs the block without forking.
        device_type: ``"cuda"`` (the default: ember's only accelerator type) or ``"cpu"``.
        _caller, _devices_kw: the names the warning uses (for wrappers, as in PyTorch).
    """
    if device_type == "meta" or not enabled:
        yield
        return
    device_type = device_type or "cuda"
    if device_type not in ("cuda", "cpu"):
        raise RuntimeError(f"ember has no module of `{device_type}`: its devices are 'cpu' "
                           "and 'cuda'")
    global _fork_rng_warned_already
    if devices is None:
        n = backend.device_count() if device_type == "cuda" else 0
        if n > 1 and not _fork_rng_warned_already:
            warnings.warn(
                f"{device_type.upper()} reports that you have {n} available devices, and you "
                f"have used {_caller} without explicitly specifying which devices are being "
                f"used. Every device's generator is forked; pass the '{_devices_kw}' keyword "
                f"argument of {_caller} with the devices you use to fork only those.",
                stacklevel=3)
            _fork_rng_warned_already = True
        devices = list(range(n))
    else:
        devices = list(devices)
    cpu = copy.deepcopy(backend.default_generator._rng)
    cpu_seed = backend.default_generator._seed
    saved = [_device_state(device_type, d) for d in devices] if device_type == "cuda" else []
    try:
        yield
    finally:
        backend.default_generator._rng = cpu
        backend.default_generator._seed = cpu_seed
        for d, state in zip(devices, saved):
            _set_device_state(device_type, d, state)


def _fingerprint():
    """Something that changes when any default generator draws (for ``vmap``'s
    ``randomness='error'``): the CPU generator's bit-generator state, and each GPU
    generator's where its object exposes one (the CPU stand-in of CuPy does)."""
    def state_of(rng):
        inner = getattr(rng, "bit_generator", None) or getattr(
            getattr(rng, "_g", None), "bit_generator", None)
        return None if inner is None else repr(inner.state)
    gpus = tuple((i, state_of(g._rng)) for i, g in sorted(backend._cuda_generators.items()))
    return state_of(backend.default_generator._rng), gpus


def _snapshot():
    """Copies of every default generator, for :func:`_restore`."""
    return (copy.deepcopy(backend.default_generator._rng),
            {i: _device_state("cuda", i) for i in _live_devices("cuda")})


def _restore(snap) -> None:
    cpu, gpus = snap
    backend.default_generator._rng = copy.deepcopy(cpu)
    for i, state in gpus.items():
        _set_device_state("cuda", i, state)
