#!/usr/bin/env bash
# Round trip of models between the harness and PyTorch (Debian's
# python3-torch, installed by scripts/setup.sh), for both architectures: a
# model exported here loads into python/mmc_lens with a strict
# load_state_dict() and gives our logits; state dicts PyTorch writes, with
# our names and with the authors' (EkdeepSLubana/MMC), import here and give
# PyTorch's logits. Tolerance 1e-5 on the logits (state_dict_tool.cc).
set -euo pipefail
PYTHON=/usr/bin/python3
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "FAIL: $PYTHON cannot import torch: run scripts/setup.sh (python3-torch)" >&2
  exit 1
fi
TOOL=tests/pytorch/state_dict_tool
for arch in vgg13 resnet18; do
  dir="$TEST_TMPDIR/$arch"
  mkdir -p "$dir"
  "$TOOL" export "$dir" "$arch" 0.125
  "$PYTHON" tests/pytorch/state_dict_roundtrip.py "$dir" "$arch" 0.125
  "$TOOL" check "$dir" "$arch" 0.125 ours python
  "$TOOL" check "$dir" "$arch" 0.125 authors python_authors
  # The wrong naming or the wrong architecture is an error, not garbage.
  if "$TOOL" check "$dir" "$arch" 0.125 ours python_authors 2>"$dir/err"; then
    echo "FAIL: the authors' names imported as ours" >&2; exit 1
  fi
  grep -q "missing tensor" "$dir/err"
  other=$([ "$arch" = vgg13 ] && echo resnet18 || echo vgg13)
  if "$TOOL" check "$dir" "$other" 0.125 ours python 2>"$dir/err"; then
    echo "FAIL: a $arch state dict imported as $other" >&2; exit 1
  fi
  grep -q "missing tensor" "$dir/err"
done
echo PASS
