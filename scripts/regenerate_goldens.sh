#!/usr/bin/env bash
# Regenerates the smoke-tier goldens in testdata/ by running each regression
# test with MMC_REGENERATE_GOLDENS=1, then prints what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
for test in //lib/experiment:fig3_smoke_test //lib/experiment:fig4_smoke_test //lib/experiment:table3_smoke_test; do
  echo "regenerating with $test" >&2
  # The same OpenBLAS kernels as `bazel test` (.bazelrc).
  OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 MMC_REGENERATE_GOLDENS=1 bazel run "$test"
done
git diff --stat -- testdata/
git diff -- testdata/ | head -200
