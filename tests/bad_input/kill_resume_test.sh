#!/usr/bin/env bash
# Bad-input catalogue: `kill -9` during training, then the same command
# resumes from the last epoch checkpoint and ends with the same numbers as
# an uninterrupted run (train.json compared without timings).
set -euo pipefail
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
W="$TEST_TMPDIR"
# The smoke spec with 6 training epochs: a wide window between the first
# epoch checkpoint and the end of the model.
SPEC="$W/spec.textproto"
sed '0,/epochs: 2/s//epochs: 6/' "$TEST_SRCDIR/mmc_lens/specs/smoke/fashion_box.textproto" > "$SPEC"

# Uninterrupted reference.
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache_ref" --out_dir="$W/out_ref" 2>/dev/null

# Interrupted run: kill -9 as soon as the first epoch checkpoint exists.
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out" 2>"$W/first.log" &
pid=$!
for _ in $(seq 1 600); do
  if ls "$W"/cache/partial/*.ckpt >/dev/null 2>&1; then break; fi
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
ls "$W"/cache/partial/*.ckpt >/dev/null 2>&1 || { echo "no partial checkpoint was written before the kill"; exit 1; }

# The same command again: it must say it resumes, then finish.
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out" 2>"$W/second.log"
grep -q "resuming" "$W/second.log" || { echo "the second run did not resume"; cat "$W/second.log"; exit 1; }

strip() { grep -vE '"(train_seconds|wall_seconds|from_cache|commit|machine|spec_path)"' "$1"; }
if ! diff <(strip "$W/out_ref/train.json") <(strip "$W/out/train.json"); then
  echo "resumed run differs from the uninterrupted one"; exit 1
fi
echo "PASS: killed, resumed, identical numbers"
