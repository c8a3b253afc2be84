#!/usr/bin/env bash
# Path-evaluation benchmark against PyTorch, in one go (issue 8):
#   1. builds //benchmarks:path_eval_benchmark (-c opt);
#   2. runs it with --export_dir: it writes the networks, data and our own
#      path accuracies, then times (a) building theta(t), (b) BN reset,
#      (c) one point on NC/C/RC/RI, (d) whole paths, and the machine's
#      attainable peak (GEMM, large conv);
#   3. runs benchmarks/reference/path_eval_reference.py (Debian's
#      python3-torch, the same LibTorch 1.13.1) on the same tensors for the
#      same whole paths;
#   4. prints and writes reports/benchmarks.md: our time, PyTorch's time,
#      the ratio, GFLOP/s and % of peak, and the largest accuracy difference.
#
# Usage: benchmarks/compare.sh [--out FILE] [--benchmark_filter REGEX]
# Both sides use 2 intra-op threads. This is a 2-core machine: anything else
# running (a compile, a training) slows either side several times over, so
# run it on an idle machine; the report states the load before the run.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=/usr/bin/python3
out=reports/benchmarks.md
filter=.
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --benchmark_filter) filter="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
export MALLOC_MMAP_THRESHOLD_=17179869184
export MALLOC_TRIM_THRESHOLD_=17179869184

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
echo "Building //benchmarks:path_eval_benchmark (-c opt)..." >&2
bazel run -c opt --script_path="$tmp/path_eval_benchmark.sh" \
  //benchmarks:path_eval_benchmark >&2
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "Running ours (export, then every benchmark)..." >&2
"$tmp/path_eval_benchmark.sh" --export_dir="$tmp" \
  --benchmark_filter="$filter" \
  --benchmark_out="$tmp/ours.json" --benchmark_out_format=json >&2

# The reference on every whole path we exported (the default settings).
for ours in "$tmp"/*_ours.json; do
  name="$(basename "$ours" _ours.json)"
  for key in $("$PYTHON" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["paths"]))' "$ours"); do
    kind="${key%_*}" k="${key##*_}"
    echo "Running the PyTorch reference: $name $kind K=$k..." >&2
    "$PYTHON" benchmarks/reference/path_eval_reference.py \
      --export "$tmp/$name.pt" --points "$k" \
      $([[ $kind == quadratic ]] && echo --quadratic) \
      >"$tmp/ref_${name}_${k}_$([[ $kind == quadratic ]] && echo 1 || echo 0).json"
  done
done

"$PYTHON" benchmarks/render_benchmarks.py --dir "$tmp" --out "$out" \
  --load_before "$load_before" --commit "$(git rev-parse --short HEAD)" \
  --cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" \
  --cores "$(nproc)"
echo "Wrote $out in $((SECONDS - start)) s." >&2
