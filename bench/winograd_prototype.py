"""Why ember's 3x3 convolutions stay im2col + GEMM: a Winograd F(2x2, 3x3) forward
written with NumPy (input and output transforms as whole-array passes, the sixteen
tile-position GEMMs as one stacked matmul) against ember's Conv2d forward, at
ResNet-18's stage shapes (batch 16, stride 1, padding 1, one thread).

    python bench/winograd_prototype.py

Winograd needs 2.25x fewer multiplications, but in NumPy its transforms are
memory-bound passes over data four times the input and its sixteen smaller GEMMs run
below the single large GEMM's speed: measured here it was 1.3-4.2x slower at the four
shapes (docs/performance.md). The error against the
direct convolution is printed too (about 6e-7 relative in float32).
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_threads  # noqa: E402

# F(2x2, 3x3): Y = A^T [(G w G^T) * (B^T d B)] A over 4x4 input tiles with stride 2
_BT = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))
_G = ((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1))


def winograd_conv3x3(np, x, w):
    """conv2d(x, w, padding=1) for x (N, C, H, W), w (O, C, 3, 3); (N, O, H, W) out."""
    N, C, H, W = x.shape
    O = w.shape[0]
    ta, tb = (H + 1) // 2, (W + 1) // 2
    xpad = np.zeros((C, 2 * ta + 2, 2 * tb + 2, N), x.dtype)  # batch innermost, as ember
    xpad[:, 1:1 + H, 1:1 + W] = x.transpose(1, 2, 3, 0)
    g = np.array(_G, x.dtype)
    u = np.ascontiguousarray((g @ w @ g.T).transpose(2, 3, 0, 1)).reshape(16, O, C)
    d = [[xpad[:, i:i + 2 * ta:2, j:j + 2 * tb:2] for j in range(4)] for i in range(4)]

    def transform(rows, n_out, m, out):  # out[i][...] = sum_k m[i][k] rows[k]
        for i in range(n_out):
            terms = [(c, rows[k]) for k, c in enumerate(m[i]) if c]
            (c0, r0), rest = terms[0], terms[1:]
            np.multiply(r0, c0, out=out[i]) if c0 != 1 else np.copyto(out[i], r0)
            for c, r in rest:
                out[i] += r if c == 1 else -r if c == -1 else c * r

    half = np.empty((4, 4, C, ta, tb, N), x.dtype)
    for j in range(4):
        transform([d[k][j] for k in range(4)], 4, _BT, [half[i, j] for i in range(4)])
    v = np.empty((4, 4, C, ta, tb, N), x.dtype)
    for i in range(4):
        transform([half[i, k] for k in range(4)], 4, _BT, [v[i, j] for j in range(4)])
    m = np.matmul(u, v.reshape(16, C, -1)).reshape(4, 4, O, ta, tb, N)
    at = ((1, 1, 1, 0), (0, 1, -1, -1))
    s = np.empty((2, 4, O, ta, tb, N), x.dtype)
    for j in range(4):
        transform([m[k, j] for k in range(4)], 2, at, [s[i, j] for i in range(2)])
    out = np.empty((O, 2 * ta, 2 * tb, N), x.dtype)
    for i in range(2):
        transform([s[i, k] for k in range(4)], 2, at,
                  [out[:, i::2, j::2] for j in range(2)])
    return out[:, :H, :W].transpose(3, 0, 1, 2)


def main():
    import numpy as np

    from ember.ops.conv import Conv2d

    class Ctx:
        def save_for_backward(self, *a):
            pass

    def median_ms(f, n=5):
        f()
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            times.append((time.perf_counter() - t0) / n * 1e3)
        return float(np.median(times))

    rng = np.random.default_rng(0)
    print(f"{'channels':>8} {'size':>5} {'im2col ms':>10} {'winograd ms':>12} {'rel. error':>10}")
    for c, h in ((64, 32), (128, 16), (256, 8), (512, 4)):
        x = rng.standard_normal((16, c, h, h)).astype(np.float32)
        w = (rng.standard_normal((c, c, 3, 3)) * 0.05).astype(np.float32)

        def direct(x=x, w=w):
            return Conv2d.forward(Ctx(), x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1)

        ref, got = direct(), winograd_conv3x3(np, x, w)
        err = float(np.abs(ref - got).max() / np.abs(ref).max())
        print(f"{c:8d} {h:5d} {median_ms(direct):10.2f} "
              f"{median_ms(lambda x=x, w=w: winograd_conv3x3(np, x, w)):12.2f} {err:10.1e}")


if __name__ == "__main__":
    pin_threads(1)
    main()
