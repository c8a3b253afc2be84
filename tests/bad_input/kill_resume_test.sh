#!/usr/bin/env bash
# Bad-input catalogue: `kill -9` during training, then the same command
# resumes from the last epoch checkpoint and ends with the same numbers as
# an uninterrupted run (train.json compared without timings).
set -euo pipefail
source "$TEST_SRCDIR/mmc_lens/tests/bad_input/interrupted_run.sh"
run_reference
run_and_kill_after_first_checkpoint

# The same command again: it must say it resumes, then finish.
"$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out" 2>"$W/second.log"
grep -q "resuming" "$W/second.log" || { echo "the second run did not resume"; cat "$W/second.log"; exit 1; }
same_numbers_as_reference
echo "PASS: killed, resumed, identical numbers"
