"""Convolutional speed and memory: ember vs PyTorch (CPU) on the same work, in one process.

Workloads (forward + backward each step, the two libraries alternating in rounds):
  lenet-max LeNet-5 as users write it: pad-2 5x5 convs, ReLU, 2x2 max pool, Adam, batch 128
  lenet-avg the lectures' LeNet-5: tanh, 2x2 average pool, Adam, batch 128
  conv64    conv2d 3x3 at ResNet-18 shapes, batch 16: 64x56x56, 128x28x28, 256x14x14, 512x7x7
  resnet18  ResNet-18 (small input) training step at batch 64 on 3x32x32 (--full only)

Prints medians, ratios ember/torch in samples/s (higher is better) and, per
library, how much the peak resident memory grows over building the workload and
running two steps (in a fresh child process, after both libraries are imported).

    python bench/bench_cnn.py --threads 1 [--full]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    p.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    p.add_argument("--full", action="store_true", help="also the ResNet-18 training step")
    p.add_argument("--memory-of", default=None, help=argparse.SUPPRESS)
    return p.parse_args()


ARGS = _parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

import ember  # noqa: E402
import ember.bench  # noqa: E402  (the LeNet workloads, shared with `ember bench`)
import ember.models  # noqa: E402

# A memory-measuring child imports PyTorch only when it measures it (its peak is taken
# relative to the state after the imports).
_ONLY = ARGS.memory_of.split(":")[1] if ARGS.memory_of else None
torch = None
if _ONLY != "ember":
    try:
        import torch  # noqa: E402
    except ImportError:
        sys.exit("bench_cnn: PyTorch is needed as the reference (pip install torch==2.13.0)")
    torch.set_num_threads(ARGS.threads)

from _common import vm_hwm_kb  # noqa: E402  (bench/, beside this file)
from _torch_models import torch_resnet18_small  # noqa: E402


def lenet_max(lib):
    return ember.bench.lenet(lib, "max")


def lenet_avg(lib):
    return ember.bench.lenet(lib, "avg")


def conv_layers(lib):
    return ember.bench.conv(lib)


def resnet18(lib):
    lib.manual_seed(0)
    model = ember.models.resnet18(small_input=True, num_classes=10) if lib is ember else \
        torch_resnet18_small(torch)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))
    return ember.bench.train_step(lib, model, opt, x, y), 64


WORK = {"lenet-max": (lenet_max, 5), "lenet-avg": (lenet_avg, 5), "conv64": (conv_layers, 2),
        "resnet18": (resnet18, 1)}


def peak_rss_mb(name, lib):
    """Peak RSS of a fresh process that builds the workload and runs two steps."""
    out = subprocess.run([sys.executable, __file__, "--threads", str(ARGS.threads),
                          "--memory-of", f"{name}:{lib}"], capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] if out.returncode == 0 else "n/a"


def main():
    if ARGS.memory_of:
        name, lib = ARGS.memory_of.split(":")
        base = vm_hwm_kb()
        step, _ = WORK[name][0](ember if lib == "ember" else torch)  # build the workload
        step()
        step()
        print(f"{(vm_hwm_kb() - base) / 1024:.0f}")
        return
    print(f"threads={ARGS.threads} numpy={np.__version__} torch={torch.__version__} "
          f"load={os.getloadavg()[0]:.2f}")
    names = ["lenet-max", "lenet-avg", "conv64"] + (["resnet18"] if ARGS.full else [])
    for name in names:
        make, inner = WORK[name]
        steps = {"ember": make(ember), "torch": make(torch)}
        rates = {"ember": [], "torch": []}
        for s, _ in steps.values():
            s()
        for r in range(ARGS.rounds):
            for lib in (("ember", "torch") if r % 2 == 0 else ("torch", "ember")):
                step, batch = steps[lib]
                t0 = time.perf_counter()
                for _ in range(inner):
                    step()
                rates[lib].append(inner * batch / (time.perf_counter() - t0))
        e, t = statistics.median(rates["ember"]), statistics.median(rates["torch"])
        print(f"{name:10s} ember {e:9.1f} samples/s   torch {t:9.1f} samples/s   "
              f"ratio ember/torch (throughput) {e / t:5.2f}   peak RSS MB ember "
              f"{peak_rss_mb(name, 'ember')} torch {peak_rss_mb(name, 'torch')}")
    print(f"load after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
