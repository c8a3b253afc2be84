# Sourced by the bad-input tests that interrupt training (kill_resume_test,
# corrupted_partial_test): the smoke spec with 6 epochs (a wide window
# between the first epoch checkpoint and the end of the model), an
# uninterrupted reference run, and a run killed with -9 as soon as its first
# epoch checkpoint exists. Sets TRAIN, W, SPEC.
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
W="$TEST_TMPDIR"
SPEC="$W/spec.textproto"
sed '0,/epochs: 2/s//epochs: 6/' "$TEST_SRCDIR/mmc_lens/specs/smoke/fashion_box.textproto" > "$SPEC"

# Uninterrupted reference: $W/out_ref/train.json.
run_reference() {
  "$TRAIN" --spec="$SPEC" --cache_dir="$W/cache_ref" --out_dir="$W/out_ref" 2>/dev/null
}

# Trains into $W/cache and kills the run at its first partial checkpoint.
run_and_kill_after_first_checkpoint() {
  "$TRAIN" --spec="$SPEC" --cache_dir="$W/cache" --out_dir="$W/out" 2>"$W/first.log" &
  local pid=$!
  for _ in $(seq 1 600); do
    if ls "$W"/cache/partial/*.ckpt >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  ls "$W"/cache/partial/*.ckpt >/dev/null 2>&1 || { echo "no partial checkpoint was written before the kill"; exit 1; }
}

# Fails unless $W/out/train.json has the reference's numbers.
same_numbers_as_reference() {
  strip() { grep -vE '"(train_seconds|wall_seconds|from_cache|commit|machine|spec_path)"' "$1"; }
  diff <(strip "$W/out_ref/train.json") <(strip "$W/out/train.json") ||
    { echo "numbers differ from an uninterrupted run"; exit 1; }
}
