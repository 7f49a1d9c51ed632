"""oneDNN-only ops: they run on float32 alone, so the float64 table cannot reach them; their
rows run on both paths in tests/backends/test_mkldnn_kernels.py."""
from __future__ import annotations

CASES: list = []

EXEMPT = {
    "FusedRecurrentLayer": "a whole recurrent layer as one oneDNN primitive (float32 only): "
                           "tests/backends/test_mkldnn_kernels.py checks every recurrent layer "
                           "row on it, on the NumPy path and against PyTorch",
    "PoolDnnl": "max and average pooling on oneDNN (float32 only): "
                "tests/backends/test_mkldnn_kernels.py runs every pooling row on both paths",
}
