#!/usr/bin/env bash
# Bad-input catalogue: a spec with a syntax error, an unknown field or an
# out-of-range value makes the task exit non-zero naming file, line, field.
set -uo pipefail
TRAIN="$TEST_SRCDIR/mmc_lens/tasks/train"
check() {  # <name> <spec text> <expected substring>
  printf '%b' "$2" > "$TEST_TMPDIR/$1.textproto"
  out=$("$TRAIN" --spec="$TEST_TMPDIR/$1.textproto" --dry_run 2>&1)
  if [ $? -eq 0 ]; then echo "$1: expected failure"; exit 1; fi
  echo "$out" | grep -qF "$3" || { echo "$1: expected '$3' in: $out"; exit 1; }
}
check syntax 'name: "x"\ndataset { kind: FASHION_MNIST_BOX\n' "syntax.textproto:3:"
check unknown 'dataset { kind: FASHION_MNIST_BOX }\nepochs: 3\n' "unknown.textproto:2:"
check range 'dataset { kind: FASHION_MNIST_BOX }\ncue_proportions: 1.5\n' "range.textproto:2: field cue_proportions[0] must be in [0, 1]"
check negative 'dataset {\n  kind: FASHION_MNIST_BOX\n  holdout_per_class: -1\n}\n' "negative.textproto:3: field dataset.holdout_per_class must be >= 0"
echo "PASS"
