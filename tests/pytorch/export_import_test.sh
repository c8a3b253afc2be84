#!/usr/bin/env bash
# End to end: //tasks:export writes the checked-in smoke models
# (testdata/smoke_models) as state dicts that load strictly in PyTorch;
# //tasks:pair imports the exported theta_C and theta_NC back and reproduces
# the Fig. 3 smoke golden's endpoints and linear / permuted paths; a file of
# the wrong architecture or no state dict at all is a clear error.
set -euo pipefail
PYTHON=/usr/bin/python3
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "FAIL: $PYTHON cannot import torch: run scripts/setup.sh (python3-torch)" >&2
  exit 1
fi
CHECK=tests/pytorch/export_import_check.py
SPEC=specs/smoke/fashion_box.textproto
cache="$TEST_TMPDIR/cache"
mkdir -p "$cache/models"
cp testdata/smoke_models/models/* "$cache/models/"
out="$TEST_TMPDIR/out"

tasks/export --spec="$SPEC" --cache_dir="$cache" --out_dir="$out"
read -r theta_c theta_nc < <("$PYTHON" "$CHECK" manifest "$out/export")

tasks/pair --spec="$SPEC" --cache_dir="$TEST_TMPDIR/pair_cache" \
  --out_dir="$out" --theta_a="$out/export/$theta_c" \
  --theta_b="$out/export/$theta_nc"
"$PYTHON" "$CHECK" compare "$out/pair.json" testdata/fig3_smoke.json
grep -q "## Table 2 row" "$out/pair.md"

expect_error() {  # expect_error MESSAGE ARGS...
  local message=$1; shift
  if tasks/pair --spec="$SPEC" --cache_dir="$TEST_TMPDIR/bad_cache" \
      --out_dir="$out/bad" "$@" 2>"$TEST_TMPDIR/err"; then
    echo "FAIL: pair $* succeeded" >&2; exit 1
  fi
  if ! grep -q "$message" "$TEST_TMPDIR/err"; then
    echo "FAIL: pair $* did not say '$message':" >&2
    cat "$TEST_TMPDIR/err" >&2; exit 1
  fi
}
"$PYTHON" "$CHECK" resnet "$TEST_TMPDIR/resnet.pt"
expect_error "the file holds ResNet-18 with 8 channels" \
  --theta_a="$TEST_TMPDIR/resnet.pt" --theta_b="$out/export/$theta_nc"
echo "not a model" > "$TEST_TMPDIR/text.pt"
expect_error "not a torch.save file" \
  --theta_a="$TEST_TMPDIR/text.pt" --theta_b="$out/export/$theta_nc"
expect_error "does not follow the authors' naming" --naming=authors \
  --theta_a="$out/export/$theta_c" --theta_b="$out/export/$theta_nc"
expect_error "needs --theta_a" --theta_b="$out/export/$theta_nc"
echo PASS
