"""GPU speed: ember on CuPy vs PyTorch CUDA on the same training steps, in one process.

Workloads (a full training step each: forward, loss, backward, optimizer step):
  mlp       MLP 784-256-128-10, ReLU, cross-entropy, Adam, batch 128 (and batch 1024)
  lenet     LeNet-5 as users write it: pad-2 5x5 convs, ReLU, max pool 2x2, Adam, batch 128
  resnet18  ResNet-18 (small input, CIFAR-sized 3x32x32), SGD momentum, batch 64

The two libraries alternate in rounds (each round: synchronise, time N steps,
synchronise); medians of samples/s and the ratio ember/torch are printed. With
``--cpu-resnet`` ember's CPU path runs the ResNet-18 step too, for the GPU/CPU
speed-up. Without a GPU, ``EMBER_STANDIN_CUDA=1`` runs the ember side on the
CPU stand-in (a smoke test of the script, not a measurement).

    python bench/bench_gpu.py [--rounds 5] [--steps 20] [--only mlp,lenet] [--cpu-resnet]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import ember
import ember.models
from ember.bench import train_step

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

from _torch_models import torch_resnet18_small  # bench/, beside this file


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=20, help="timed steps per round")
    p.add_argument("--only", default="mlp,mlp1024,lenet,resnet18")
    p.add_argument("--cpu-resnet", action="store_true", help="also ember's CPU ResNet-18 step")
    return p.parse_args()


def _sync(lib, dev):
    if dev == "cpu":
        return
    if lib is ember:
        ember.cuda.synchronize()
    else:
        torch.cuda.synchronize()


def mlp(lib, dev, batch=128):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10)).to(dev)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, 784)).astype(np.float32), device=dev)
    y = lib.tensor(rng.integers(0, 10, batch), device=dev)
    return train_step(lib, model, opt, x, y), batch


def lenet(lib, dev):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10)).to(dev)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((128, 1, 28, 28)).astype(np.float32), device=dev)
    y = lib.tensor(rng.integers(0, 10, 128), device=dev)
    return train_step(lib, model, opt, x, y), 128


def resnet18(lib, dev):
    lib.manual_seed(0)
    model = ember.models.resnet18(small_input=True, num_classes=10) if lib is ember else \
        torch_resnet18_small(torch)
    model = model.to(dev)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((64, 3, 32, 32)).astype(np.float32), device=dev)
    y = lib.tensor(rng.integers(0, 10, 64), device=dev)
    return train_step(lib, model, opt, x, y), 64


WORK = {"mlp": lambda lib, dev: mlp(lib, dev), "mlp1024": lambda lib, dev: mlp(lib, dev, 1024),
        "lenet": lenet, "resnet18": resnet18}


def _rate(lib, dev, step, n, steps):
    _sync(lib, dev)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(lib, dev)
    return n * steps / (time.perf_counter() - t)


def main():
    args = _parse()
    if not ember.cuda.is_available():
        sys.exit("bench_gpu: no CUDA device for ember (CuPy with a GPU, or EMBER_STANDIN_CUDA=1)")
    tdev = "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    print(f"ember on {ember.cuda.get_device_name()}"
          f"{' (stand-in: not a measurement)' if ember.backend.is_standin() else ''}; "
          f"torch {torch.__version__ if torch else '-'} on {tdev}")
    print(f"{'workload':10} {'ember/s':>10} {'torch/s':>10} {'ratio':>6} {'min':>6} "
          f"{'ember MiB':>10}")
    for name in args.only.split(","):
        make = WORK[name]
        e_step, n = make(ember, "cuda")
        t_step = make(torch, tdev)[0] if torch is not None else None
        for _ in range(3):  # warm-up: kernel compilation, pools, cuDNN/cuBLAS plans
            e_step()
            if t_step:
                t_step()
        _sync(ember, "cuda")
        ember.cuda.reset_peak_memory_stats()
        er, tr = [], []
        for _ in range(args.rounds):
            er.append(_rate(ember, "cuda", e_step, n, args.steps))
            if t_step:
                tr.append(_rate(torch, tdev, t_step, n, args.steps))
        em, tm = statistics.median(er), statistics.median(tr) if tr else float("nan")
        worst = min(e / t for e, t in zip(er, tr)) if tr else float("nan")
        print(f"{name:10} {em:10.0f} {tm:10.0f} {em / tm:6.2f} {worst:6.2f} "
              f"{ember.cuda.max_memory_allocated() / 2**20:10.1f}", flush=True)
    if args.cpu_resnet:
        step, n = resnet18(ember, "cpu")
        step()
        cpu = statistics.median(_rate(ember, "cpu", step, n, 2) for _ in range(2))
        e_step, n = resnet18(ember, "cuda")
        for _ in range(3):
            e_step()
        gpu = statistics.median(_rate(ember, "cuda", e_step, n, args.steps) for _ in range(3))
        print(f"resnet18 ember GPU {gpu:.0f}/s vs ember CPU {cpu:.1f}/s: {gpu / cpu:.1f}x")


if __name__ == "__main__":
    main()
