#!/usr/bin/env bash
# Regenerates the smoke-tier goldens in testdata/ by running each regression
# test with MMC_REGENERATE_GOLDENS=1, then prints what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
for test in //lib/experiment:fig3_smoke_test $(bazel query 'attr(name, "_smoke_test$", //lib/...)' 2>/dev/null | grep -v fig3_smoke_test || true); do
  echo "regenerating with $test" >&2
  MMC_REGENERATE_GOLDENS=1 bazel run "$test"
done
git diff --stat -- testdata/
git diff -- testdata/ | head -200
