#!/usr/bin/env bash
# Bad-input catalogue: a diverging run (absurd learning rate) stops with the
# epoch and step where the loss stopped being finite, exits non-zero, and
# writes nothing: no model in the cache, no partial checkpoint, no report.
set -uo pipefail
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
W="$TEST_TMPDIR"
sed '0,/lr: 0.05/s//lr: 1e30/' "$TEST_SRCDIR/mmc_lens/specs/smoke/fashion_box.textproto" > "$W/spec.textproto"
out=$("$TRAIN" --spec="$W/spec.textproto" --cache_dir="$W/cache" --out_dir="$W/out" 2>&1)
code=$?
[ "$code" -ne 0 ] || { echo "expected failure, got exit 0"; exit 1; }
echo "$out" | grep -qE "at epoch [0-9]+ of [0-9]+, step [0-9]+ of [0-9]+" ||
  { echo "message does not say where: $out"; exit 1; }
if ls "$W"/cache/models/* >/dev/null 2>&1; then
  echo "a diverged model was cached"; ls -l "$W"/cache/models; exit 1
fi
if ls "$W"/cache/partial/* >/dev/null 2>&1; then
  echo "a diverged run left a partial checkpoint"; ls -l "$W"/cache/partial; exit 1
fi
if ls "$W"/out/* >/dev/null 2>&1; then
  echo "a diverged run wrote a report"; ls -l "$W"/out; exit 1
fi
echo "PASS: $(echo "$out" | grep -E "at epoch" | head -1)"
