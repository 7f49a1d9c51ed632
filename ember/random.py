"""``ember.random``: the random number generators' state, as ``torch.random``.

Each process starts its default generator from a fresh random seed (``initial_seed()``
returns it), so two runs of a program that never seeds differ, as with PyTorch; a program
that calls ``manual_seed(s)`` repeats itself exactly. ``fork_rng()`` runs a block with the
generators' state set aside and puts it back afterwards.
"""
from __future__ import annotations

import contextlib
import warnings

from . import accelerator, backend, cuda
from .backend import Generator, default_generator, get_rng_state, initial_seed, manual_seed, \
    seed, set_rng_state

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng",
           "Generator", "default_generator"]

_fork_rng_warned_already = [False]


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type=None):
    """Run the block with the random state forked: on leaving it, the CPU generator and the
    generators of ``devices`` (indices of ``device_type`` devices; all of them by default,
    with PyTorch's warning when there are several) are back where they were. ``enabled=False``
    forks nothing. ``device_type`` defaults to the current accelerator's, else ``'cuda'``;
    ember's only accelerator is CUDA, so another type raises ``RuntimeError`` (``'meta'``
    has no generators: nothing to fork)."""
    if device_type == "meta":
        yield
        return
    acc = accelerator.current_accelerator()
    device_type = device_type or (acc.type if acc is not None else "cuda")
    if device_type != "cuda":
        raise RuntimeError(f"fork_rng(device_type={device_type!r}): ember has no '{device_type}' "
                           "device; its accelerator is 'cuda' (the CPU's generator is always "
                           "forked)")
    if not enabled:
        yield
        return
    if devices is None:
        n = cuda.device_count()
        if n > 1 and not _fork_rng_warned_already[0]:
            warnings.warn(f"CUDA reports that you have {n} available devices, and you have used "
                          f"{_caller} without explicitly specifying which devices are being used. "
                          "For safety, we initialize *every* CUDA device by default, which can be "
                          "quite slow if you have a lot of CUDAs. If you know that you are only "
                          "making use of a few CUDA devices, set the environment variable "
                          f"CUDA_VISIBLE_DEVICES or the '{_devices_kw}' keyword argument of "
                          f"{_caller} with the set of devices you are actually using. For example, "
                          "if you are using CPU only, set device.upper()_VISIBLE_DEVICES= or "
                          "devices=[]; if you are using device 0 only, set "
                          "CUDA_VISIBLE_DEVICES=0 or devices=[0].  To initialize all devices and "
                          f"suppress this warning, set the '{_devices_kw}' keyword argument to "
                          "`range(torch.cuda.device_count())`.", stacklevel=3)
            _fork_rng_warned_already[0] = True
        devices = list(range(n))
    else:
        devices = list(devices)  # a generator would be used up by the first pass
    gens = [backend.generator_for(backend.device("cuda", int(
        d if isinstance(d, int) else backend.as_device(d).index or 0))) for d in devices]
    cpu_state = get_rng_state()
    saved = [g._snapshot() for g in gens]
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        for g, snap in zip(gens, saved):
            g._restore(snap)
