"""PyTorch reference for benchmarks/path_eval_benchmark: evaluates a whole
linear or quadratic path the way the anchors' scripts do
(timgaripov/dnn-mode-connectivity, EkdeepSLubana/MMC): for each t,
interpolate the state dict, load it into an nn.Module, recompute the
BatchNorm statistics with a cumulative average over the reset data in
train mode, then evaluate every set in eval mode under torch.no_grad().

The weights and data are the ones our benchmark exported
(path_eval_benchmark --export_dir=DIR writes DIR/<name>.pt and
DIR/<name>_ours.json). BatchNorm statistics, as a careful PyTorch user
would get ours (lib/paths/bn_reset.h: the exact mean and variance over all
reset images): train mode with momentum 1.0, so that after each batch
every BN's running_mean and running_var are that batch's own mean and
unbiased variance, which BN computed anyway; they are read after each batch
(C numbers per layer, no extra pass over the activations) and combined in
float64 into the exact statistics. (Garipov's update_bn, momentum=None,
keeps the mean of per-batch variances, which misses the spread between
batches: a different number, not a cheaper one.)

Timing: the whole path runs once untimed (--warmup, as our benchmark's
--export_dir pass runs the same paths before Google Benchmark times them),
then once timed.

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


def update_bn(model, data, batch_size):
    """Exact BN statistics over `data` from BN's own per-batch statistics."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = 1.0  # running stats := this batch's stats
    sums = {bn: [0.0, 0.0, 0] for bn in bns}
    model.train()
    with torch.no_grad():
        for start in range(0, data.shape[0], batch_size):
            x = data[start:start + batch_size]
            model(x)
            for bn in bns:
                # Elements per channel of this BN's input in this batch.
                n = x.shape[0] * bn.num_elements_per_image
                mean = bn.running_mean.double()
                var = bn.running_var.double()  # unbiased, over n elements
                acc = sums[bn]
                acc[0] = acc[0] + mean * n
                acc[1] = acc[1] + var * (n - 1) + mean * mean * n
                acc[2] += n
    for bn, (s1, s2, n) in sums.items():
        mean = s1 / n
        var = (s2 / n - mean * mean).clamp_min(0.0) * (n / max(n - 1, 1))
        bn.running_mean.copy_(mean.float())
        bn.running_var.copy_(var.float())


def count_bn_elements(model, shape):
    """Sets bn.num_elements per image (H * W of its input) with one probe."""
    handles = []

    def hook(module, inputs):
        module.num_elements_per_image = inputs[0].shape[2] * inputs[0].shape[3]

    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            handles.append(m.register_forward_pre_hook(hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros((1,) + tuple(shape)))
    for h in handles:
        h.remove()


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


def run_path(model, ends, ts, quadratic, bn_data, sets, batch):
    """Every point of the path: build, load, BN reset, evaluate the sets."""
    a, b, m = ends["a"], ends["b"], ends["m"]
    points, t_build, t_reset, t_eval = [], 0.0, 0.0, 0.0
    start = time.perf_counter()
    for t in ts:
        t0 = time.perf_counter()
        if quadratic:
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
    return points, time.perf_counter() - start, t_build, t_reset, t_eval


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--export", required=True, help="DIR/<name>.pt")
    p.add_argument("--points", type=int, default=11)
    p.add_argument("--quadratic", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1,
                   help="untimed whole-path runs before the timed one")
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
    count_bn_elements(model, bn_data.shape[1:])
    ts = [i / (args.points - 1) for i in range(args.points)]
    for _ in range(args.warmup):
        run_path(model, ends, ts, args.quadratic, bn_data, sets, batch)
    points, seconds, t_build, t_reset, t_eval = run_path(
        model, ends, ts, args.quadratic, bn_data, sets, batch)
    images = args.points * (bn_data.shape[0] + sum(x.shape[0] for _, x, _ in sets))
    print(json.dumps({
        "name": meta["name"], "points": args.points, "quadratic": args.quadratic,
        "warmup": args.warmup, "seconds": seconds, "build_seconds": t_build,
        "reset_seconds": t_reset, "eval_seconds": t_eval, "images": images,
        "path": points}))


if __name__ == "__main__":
    main()
