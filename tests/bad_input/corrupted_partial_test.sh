#!/usr/bin/env bash
# Bad-input catalogue: a corrupted *partial* (epoch) checkpoint, as a crash
# in the middle of writing one could leave it. The next run must say so,
# name the file, start that model from scratch (not resume from garbage),
# and end with the numbers of an uninterrupted run.
set -euo pipefail
source "$TEST_SRCDIR/mmc_lens/tests/bad_input/interrupted_run.sh"
run_reference
run_and_kill_after_first_checkpoint
victim=$(ls "$W"/cache/partial/*.ckpt | head -1)
size=$(stat -c %s "$victim")
truncate -s $((size / 2)) "$victim"

"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out" 2>"$W/second.log"
grep -q "warning" "$W/second.log" || { echo "no warning about the partial checkpoint"; cat "$W/second.log"; exit 1; }
grep -q "from scratch" "$W/second.log" || { echo "did not restart from scratch"; cat "$W/second.log"; exit 1; }
grep -q "$(basename "$victim")" "$W/second.log" || { echo "warning does not name the file"; cat "$W/second.log"; exit 1; }
if grep -q "resuming" "$W/second.log"; then echo "resumed from a corrupted checkpoint"; exit 1; fi
if ls "$W"/cache/partial/*.ckpt >/dev/null 2>&1; then echo "partial checkpoints left behind"; exit 1; fi
same_numbers_as_reference
echo "PASS: $(grep warning "$W/second.log" | head -1)"
