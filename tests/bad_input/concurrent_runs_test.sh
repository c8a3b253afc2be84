#!/usr/bin/env bash
# Bad-input catalogue: two processes running the same spec at once on one
# cache directory both finish with the same numbers, each model is trained
# once (the other process waits on its lock and loads it), and the cache is
# intact afterwards (a third run loads every model).
set -euo pipefail
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
SPEC="$TEST_SRCDIR/mmc_lens/specs/smoke/fashion_box.textproto"
W="$TEST_TMPDIR"
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out1" 2>"$W/1.log" &
p1=$!
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out2" 2>"$W/2.log" &
p2=$!
wait "$p1" || { echo "first process failed"; cat "$W/1.log"; exit 1; }
wait "$p2" || { echo "second process failed"; cat "$W/2.log"; exit 1; }

strip() { grep -vE '"(train_seconds|wall_seconds|from_cache|commit|machine|spec_path)"' "$1"; }
diff <(strip "$W/out1/train.json") <(strip "$W/out2/train.json") ||
  { echo "the two processes disagree"; exit 1; }
# Every model was trained by exactly one of them.
models=$(grep -c '"cache_key"' "$W/out1/train.json")
trained=$(grep -c '"from_cache": false' "$W/out1/train.json" "$W/out2/train.json" | awk -F: '{s += $2} END {print s}')
[ "$trained" -eq "$models" ] || { echo "$models models, trained $trained times"; exit 1; }
# Intact: a third run loads everything and agrees.
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out3" 2>"$W/3.log"
if grep -q '"from_cache": false' "$W/out3/train.json"; then
  echo "third run retrained a model"; exit 1
fi
diff <(strip "$W/out1/train.json") <(strip "$W/out3/train.json") ||
  { echo "third run differs"; exit 1; }
echo "PASS: two processes at once, $models models trained once each, cache intact"
