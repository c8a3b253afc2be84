#!/usr/bin/env bash
# Bad-input catalogue: a paper-tier spec with a --data_dir that does not hold
# CIFAR is an error naming the expected files and where to get them, before
# any training.
set -uo pipefail
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
SPEC="$TEST_SRCDIR/mmc_lens/specs/paper/resnet18_cifar10.textproto"
out=$("$TRAIN" --spec="$SPEC" --data_dir="$TEST_TMPDIR/no_such_dir" --cache_dir="$TEST_TMPDIR/cache" --out_dir="$TEST_TMPDIR/out" 2>&1)
code=$?
[ "$code" -ne 0 ] || { echo "expected failure, got exit 0"; exit 1; }
echo "$out" | grep -q "data_batch_1.bin" || { echo "message does not name the files: $out"; exit 1; }
echo "$out" | grep -q "cs.toronto.edu/~kriz/cifar-10-binary.tar.gz" || { echo "message does not say where to get them: $out"; exit 1; }
[ ! -d "$TEST_TMPDIR/cache/models" ] || { echo "training started anyway"; exit 1; }
echo "PASS: $(echo "$out" | head -2)"
