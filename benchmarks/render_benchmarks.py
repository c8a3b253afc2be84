"""Renders reports/benchmarks.md from one run of benchmarks/compare.sh:
Google Benchmark's JSON of path_eval_benchmark (ours.json), our exported
path accuracies (<name>_ours.json) and the PyTorch reference's results
(ref_<name>_<K>_<quadratic>.json), all in --dir, and the later rounds'
timings of the short whole paths (round<r>/ours_<name>_<K>_<quadratic>.json
and round<r>/ref_<name>_<K>_<quadratic>.json). Prints the Markdown too.

Two questions compare.sh asks instead (nothing rendered):
  --list_timed: prints "<name> <K> <quadratic>" per whole path of the tasks'
    setting that was exported (<name>_ours.json) and timed in ours.json;
  --short_paths: prints "<name> <K> <quadratic>" per compared whole path
    (ref_*.json) whose round 1 took under --round_seconds on both sides (the
    paths that get later rounds).
"""
import argparse
import glob
import json
import os
import re


def parse_benchmarks(path):
    """{(name, kind, args-tuple): record} from Google Benchmark's JSON."""
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        parts = [p for p in b["name"].split("/") if not p.startswith(("iterations:", "real_time", "min_time:"))]
        out["/".join(parts)] = b
    return out


def seconds(b):
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    return b["real_time"] * scale


def fmt_s(b):
    return f"{seconds(b):.2f}" if b else "-"


def whole_path_key(name, k, q, per_pass=1, workers=0):
    """Our benchmark's name of a whole path; the defaults are the tasks'
    setting (one point per pass, a point per thread)."""
    return (f"{name}/whole_path/K:{k}/per_pass:{per_pass}/workers:{workers}"
            f"/quadratic:{q}")


def ref_path(ref):
    """(name, K, q) of a reference result, q = 1 for the quadratic path."""
    return ref["name"], ref["points"], 1 if ref["quadratic"] else 0


def round_times(directory, ref, ours_round_one):
    """Every round's seconds of one whole path: (ours, PyTorch's), round 1
    first. A round with one side missing is an error (compare.sh runs both)."""
    name, k, q = ref_path(ref)
    ours, theirs = [seconds(ours_round_one)], [ref["seconds"]]
    r = 2
    while os.path.isdir(os.path.join(directory, f"round{r}")):
        d = os.path.join(directory, f"round{r}")
        ours_file = os.path.join(d, f"ours_{name}_{k}_{q}.json")
        ref_file = os.path.join(d, f"ref_{name}_{k}_{q}.json")
        have = [os.path.exists(ours_file), os.path.exists(ref_file)]
        if have == [True, True]:
            runs = parse_benchmarks(ours_file)
            b = runs.get(whole_path_key(name, k, q))
            if b is None or len(runs) != 1:
                raise SystemExit(f"{ours_file}: expected exactly "
                                 f"{whole_path_key(name, k, q)}, got {list(runs)}")
            later = json.load(open(ref_file))
            if later["path"] != ref["path"]:
                raise SystemExit(f"{ref_file}: the reference's numbers differ "
                                 "from round 1's (not deterministic?)")
            ours.append(seconds(b))
            theirs.append(later["seconds"])
        elif have != [False, False]:
            raise SystemExit(f"round {r} of {name} K={k}: only one side ran")
        r += 1
    return ours, theirs


def fmt_rounds(times):
    return " / ".join(f"{t:.2f}" for t in times)


def print_timed(args):
    """compare.sh's question: which exported whole paths did ours time?"""
    bench = parse_benchmarks(os.path.join(args.dir, "ours.json"))
    for path in sorted(glob.glob(os.path.join(args.dir, "*_ours.json"))):
        exported = json.load(open(path))
        for key in exported["paths"]:  # "<linear|quadratic>_<K>"
            kind, k = key.rsplit("_", 1)
            q = 1 if kind == "quadratic" else 0
            if whole_path_key(exported["name"], k, q) in bench:
                print(exported["name"], k, q)


def print_short(args):
    """compare.sh's question: which whole paths get more rounds?"""
    bench = parse_benchmarks(os.path.join(args.dir, "ours.json"))
    for ref_file in sorted(glob.glob(os.path.join(args.dir, "ref_*.json"))):
        ref = json.load(open(ref_file))
        key = whole_path_key(*ref_path(ref))
        if key not in bench:
            raise SystemExit(f"no timing of ours for {key}")
        if max(seconds(bench[key]), ref["seconds"]) < args.round_seconds:
            print(*ref_path(ref))


def max_diffs(ours_points, ref_points, what):
    """Largest |accuracy| and |loss| differences over every point and set.

    Fails loudly when the two sides did not evaluate the same grid (zip
    would silently compare a prefix)."""
    if len(ours_points) != len(ref_points):
        raise SystemExit(f"{what}: ours has {len(ours_points)} points, the "
                         f"reference {len(ref_points)}")
    worst_acc, worst_loss = 0.0, 0.0
    for o, r in zip(ours_points, ref_points):
        if abs(o["t"] - r["t"]) > 1e-9:
            raise SystemExit(f"{what}: t differs, ours {o['t']} vs {r['t']}")
        for s in ("NC", "C", "RC", "RI"):
            worst_acc = max(worst_acc, abs(o[s][0] - r[s][0]))
            worst_loss = max(worst_loss, abs(o[s][1] - r[s][1]))
    return worst_acc, worst_loss


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--out", help="the Markdown to write (required unless "
                   "--list_timed or --short_paths)")
    p.add_argument("--busy_before", default="?",
                   help="CPU busy percent over 2 s before the timings")
    p.add_argument("--threads", default="2")
    p.add_argument("--commit", default="?")
    p.add_argument("--cpu", default="?")
    p.add_argument("--cores", default="?")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--round_seconds", type=float, default=0.0)
    p.add_argument("--short_paths", action="store_true",
                   help="see the module's docstring")
    p.add_argument("--list_timed", action="store_true",
                   help="see the module's docstring")
    args = p.parse_args()
    if args.list_timed:
        print_timed(args)
        return
    if args.short_paths:
        print_short(args)
        return
    if not args.out:
        p.error("--out is required")
    bench = parse_benchmarks(os.path.join(args.dir, "ours.json"))
    gemm = next((b for k, b in bench.items() if k.startswith("peak/gemm")), None)
    conv = next((b for k, b in bench.items() if k.startswith("peak/conv")), None)
    peak_gemm = gemm["GFLOPs"] if gemm else float("nan")
    peak_conv = conv["GFLOPs"] if conv else float("nan")

    lines = [
        "# Path-evaluation benchmark: mmc-lens vs a PyTorch loop",
        "",
        f"Written by `benchmarks/compare.sh` (commit {args.commit}) on {args.cpu}, "
        f"{args.cores} cores, {args.threads} intra-op threads on both sides, "
        "LibTorch 1.13.1 (C++ and Debian's python3-torch). CPUs busy over the "
        f"2 s before the timings: {args.busy_before}%. (Google Benchmark's 'Library was built as DEBUG' "
        "warning is about Debian's libbenchmark, not our -c opt code.) Both sides evaluate the same exported tensors. "
        "VGG-13 x1/8: trained weights (the checked-in smoke models: theta_C "
        "c=0.8, theta_NC and the quadratic w/ cue midpoint) on real "
        "Fashion-MNIST counterfactual sets, so the loss and accuracy "
        "comparison is of networks that learnt something. ResNet-18 x1: "
        "PyTorch-default random weights and random images (no trained "
        "ResNet-18 on this CPU machine; throughput does not depend on the "
        "weights). Warm-up: each side runs every timed path once before "
        "timing it (ours in the export pass or, run alone, in the benchmark; "
        "PyTorch with --warmup 1). " + (
            f"Rounds: {args.rounds} per side for every whole path whose first "
            f"round took under {args.round_seconds:g} s on both sides, ours "
            "and PyTorch alternating (and which goes first), each in a new "
            "process; the table gives each side's best round (the least "
            "disturbed run) and every round, and the ratio, GFLOP/s and % of "
            "peak are the best round's (the peak is measured once, in round "
            "1). " if args.rounds > 1 else "One timed run per side. ") +
        "PyTorch's BN statistics: momentum 1.0 in train mode, each batch's "
        "statistics read from running_mean/var and combined exactly (no "
        "extra pass; benchmarks/reference/path_eval_reference.py).",
        "",
        "## Attainable peak (same threads)",
        "",
        "| kernel | GFLOP/s |",
        "|---|---|",
        f"| SGEMM 2048x2048x2048 | {peak_gemm:.1f} |",
        f"| conv 3x3, 256->256 ch, 16x16, batch 64, oneDNN layout | {peak_conv:.1f} |",
        "",
        "## Whole paths (build theta(t), BN reset, NC/C/RC/RI at every point)",
        "",
        "ours: the tasks' setting (lib/paths/path.h: BN folded into the convs, "
        "oneDNN layout from the first conv with 16 output channels on, in-place ReLU, `eval.path_workers` "
        "0: a point per thread for networks up to 2M parameters, each point on "
        "both threads above); ours (2 thr/pt): "
        "one point at a time on both threads (`path_workers` 1); ours (stacked): "
        "all K points as one grouped network (`points_per_pass` K, 1 worker). "
        "Ratio = PyTorch time / ours. % of peak: ours GFLOP/s over the conv peak "
        "above. Max acc diff: the largest |accuracy difference| between ours and "
        "PyTorch over every point and set, in percentage points; max loss diff "
        "the same for the mean cross-entropy, in nats.",
        "",
        "| network | path | K | images | ours s | ours s, each round | "
        "ours (2 thr/pt) s | ours (stacked) s | PyTorch s | "
        "PyTorch s, each round | ratio | ours GFLOP/s | % of conv peak | "
        "PyTorch GFLOP/s | max acc diff (pp) | max loss diff (nats) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    summary = []
    refs = sorted(glob.glob(os.path.join(args.dir, "ref_*.json")))
    if not refs:
        raise SystemExit(f"{args.dir}: no reference results (ref_*.json)")
    for ref_file in refs:
        ref = json.load(open(ref_file))
        name, k, q = ref_path(ref)
        quadratic = ref["quadratic"]
        auto = bench.get(whole_path_key(name, k, q))
        if auto is None:
            raise SystemExit(f"no timing of ours for {whole_path_key(name, k, q)}")
        single = bench.get(whole_path_key(name, k, q, workers=1))
        stacked = bench.get(whole_path_key(name, k, q, per_pass=k, workers=1))
        ours_points = json.load(open(os.path.join(args.dir, f"{name}_ours.json")))["paths"]
        ours_path = ours_points.get(f"{'quadratic' if quadratic else 'linear'}_{k}")
        if not ours_path:
            raise SystemExit(f"{name}: no exported path of ours for K={k}")
        diff, loss_diff = max_diffs(ours_path, ref["path"], f"{name} K={k}")
        # GFLOP per image of the network (forward), from round 1's counters.
        flops_per_image = auto["GFLOPs"] / auto["items_per_second"]
        ours_all, ref_all = round_times(args.dir, ref, auto)
        ours_s, ref_s = min(ours_all), min(ref_all)
        ratio = ref_s / ours_s
        ours_gflops = flops_per_image * ref["images"] / ours_s
        lines.append(
            f"| {name} | {'quadratic' if quadratic else 'linear'} | {k} | {ref['images']} | "
            f"{ours_s:.2f} | {fmt_rounds(ours_all)} | {fmt_s(single)} | "
            f"{fmt_s(stacked)} | {ref_s:.2f} | {fmt_rounds(ref_all)} | "
            f"{ratio:.2f}x | {ours_gflops:.1f} | "
            f"{100 * ours_gflops / peak_conv:.2f}% | "
            f"{flops_per_image * ref['images'] / ref_s:.1f} | "
            f"{diff:.3f} | {loss_diff:.2e} |")
        summary.append((name, k, quadratic, ratio, ours_gflops, diff, loss_diff))

    lines += ["", "Targets (issues 8, 15): whole path >= 2.0x PyTorch with accuracies "
              "within 0.1 points and losses within 1e-3 nats; conv work >= 50% of "
              "the measured peak.", ""]
    for name, k, quadratic, ratio, gflops, diff, loss_diff in summary:
        lines.append(
            f"- {'✓' if ratio >= 2.0 else '✗'} {name} {'quadratic' if quadratic else 'linear'} "
            f"K={k}: {ratio:.2f}x PyTorch; "
            f"{'✓' if diff <= 0.1 else '✗'} max accuracy difference "
            f"{diff:.3f} points; "
            f"{'✓' if loss_diff <= 1e-3 else '✗'} max loss difference "
            f"{loss_diff:.2e} nats; "
            f"{'✓' if gflops >= 0.5 * peak_conv else '✗'} {100 * gflops / peak_conv:.2f}% of the conv peak")
    lines += [
        "",
        "## Parts of one point",
        "",
        "| benchmark | ms per iteration | img/s | GFLOP/s |",
        "|---|---|---|---|",
    ]
    for key, b in bench.items():
        if "/whole_path" in key:
            continue
        ips = b.get("items_per_second")
        g = b.get("GFLOPs")
        lines.append(f"| {key} | {seconds(b) * 1e3:.2f} | "
                     f"{'%.0f' % ips if ips else ''} | {'%.1f' % g if g else ''} |")
    lines += ["", "PyTorch reference, seconds per point (K=11, linear):", "",
              "| network | build + load | BN reset | evaluate 4 sets |", "|---|---|---|---|"]
    for ref_file in sorted(glob.glob(os.path.join(args.dir, "ref_*_11_0.json"))):
        ref = json.load(open(ref_file))
        n = ref["points"]
        lines.append(f"| {ref['name']} | {ref['build_seconds'] / n:.3f} | "
                     f"{ref['reset_seconds'] / n:.3f} | {ref['eval_seconds'] / n:.3f} |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
