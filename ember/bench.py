"""``ember bench``: training-step speed and memory of ember against PyTorch on this machine.

Each workload is built the same way for both libraries (the same layers, initial
weights from the same seed per library, the same data), then timed in short rounds
that alternate between the two, so that machine noise hits both; the table gives the
median samples per second of each, their ratio (ember / PyTorch: above 1, ember is
faster) and the memory a training step needs: in a fresh process per library, the
workload is built and run once (optimizer state, one-time set-up), freed memory is
returned to the system (glibc's malloc_trim, for both alike), then the peak resident
memory of two more steps above the resident memory before them (Linux). PyTorch is
optional: without it, only ember's column.

    ember bench                     # every workload, 1 thread
    ember bench --threads 2 --only lenet-max mlp
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np

__all__ = ["WORKLOADS", "resnet18_small", "run", "train_step"]


def _data(lib, n, shape, classes=10):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((n,) + shape).astype(np.float32))
    return x, lib.tensor(rng.integers(0, classes, n))


def train_step(lib, model, opt, x, y):
    """A training step: zero the gradients, cross-entropy of model(x) against y, backward,
    optimizer step (the benchmarks' unit of work)."""
    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def mlp(lib):
    """The lectures' MLP 784-256-128-10 (ReLU), cross-entropy, Adam, batch 128."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    x, y = _data(lib, 128, (784,))
    return train_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y), 128


def lenet(lib, variant):
    """LeNet-5 as users write it (5x5 convolutions, the first padded by 2, 2x2 pooling,
    Linear 400-120-84-10, Adam, batch 128): ``max`` ReLU + max pooling, ``avg`` the
    lectures' tanh + average pooling."""
    nn = lib.nn
    lib.manual_seed(0)
    act = nn.ReLU if variant == "max" else nn.Tanh
    pool = nn.MaxPool2d if variant == "max" else nn.AvgPool2d
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), act(), pool(2), nn.Conv2d(6, 16, 5),
                          act(), pool(2), nn.Flatten(), nn.Linear(400, 120), act(),
                          nn.Linear(120, 84), act(), nn.Linear(84, 10))
    x, y = _data(lib, 128, (1, 28, 28))
    return train_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y), 128


def conv(lib):
    """conv2d 3x3 (padding 1), forward and backward (input and weight gradients), at
    ResNet-18's four stage shapes, batch 16."""
    rng = np.random.default_rng(0)
    work = []
    for c, s in [(64, 56), (128, 28), (256, 14), (512, 7)]:
        x = lib.tensor(rng.standard_normal((16, c, s, s)).astype(np.float32),
                       requires_grad=True)
        w = lib.tensor((rng.standard_normal((c, c, 3, 3)) * 0.05).astype(np.float32),
                       requires_grad=True)
        work.append((x, w))

    def step():
        for x, w in work:
            lib.nn.functional.conv2d(x, w, padding=1).sum().backward()
            x.grad = w.grad = None
    return step, 16


def resnet18_small(lib, num_classes=10):
    """ResNet-18 with a 3x3 stem and no max pooling (for 32x32 images), written with
    ``lib.nn`` only: the same network in ember or PyTorch."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, i, o, s):
            super().__init__()
            self.conv1 = nn.Conv2d(i, o, 3, s, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(o)
            self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(o)
            self.down = None
            if s != 1 or i != o:
                self.down = nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o))

        def forward(self, x):
            idt = x if self.down is None else self.down(x)
            out = lib.relu(self.bn1(self.conv1(x)))
            return lib.relu(self.bn2(self.conv2(out)) + idt)

    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    i = 64
    for o, s in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Block(i, o, s), Block(o, o, 1)]
        i = o
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)


def resnet18(lib):
    """ResNet-18 (small input) training step, SGD with momentum, batch 64 of 3x32x32."""
    lib.manual_seed(0)
    model = resnet18_small(lib)
    x, y = _data(lib, 64, (3, 32, 32))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return train_step(lib, model, opt, x, y), 64


def charlm(lib, cell):
    """The character-level language model's training step (bench/bench_rnn.py's): embedding
    64 -> one LSTM or GRU layer of 256 -> linear to 65 characters, sequence 64, batch 32,
    cross-entropy over every position, Adam ("samples" are sequences)."""
    nn = lib.nn
    lib.manual_seed(0)
    vocab, seq, batch = 65, 64, 32

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, 64)
            self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(64, 256)
            self.head = nn.Linear(256, vocab)

        def forward(self, x):
            return self.head(self.rnn(self.embed(x))[0])

    model = CharLM()
    opt = lib.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.integers(0, vocab, (seq, batch)))
    y = lib.tensor(rng.integers(0, vocab, (seq * batch,)))

    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x).reshape(-1, vocab), y).backward()
        opt.step()
    return step, batch


def ops(lib):
    """20 small elementwise ops (mul, add, tanh, sub, sigmoid) on 64x64, forward and
    backward: the per-op overhead of the autograd engine ("samples" are steps)."""
    x = lib.tensor(np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32),
                   requires_grad=True)

    def step():
        y = x
        for _ in range(4):
            y = lib.sigmoid(lib.tanh(y * 1.01 + 0.1) - 0.05)
        y.sum().backward()
        x.grad = None
    return step, 1


# name: (builder, steps per round, what)
WORKLOADS = {
    "mlp": (mlp, 20, "MLP 784-256-128-10, ReLU, Adam, batch 128"),
    "lenet-max": (lambda lib: lenet(lib, "max"), 5,
                  "LeNet-5, ReLU + max pool, Adam, batch 128"),
    "lenet-avg": (lambda lib: lenet(lib, "avg"), 5,
                  "LeNet-5, tanh + avg pool (the lectures'), Adam, batch 128"),
    "conv": (conv, 1, "conv2d 3x3 fwd+bwd at ResNet-18 shapes, batch 16"),
    "resnet18": (resnet18, 1, "ResNet-18 (32x32 input), SGD momentum, batch 64"),
    "ops": (ops, 50, "20 elementwise ops on 64x64, fwd+bwd (steps/s)"),
    "lstm-lm": (lambda lib: charlm(lib, "lstm"), 2,
                "char-LM: embedding, LSTM 256, seq 64, batch 32, Adam"),
    "gru-lm": (lambda lib: charlm(lib, "gru"), 2,
               "char-LM: embedding, GRU 256, seq 64, batch 32, Adam"),
}


def _status_kb(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _trim() -> None:
    """glibc's malloc_trim(0): return freed heap memory to the system (no-op elsewhere)."""
    try:
        import ctypes  # noqa: PLC0415

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak() -> bool:
    """Reset this process's peak resident set (VmHWM) to its current one (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _memory_child(name, lib_name, threads):
    """The peak memory (MB) of ``name``'s steps above what the process holds between steps,
    in a fresh process with one library; None where it cannot be measured."""
    env = dict(os.environ, **{v: str(threads) for v in ("OMP_NUM_THREADS",
                                                        "OPENBLAS_NUM_THREADS",
                                                        "MKL_NUM_THREADS")})
    r = subprocess.run([sys.executable, "-m", "ember.bench", "--memory-of", name, lib_name,
                        str(threads)], capture_output=True, text=True, env=env, timeout=600)
    try:
        return float(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def _measure_memory(name, lib_name, threads):
    import gc  # noqa: PLC0415
    import importlib  # noqa: PLC0415

    lib = importlib.import_module(lib_name)
    if lib_name == "torch":
        lib.set_num_threads(threads)
    step, _ = WORKLOADS[name][0](lib)
    step()  # the first step: optimizer state, the library's one-time set-up
    gc.collect()
    _trim()  # freed memory back to the system, for both libraries alike
    before = _status_kb("VmRSS:")
    if not _reset_peak():
        print("nan")
        return
    step()
    step()
    after = _status_kb("VmHWM:")
    print("nan" if before is None or after is None else f"{(after - before) / 1024:.1f}")


def _torch(threads=None):
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    return torch


def run(names=None, threads=1, rounds=7, memory=True, out=None):
    """Measure ``names`` (default: every workload); prints the table and returns its rows
    ({name, ember, torch, ratio, ember_mb, torch_mb, path}; samples per second, MB, and
    'oneDNN' or 'NumPy': whether ember's step called oneDNN's kernels)."""
    import ember  # noqa: PLC0415

    out = out or sys.stdout
    before = ember.get_num_threads()
    torch = _torch(None)
    torch_before = torch.get_num_threads() if torch is not None else None
    ember.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        return _table(ember, torch, names, threads, rounds, memory, out)
    finally:  # the caller's thread settings back, whatever happened
        ember.set_num_threads(before)
        if torch is not None:
            torch.set_num_threads(torch_before)


def _table(ember, torch, names, threads, rounds, memory, out):
    from .backends import mkldnn  # noqa: PLC0415
    from .backends.mkldnn import _prim  # noqa: PLC0415

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"ember bench: {threads} thread(s), {rounds} alternating rounds, numpy "
          f"{np.__version__}, torch {torch.__version__ if torch else 'not installed'}, load "
          f"{load:.2f}", file=out)
    print(f"ember's CPU kernels: {mkldnn.status()}; OMP_WAIT_POLICY="
          f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}", file=out)
    print(f"{'workload':10s} {'ember/s':>10s} {'torch/s':>10s} {'ratio':>6s} "
          f"{'ember MB':>9s} {'torch MB':>9s} {'path':>6s}  what", file=out)
    rows = []
    for name in names or list(WORKLOADS):
        build, inner, what = WORKLOADS[name]
        libs = {"ember": ember} if torch is None else {"ember": ember, "torch": torch}
        steps = {k: build(lib) for k, lib in libs.items()}
        before = _prim.executions[0]
        steps["ember"][0]()  # which path ember's step takes: any oneDNN call in it
        path = "oneDNN" if _prim.executions[0] > before else "NumPy"
        for step, _ in steps.values():
            step()
        rates = {k: [] for k in steps}
        for r in range(rounds):
            for k in (list(steps) if r % 2 == 0 else list(steps)[::-1]):
                step, batch = steps[k]
                t0 = time.perf_counter()
                for _ in range(inner):
                    step()
                rates[k].append(inner * batch / (time.perf_counter() - t0))
        med = {k: statistics.median(v) for k, v in rates.items()}
        mem = {k: _memory_child(name, k, threads) if memory else None for k in steps}
        row = {"name": name, "ember": med["ember"], "torch": med.get("torch"),
               "ratio": med["ember"] / med["torch"] if "torch" in med else None,
               "ember_mb": mem.get("ember"), "torch_mb": mem.get("torch"), "path": path}
        rows.append(row)

        def f(v, spec):
            return format(v, spec) if v is not None else "-"
        print(f"{name:10s} {f(row['ember'], '10.1f')} {f(row['torch'], '10.1f'):>10s} "
              f"{f(row['ratio'], '6.2f'):>6s} {f(row['ember_mb'], '9.0f'):>9s} "
              f"{f(row['torch_mb'], '9.0f'):>9s} {path:>6s}  {what}", file=out, flush=True)
    if hasattr(os, "getloadavg"):
        print(f"load after: {os.getloadavg()[0]:.2f}", file=out)
    return rows


if __name__ == "__main__":  # the memory child: python -m ember.bench --memory-of NAME LIB N
    if len(sys.argv) == 5 and sys.argv[1] == "--memory-of":
        _measure_memory(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("usage: ember bench (this module's own entry is for its memory children)")
