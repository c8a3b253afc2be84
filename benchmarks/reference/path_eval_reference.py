"""PyTorch reference for benchmarks/path_eval_benchmark: evaluates a whole
linear or quadratic path the way the anchors' scripts do
(timgaripov/dnn-mode-connectivity, EkdeepSLubana/MMC): for each t,
interpolate the state dict, load it into an nn.Module, recompute the
BatchNorm statistics with a cumulative average over the reset data in
train mode, then evaluate every set in eval mode under torch.no_grad().

The weights and data are the ones our benchmark exported
(path_eval_benchmark --export_dir=DIR writes DIR/<name>.pt and
DIR/<name>_ours.json). One deliberate difference from Garipov's update_bn:
its momentum=None running_var is the mean of per-batch variances, which
misses the spread between batches; ours (lib/paths/bn_reset.h) is the exact
variance over all reset images. To compare accuracies like for like, this
reference computes the same exact statistic with a forward pre-hook on each
BatchNorm (torch.var_mean of its input per batch, combined in float64): one
extra reduction per BN input, the cheapest way to get it in plain PyTorch.

Run with Debian's interpreter (same LibTorch 1.13.1 as the C++ build):
  /usr/bin/python3 benchmarks/reference/path_eval_reference.py \
      --export DIR/vgg13_w0.125_1x28x28.pt --points 11 [--quadratic]
Prints one JSON line: name, points, quadratic, seconds (whole path and its
parts), images and the per-point accuracies and losses.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
from mmc_lens.models import build  # noqa: E402


class ExactBnStats:
    """Forward pre-hooks that accumulate each BN input's exact statistics."""

    def __init__(self, model):
        self.bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        self.sums = {}
        self.handles = [bn.register_forward_pre_hook(self.hook) for bn in self.bns]

    def hook(self, module, inputs):
        x = inputs[0]
        var, mean = torch.var_mean(x, dim=(0, 2, 3), unbiased=False)
        n = x.shape[0] * x.shape[2] * x.shape[3]
        mean, var = mean.double(), var.double()
        s, sq, count = self.sums.get(module, (0.0, 0.0, 0))
        self.sums[module] = (s + mean * n, sq + (var + mean * mean) * n, count + n)

    def store(self):
        for bn, (s, sq, n) in self.sums.items():
            mean = s / n
            var = (sq / n - mean * mean).clamp_min(0.0) * (n / max(n - 1, 1))
            bn.running_mean.copy_(mean.float())
            bn.running_var.copy_(var.float())
        for h in self.handles:
            h.remove()


def update_bn(model, data, batch_size):
    """Garipov et al.'s update_bn (cumulative average), exact variance."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    stats = ExactBnStats(model)
    model.train()
    with torch.no_grad():
        for start in range(0, data.shape[0], batch_size):
            model(data[start:start + batch_size])
    stats.store()


def evaluate(model, x, y, batch_size):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            logits = model(x[start:start + batch_size])
            target = y[start:start + batch_size]
            loss += F.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(1) == target).sum().item()
    return 100.0 * correct / x.shape[0], loss / x.shape[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--export", required=True, help="DIR/<name>.pt")
    p.add_argument("--points", type=int, default=11)
    p.add_argument("--quadratic", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    meta = json.load(open(args.export[:-3] + "_ours.json"))
    data = torch.load(args.export)
    ends = {}
    for key, tensor in data.items():
        if key[:2] in ("a/", "b/", "m/"):
            ends.setdefault(key[0], {})[key[2:]] = tensor
    sets = [(name, data[f"set/{name}/x"], data[f"set/{name}/y"])
            for name in ("NC", "C", "RC", "RI")]
    bn_data = data["bn_data"]
    batch = meta["batch_size"]
    model = build(meta["arch"], meta["channels"], meta["width"], 10)
    a, b, m = ends["a"], ends["b"], ends["m"]

    ts = [i / (args.points - 1) for i in range(args.points)]
    points, t_build, t_reset, t_eval = [], 0.0, 0.0, 0.0
    start = time.perf_counter()
    for t in ts:
        t0 = time.perf_counter()
        if args.quadratic:
            wa, wm, wb = (1 - t) ** 2, 2 * t * (1 - t), t * t
            state = {k: wa * a[k] + wm * m[k] + wb * b[k] for k in a}
        else:
            state = {k: (1 - t) * a[k] + t * b[k] for k in a}
        result = model.load_state_dict(state, strict=False)
        if result.unexpected_keys or any(
                not k.endswith("num_batches_tracked") for k in result.missing_keys):
            sys.exit(f"names differ: {result}")
        t1 = time.perf_counter()
        update_bn(model, bn_data, batch)
        t2 = time.perf_counter()
        point = {"t": t}
        for name, x, y in sets:
            point[name] = list(evaluate(model, x, y, batch))
        t3 = time.perf_counter()
        points.append(point)
        t_build, t_reset, t_eval = t_build + t1 - t0, t_reset + t2 - t1, t_eval + t3 - t2
    seconds = time.perf_counter() - start
    images = args.points * (bn_data.shape[0] + sum(x.shape[0] for _, x, _ in sets))
    print(json.dumps({
        "name": meta["name"], "points": args.points, "quadratic": args.quadratic,
        "seconds": seconds, "build_seconds": t_build, "reset_seconds": t_reset,
        "eval_seconds": t_eval, "images": images, "path": points}))


if __name__ == "__main__":
    main()
