"""The default generators' state as the function transforms watch it: ``vmap``'s
``randomness='error'`` refuses a draw (:func:`_fingerprint` changes when any default generator
draws) and ``randomness='same'`` replays one draw for every sample (:func:`_snapshot` /
:func:`_restore`)."""
from __future__ import annotations

from .. import backend


def _fingerprint():
    """Something that changes when any default generator draws: the CPU generator's
    bit-generator state, and each GPU generator's where its object exposes one (the CPU
    stand-in of CuPy does)."""
    def state_of(rng):
        inner = getattr(rng, "bit_generator", None) or getattr(
            getattr(rng, "_g", None), "bit_generator", None)
        return None if inner is None else repr(inner.state)
    gpus = tuple((i, state_of(g._rng)) for i, g in sorted(backend._cuda_generators.items()))
    return state_of(backend.default_generator._rng), gpus


def _snapshot():
    """The state of every default generator, for :func:`_restore`."""
    return (backend.default_generator._snapshot(),
            {i: g._snapshot() for i, g in backend._cuda_generators.items()})


def _restore(snap) -> None:
    cpu, gpus = snap
    backend.default_generator._restore(cpu)
    for i, state in gpus.items():
        backend._cuda_generators[i]._restore(state)
