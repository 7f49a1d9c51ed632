"""References for the compiled torchvision kernels that cannot load beside the CPU torch of
the tests, written in plain torch loop by loop from their definitions: RoI Align's sample
positions, the rule that samples outside [-1, size] count zero and the clamping at the last
row and column; RoI Pool's rounded boxes, bin edges, first-maximum rule (strictly greater
than the running maximum, which starts at -FLT_MAX) and empty bins. Slow and clear; used on
small inputs only. Differentiable with respect to the input through torch's autograd."""
from __future__ import annotations

import math

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _bilinear(x, y, xx, h, w):
    """One bilinear sample of x (C, H, W) at (y, xx), the kernel's border rules."""
    if not (-1.0 <= y <= h and -1.0 <= xx <= w):
        return x.new_zeros(x.shape[0])
    y, xx = max(y, 0.0), max(xx, 0.0)
    y_low, x_low = int(y), int(xx)
    if y_low >= h - 1:
        y_low = y_high = h - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= w - 1:
        x_low = x_high = w - 1
        xx = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, xx - x_low
    hy, hx = 1.0 - ly, 1.0 - lx
    return (hy * hx * x[:, y_low, x_low] + hy * lx * x[:, y_low, x_high] +
            ly * hx * x[:, y_high, x_low] + ly * lx * x[:, y_high, x_high])


def roi_align_reference(x, rois, output_size, spatial_scale=1.0, sampling_ratio=-1,
                        aligned=False):
    ph, pw = (output_size, output_size) if isinstance(output_size, int) else output_size
    if isinstance(rois, (list, tuple)):
        rois = torch.cat([torch.cat([torch.full_like(b[:, :1], i), b], 1)
                          for i, b in enumerate(rois)])
    c, h, w = x.shape[1:]
    outs = []
    for r in rois.tolist():
        b, off = int(r[0]), 0.5 if aligned else 0.0
        sw, sh = r[1] * spatial_scale - off, r[2] * spatial_scale - off
        rw, rh = r[3] * spatial_scale - off - sw, r[4] * spatial_scale - off - sh
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / ph)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / pw)
        count = max(gh * gw, 1)
        rows = []
        for i in range(ph):
            cells = []
            for j in range(pw):
                acc = x.new_zeros(c)
                for iy in range(gh):
                    y = sh + i * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        acc = acc + _bilinear(x[b], y, sw + j * bw + (ix + 0.5) * bw / gw, h, w)
                cells.append(acc / count)
            rows.append(torch.stack(cells, -1))
        outs.append(torch.stack(rows, -2))
    return torch.stack(outs) if outs else x.new_zeros(0, c, ph, pw)


def _round(v):
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def roi_pool_reference(x, rois, output_size, spatial_scale=1.0):
    ph, pw = (output_size, output_size) if isinstance(output_size, int) else output_size
    c, h, w = x.shape[1:]
    values = x.detach()
    flt_max = float(np.finfo(np.float32).max)
    outs = []
    for r in rois.tolist():
        b = int(r[0])
        x1, y1, x2, y2 = (_round(v * spatial_scale) for v in r[1:])
        bh, bw = max(y2 - y1 + 1, 1) / ph, max(x2 - x1 + 1, 1) / pw
        rows = []
        for i in range(ph):
            h0 = min(max(math.floor(i * bh) + y1, 0), h)
            h1 = min(max(math.ceil((i + 1) * bh) + y1, 0), h)
            cells = []
            for j in range(pw):
                w0 = min(max(math.floor(j * bw) + x1, 0), w)
                w1 = min(max(math.ceil((j + 1) * bw) + x1, 0), w)
                if h1 <= h0 or w1 <= w0:
                    cells.append(x.new_zeros(c))
                    continue
                vals = []
                for ch in range(c):
                    best, where = -flt_max, None
                    for yy in range(h0, h1):
                        for xx in range(w0, w1):
                            if float(values[b, ch, yy, xx]) > best:
                                best, where = float(values[b, ch, yy, xx]), (yy, xx)
                    vals.append(x[b, ch, where[0], where[1]] if where else
                                x.new_tensor(-flt_max))
                cells.append(torch.stack(vals))
            rows.append(torch.stack(cells, -1))
        outs.append(torch.stack(rows, -2))
    return torch.stack(outs) if outs else x.new_zeros(0, c, ph, pw)
