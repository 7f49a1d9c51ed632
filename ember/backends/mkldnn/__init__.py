"""``torch.backends.mkldnn``: ember's CPU kernels on oneDNN.

On Linux x86-64 ``pip install ember`` installs oneDNN (the ``onednn-cpu-gomp`` wheel) and
ember runs its convolutions, pooling, batch norm (training) and recurrent layers there,
through oneDNN's C API (``ctypes``, nothing to compile). ``enabled`` switches it (``EMBER_ONEDNN=0`` in the environment starts
with it off); float64, CuPy arrays and whatever oneDNN does not cover always take the NumPy
path, which is also what runs where the library is missing.

    ember.backends.mkldnn.is_available()      # the library loads here
    ember.backends.mkldnn.enabled = False      # NumPy path from now on
    with ember.backends.mkldnn.flags(enabled=False):
        ...                                    # NumPy path inside
"""
from ._flags import flags, initial_enabled, is_available, set_flags, status, version

enabled = initial_enabled()
deterministic = False
allow_tf32 = True
fp32_precision = "none"

__all__ = ["is_available", "enabled", "deterministic", "allow_tf32", "fp32_precision", "flags",
           "set_flags", "version", "status"]
