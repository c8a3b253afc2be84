#!/usr/bin/env bash
# Bad-input catalogue: an unwritable --out_dir is a clear error before any
# training starts (nothing is written into the cache).
set -uo pipefail
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
SPEC="$TEST_SRCDIR/mmc_lens/specs/smoke/fashion_box.textproto"
out=$("$TRAIN" --spec="$SPEC" --cache_dir="$TEST_TMPDIR/cache" --out_dir=/proc/mmc_out 2>&1)
code=$?
[ "$code" -ne 0 ] || { echo "expected failure, got exit 0"; exit 1; }
echo "$out" | grep -q -- "--out_dir: output directory is not writable" || { echo "unclear message: $out"; exit 1; }
echo "$out" | grep -q "/proc/mmc_out" || { echo "message does not name the directory: $out"; exit 1; }
[ ! -d "$TEST_TMPDIR/cache/models" ] || { echo "training started anyway"; exit 1; }
echo "PASS: $out"
