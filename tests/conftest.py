"""Test-session setup: give ``device="cuda"`` a backend on every machine.

With CuPy and a GPU the device tests run on the GPU. Without them (CI, most
development machines) the strict CPU stand-in of CuPy is selected, so the
whole op table and the layers still run on ``device="cuda"`` and any op that
reaches for NumPy directly or mixes devices fails. ``EMBER_STANDIN_CUDA=0``
in the environment turns the stand-in off (then the device tests skip).
"""
from __future__ import annotations

import os
import signal

from tests._skips import pytest_terminal_summary  # noqa: F401 - the skip summary's hook


def _real_gpu() -> bool:
    try:
        import cupy  # noqa: PLC0415

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "no GPU"
        return False


# pytest-xdist's workers share the cores: each gets its share of threads for NumPy's BLAS,
# oneDNN's OpenMP and PyTorch (read when they load, after this). Two workers of two threads
# on two cores made small training steps 10-30x slower (every BLAS call's threads waited
# for a core the other worker held).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
if _WORKERS > 1:
    _SHARE = str(max(1, (os.cpu_count() or 1) // _WORKERS))
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, _SHARE)


# The Ctrl-C tests interrupt the commands they start and expect them to stop as a user's
# Ctrl-C stops them. A suite started where SIGINT is ignored (a background job of a script,
# ``nohup cmd &``) would hand that to every child, which then never sees the interrupt:
# give this process Python's own handler, so its children start with the default one.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


if "EMBER_STANDIN_CUDA" not in os.environ and not _real_gpu():
    os.environ["EMBER_STANDIN_CUDA"] = "1"


# torchvision as a second oracle. PyPI's torchvision wheels are built against PyPI's CUDA
# torch; beside the CPU torch the test extras install, their compiled operators do not load
# and ``import torchvision`` stops at the Python-side registration of those operators
# ("operator torchvision::nms does not exist"). Declaring the operators' schemas first lets
# the pure-Python parts (transforms, models, utils, datasets, box arithmetic) import and run;
# the compiled kernels (nms, roi_align, ...) stay absent and tests that need them say so.
_TORCHVISION_SCHEMAS = [
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, "
    "int sampling_ratio, bool aligned) -> Tensor",
    "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
    "float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, "
    "SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width) -> (Tensor, Tensor)",
    "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
    "SymInt height, SymInt width) -> Tensor",
    "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width) -> (Tensor, Tensor)",
    "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
    "float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, "
    "SymInt channels, SymInt height, SymInt width) -> Tensor",
    "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
    "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
    "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, "
    "Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, "
    "SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, "
    "bool use_mask) -> (Tensor, Tensor, Tensor, Tensor, Tensor)",
]
_torchvision_library = None  # kept alive: the schemas live as long as this object


def _make_torchvision_importable() -> None:
    global _torchvision_library
    import importlib.util  # noqa: PLC0415
    import sys  # noqa: PLC0415

    if importlib.util.find_spec("torchvision") is None or importlib.util.find_spec("torch") is None:
        return
    try:
        import torchvision  # noqa: F401, PLC0415
        return
    except RuntimeError:
        pass
    for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
        del sys.modules[name]
    import torch  # noqa: PLC0415

    _torchvision_library = torch.library.Library("torchvision", "DEF")
    for schema in _TORCHVISION_SCHEMAS:
        _torchvision_library.define(schema)
    import torchvision  # noqa: F401, PLC0415


_make_torchvision_importable()
