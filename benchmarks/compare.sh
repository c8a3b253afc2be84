#!/usr/bin/env bash
# Path-evaluation benchmark against PyTorch, in one go (issues 8, 15):
#   1. builds //benchmarks:path_eval_benchmark (-c opt);
#   2. runs it with --export_dir: it writes the networks, data and our own
#      path accuracies, then times (a) building theta(t), (b) BN reset,
#      (c) one point on NC/C/RC/RI, (d) whole paths, and the machine's
#      attainable peak (GEMM, large conv);
#   3. runs benchmarks/reference/path_eval_reference.py (Debian's
#      python3-torch, the same LibTorch 1.13.1) on the same tensors for the
#      same whole paths: round 1;
#   4. rounds 2..N: every whole path of the tasks' setting whose round 1
#      took under --round_seconds on both sides is timed again, ours (alone,
#      in a new process, after one untimed run like the reference's
#      --warmup 1) and PyTorch's alternating, which goes first alternating
#      too;
#   5. prints and writes reports/benchmarks.md: per side the best round (the
#      least disturbed run, as in compare_train_step.sh) and every round's
#      time, the ratio of the bests, GFLOP/s and % of peak, and the largest
#      accuracy and loss differences.
#
# Usage: benchmarks/compare.sh [--out FILE] [--benchmark_filter REGEX]
#                              [--rounds N] [--round_seconds S]
#                              [--wait_idle S]
#   --rounds N         timed rounds per side of the short paths; default 3.
#   --round_seconds S  repeat only the paths whose round 1 took under S
#                      seconds on each side (default 30): the quick
#                      VGG-13's paths (2-8 s) are repeated; the minute-long
#                      ResNet-18 path already spans a minute of the
#                      machine's drift, and each round of it would add
#                      about 4 minutes.
#   --wait_idle S      before timing, wait up to S seconds (default 60) for
#                      the CPUs to be idle (< 15% busy over 2 s); the report
#                      gives the busy share measured last.
#   --benchmark_filter only the whole paths it selects are compared.
# PATH_EVAL_THREADS (default 2) sets the intra-op threads of both sides.
# This is a 2-core machine: anything else running (a compile, a training)
# slows either side several times over, so run it on an idle machine; the
# report states how busy the CPUs were before the timings. The machine's
# speed also drifts by up to 25% within minutes (issue 15), which
# one timed run per side cannot tell from a difference of code: hence the
# alternating rounds.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=/usr/bin/python3
out=reports/benchmarks.md
filter=.
rounds=3
round_seconds=30
wait_idle=60
threads="${PATH_EVAL_THREADS:-2}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --benchmark_filter) filter="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --round_seconds) round_seconds="$2"; shift 2 ;;
    --wait_idle) wait_idle="$2"; shift 2 ;;
    -h|--help) sed -n '2,42p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "--rounds must be a positive integer, got '$rounds'" >&2
  exit 2
fi
if ! [[ $round_seconds =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "--round_seconds must be a number of seconds, got '$round_seconds'" >&2
  exit 2
fi
if ! [[ $wait_idle =~ ^[0-9]+$ ]]; then
  echo "--wait_idle must be a whole number of seconds, got '$wait_idle'" >&2
  exit 2
fi
if ! [[ $threads =~ ^[1-9][0-9]*$ ]]; then
  echo "PATH_EVAL_THREADS must be a positive integer, got '$threads'" >&2
  exit 2
fi
export PATH_EVAL_THREADS="$threads"
# jiffies, cpu_busy and wait_for_idle.
source benchmarks/cpu_idle.sh
export MALLOC_MMAP_THRESHOLD_=17179869184
export MALLOC_TRIM_THRESHOLD_=17179869184

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
echo "Building //benchmarks:path_eval_benchmark (-c opt)..." >&2
bazel run -c opt --script_path="$tmp/path_eval_benchmark.sh" \
  //benchmarks:path_eval_benchmark >&2
echo "Waiting up to ${wait_idle} s for idle CPUs..." >&2
busy_before="$(wait_for_idle)"

echo "Running ours (export, then every benchmark)..." >&2
"$tmp/path_eval_benchmark.sh" --export_dir="$tmp" \
  --benchmark_filter="$filter" \
  --benchmark_out="$tmp/ours.json" --benchmark_out_format=json >&2

# run_reference NAME K Q OUT: the PyTorch reference on one whole path.
run_reference() {
  "$PYTHON" benchmarks/reference/path_eval_reference.py \
    --export "$tmp/$1.pt" --points "$2" --threads "$threads" \
    $([[ $3 == 1 ]] && echo --quadratic) >"$4"
}

# run_ours NAME K Q OUT: our whole path alone, in a new process.
run_ours() {
  "$tmp/path_eval_benchmark.sh" \
    --benchmark_filter="^$1/whole_path/K:$2/per_pass:1/workers:0/quadratic:$3/" \
    --benchmark_out="$4" --benchmark_out_format=json >&2
}

kind_of() { [[ $1 == 1 ]] && echo quadratic || echo linear; }

# The reference on every whole path of the tasks' setting that ours timed
# (all that Export wrote, unless --benchmark_filter left some out).
timed="$("$PYTHON" benchmarks/render_benchmarks.py --list_timed --dir "$tmp")"
if [[ -z $timed ]]; then
  echo "no whole path of the tasks' setting was timed (--benchmark_filter?)" >&2
  exit 1
fi
while read -r name k q; do
  echo "Running the PyTorch reference: $name $(kind_of "$q") K=$k..." >&2
  run_reference "$name" "$k" "$q" "$tmp/ref_${name}_${k}_${q}.json"
done <<<"$timed"

# Rounds 2..N of the short paths; round r's files go to $tmp/round<r>/.
short="$("$PYTHON" benchmarks/render_benchmarks.py --short_paths --dir "$tmp" \
  --round_seconds "$round_seconds")"
for ((r = 2; r <= rounds; ++r)); do
  [[ -n $short ]] || break
  mkdir -p "$tmp/round$r"
  while read -r name k q; do
    what="$name $(kind_of "$q") K=$k"
    ours_out="$tmp/round$r/ours_${name}_${k}_${q}.json"
    ref_out="$tmp/round$r/ref_${name}_${k}_${q}.json"
    if ((r % 2 == 0)); then
      echo "Round $r of $rounds, PyTorch then ours: $what..." >&2
      run_reference "$name" "$k" "$q" "$ref_out"
      run_ours "$name" "$k" "$q" "$ours_out"
    else
      echo "Round $r of $rounds, ours then PyTorch: $what..." >&2
      run_ours "$name" "$k" "$q" "$ours_out"
      run_reference "$name" "$k" "$q" "$ref_out"
    fi
  done <<<"$short"
done

"$PYTHON" benchmarks/render_benchmarks.py --dir "$tmp" --out "$out" \
  --busy_before "$busy_before" --threads "$threads" --commit "$(git rev-parse --short HEAD)" \
  --cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" \
  --cores "$(nproc)" --rounds "$rounds" --round_seconds "$round_seconds"
echo "Wrote $out in $((SECONDS - start)) s." >&2
