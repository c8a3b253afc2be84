#!/usr/bin/env bash
# Compares the throughput of one SGD training step in mmc-lens (C++,
# //benchmarks:train_step_benchmark) with the PyTorch reference
# (benchmarks/reference/train_step_reference.py, Debian's python3-torch, the
# same LibTorch 1.13.1), configuration by configuration in one run, and prints
# a Markdown table: config, ours img/s, PyTorch img/s in NCHW and in
# channels-last (PyTorch's own recipe: network and input in
# torch.channels_last; mmc-lens trains NHWC), ratio (ours / the faster),
# our GFLOP/s (forward x 3) and its share of the attainable convolution
# peak measured first with the same threads (benchmarks/peak.h).
#
# Usage: benchmarks/compare_train_step.sh [--rounds N] [--wait_idle S]
#                                         [CONFIG_SUBSTRING...]
#   --rounds N      short measurements of each side per configuration,
#                   alternating ours and PyTorch (and which goes first);
#                   default 3. The table reports the best of each side.
#   --wait_idle S   before each configuration, wait up to S seconds (default
#                   60) for the CPUs to be idle (< 15% busy over 2 s).
#   CONFIG_SUBSTRING  only configurations whose name contains one of these.
#
# Both sides run with 2 intra-op threads, batch 128 and the same environment
# (glibc malloc thresholds, which matter for Python; our binaries link
# tcmalloc). This is a shared 2-core machine: with 2 OpenMP threads on 2
# cores, a compile running beside the benchmark slows either side up to 10x.
# Hence the short alternating measurements, the best-of summary (the least
# disturbed run), and the "others" columns: the CPU share used by other
# processes during that run (0% = undisturbed; above ~10%, distrust it).
# The C++ binary is built with `bazel run -c opt --script_path`, so that the
# measurements do not hold the Bazel lock.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=/usr/bin/python3
export MALLOC_MMAP_THRESHOLD_=17179869184
export MALLOC_TRIM_THRESHOLD_=17179869184
NCPU="$(nproc)"
HZ="$(getconf CLK_TCK)"

rounds=3
wait_idle=60
filters=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --wait_idle) wait_idle="$2"; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) filters+=("$1"); shift ;;
  esac
done

# name | reference arguments | seconds per measurement | warm-up steps.
CONFIGS=(
  "vgg13_w0.125_1x28x28_b128|--arch vgg13 --width 0.125 --channels 1 --height 28 --width_px 28|2|5"
  "vgg13_w0.125_1x56x28_b128|--arch vgg13 --width 0.125 --channels 1 --height 56 --width_px 28|2|5"
  "resnet18_w0.125_3x32x32_b128|--arch resnet18 --width 0.125 --channels 3 --height 32 --width_px 32|2|5"
  "resnet18_w1.0_3x32x32_b128|--arch resnet18 --width 1.0 --channels 3 --height 32 --width_px 32|4|2"
)

selected() {
  [[ ${#filters[@]} -eq 0 ]] && return 0
  local f
  for f in "${filters[@]}"; do [[ "$1" == *"$f"* ]] && return 0; done
  return 1
}

# jiffies, cpu_busy and wait_for_idle.
source benchmarks/cpu_idle.sh

# measure OUT CMD...: runs CMD with stdout to OUT; prints the CPU share (%)
# other processes used meanwhile: (busy time - CMD's own CPU time) / (cores
# x wall time).
measure() {
  local out="$1"; shift
  local b0 t0 b1 t1 w0 w1 own
  read -r b0 t0 <<<"$(jiffies)"
  w0="$(date +%s.%N)"
  local TIMEFORMAT='%3U %3S'
  { time "$@" >"$out" 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }; } \
    2>"$tmp/time"
  w1="$(date +%s.%N)"
  read -r b1 t1 <<<"$(jiffies)"
  awk -v b="$((b1 - b0))" -v hz="$HZ" -v n="$NCPU" -v w0="$w0" -v w1="$w1" \
    '{own = $1 + $2; o = 100 * (b / hz - own) / (n * (w1 - w0));
      printf "%.0f\n", o < 0 ? 0 : o}' "$tmp/time"
}

run_ours() {  # name seconds -> "img/s GFLOP/s others%"
  local others
  others="$(TRAIN_STEP_MIN_TIME="$2" measure "$tmp/cc.log" \
    "$tmp/train_step_benchmark.sh" --benchmark_filter="^${1//./\\.}/" \
    --benchmark_out="$tmp/out.json" --benchmark_out_format=json)"
  "$PYTHON" -c '
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
if len(runs) != 1: sys.exit("expected one benchmark, got %d" % len(runs))
print("%.1f %.1f %s" % (runs[0]["items_per_second"], runs[0]["GFLOPs"], sys.argv[2]))
' "$tmp/out.json" "$others"
}

run_reference() {  # name args seconds warmup [--channels_last] -> "img/s others%"
  local others name rate
  # shellcheck disable=SC2086  # $2 is a list of flags.
  others="$(measure "$tmp/py.log" "$PYTHON" \
    benchmarks/reference/train_step_reference.py $2 --batch 128 --threads 2 \
    --seconds "$3" --warmup "$4" ${5:-})"
  read -r name rate <"$tmp/py.log"
  [[ "$name" == "$1" ]] || { echo "reference ran $name, not $1" >&2; return 1; }
  echo "$rate $others"
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
echo "Building //benchmarks:train_step_benchmark (-c opt)..." >&2
bazel run -c opt --script_path="$tmp/train_step_benchmark.sh" \
  //benchmarks:train_step_benchmark >&2
echo "Built in $((SECONDS - start)) s." >&2

# The attainable convolution FLOP/s with the same 2 threads (benchmarks/
# peak.h), for the "% of conv peak" column.
wait_for_idle >/dev/null
"$tmp/train_step_benchmark.sh" --benchmark_filter='^peak/conv' \
  --benchmark_out="$tmp/peak.json" --benchmark_out_format=json >&2
peak="$("$PYTHON" -c '
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b["name"].startswith("peak/conv")]
if len(runs) != 1: sys.exit("expected one peak/conv benchmark, got %d" % len(runs))
print("%.1f" % runs[0]["GFLOPs"])
' "$tmp/peak.json")"
echo "Convolution peak: $peak GFLOP/s." >&2

rows=()
for entry in "${CONFIGS[@]}"; do
  IFS='|' read -r name args seconds warmup <<<"$entry"
  selected "$name" || continue
  wait_for_idle >/dev/null
  t0=$SECONDS
  best_ours=0 best_ref=0 best_cl=0 ours_others=- ref_others=- cl_others=- gflops=-
  for ((round = 1; round <= rounds; ++round)); do
    # Odd rounds: ours first; even rounds: the references first.
    sides=(ours ref cl)
    if ((round % 2 == 0)); then sides=(cl ref ours); fi
    for side in "${sides[@]}"; do
      if [[ $side == ours ]]; then
        read -r rate g others <<<"$(run_ours "$name" "$seconds")"
        [[ -n "$others" ]] || { echo "$name: the C++ benchmark failed" >&2; exit 1; }
        echo "  $name round $round: ours $rate img/s (others ${others}%)" >&2
        if awk -v a="$rate" -v b="$best_ours" 'BEGIN{exit !(a > b)}'; then
          best_ours=$rate ours_others=$others gflops=$g
        fi
      elif [[ $side == ref ]]; then
        read -r rate others <<<"$(run_reference "$name" "$args" "$seconds" "$warmup")"
        [[ -n "$others" ]] || { echo "$name: the reference failed" >&2; exit 1; }
        echo "  $name round $round: PyTorch $rate img/s (others ${others}%)" >&2
        if awk -v a="$rate" -v b="$best_ref" 'BEGIN{exit !(a > b)}'; then
          best_ref=$rate ref_others=$others
        fi
      else
        read -r rate others <<<"$(run_reference "$name" "$args" "$seconds" "$warmup" --channels_last)"
        [[ -n "$others" ]] || { echo "$name: the channels-last reference failed" >&2; exit 1; }
        echo "  $name round $round: PyTorch channels_last $rate img/s (others ${others}%)" >&2
        if awk -v a="$rate" -v b="$best_cl" 'BEGIN{exit !(a > b)}'; then
          best_cl=$rate cl_others=$others
        fi
      fi
    done
  done
  # The ratio is against the faster of PyTorch's two layouts: what a
  # careful PyTorch user would pick.
  ratio="$(awk -v a="$best_ours" -v b="$best_ref" -v c="$best_cl" 'BEGIN{printf "%.2f", a / (b > c ? b : c)}')"
  echo "$name: ours $best_ours, PyTorch $best_ref (channels_last $best_cl), ratio $ratio ($((SECONDS - t0)) s)" >&2
  pct="$(awk -v g="$gflops" -v p="$peak" 'BEGIN{printf "%.0f%%", 100 * g / p}')"
  rows+=("| $name | $best_ours | $best_ref | $best_cl | $ratio | $gflops | $pct | ${ours_others}% / ${ref_others}% / ${cl_others}% |")
done

echo
echo "Best of $rounds alternating runs per side:"
echo
echo "| config | ours img/s | PyTorch NCHW img/s | PyTorch channels_last img/s | ratio (ours / faster PyTorch) | ours GFLOP/s | % of conv peak ($peak GFLOP/s) | others' CPU (ours / NCHW / channels_last run) |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Total $((SECONDS - start)) s ($NCPU cores, 2 threads, batch 128)."
