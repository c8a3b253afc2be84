#!/usr/bin/env bash
# Bad-input catalogue: a truncated cached model is detected by its checksum,
# not loaded, retrained with a warning, and the numbers equal the first run.
set -euo pipefail
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
SPEC="$TEST_SRCDIR/mmc_lens/specs/smoke/fashion_box.textproto"
W="$TEST_TMPDIR"
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out1" 2>/dev/null
victim=$(ls "$W"/cache/models/* | head -1)
size=$(stat -c %s "$victim")
truncate -s $((size / 2)) "$victim"
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out2" 2>"$W/2.log"
grep -qiE "corrupt|checksum|truncated" "$W/2.log" || { echo "no warning"; cat "$W/2.log"; exit 1; }
grep -q "$(basename "$victim")" "$W/2.log" || { echo "warning does not name the file"; cat "$W/2.log"; exit 1; }
[ "$(grep -c '"from_cache": false' "$W/out2/train.json")" -eq 1 ] ||
  { echo "expected exactly one model retrained"; exit 1; }
strip() { grep -vE '"(train_seconds|wall_seconds|from_cache|commit|machine|spec_path)"' "$1"; }
diff <(strip "$W/out1/train.json") <(strip "$W/out2/train.json") || { echo "retrained numbers differ"; exit 1; }
echo "PASS: $(grep -iE "corrupt|checksum|truncated" "$W/2.log" | head -1)"
