#!/usr/bin/env bash
# Regenerates the smoke-tier regression data in testdata/ (what each layer
# checks: lib/experiment/smoke_golden.h): retrains every model of the smoke
# spec into testdata/smoke_models, rewrites the evaluation goldens
# (*_smoke.json) over those models and the training goldens (*_steps.json),
# by running each regression test with MMC_REGENERATE_GOLDENS=1; then prints
# what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Stale models would be loaded, not retrained: start from an empty set.
rm -rf testdata/smoke_models
for test in //lib/experiment:fig3_smoke_test //lib/experiment:fig4_smoke_test //lib/experiment:table3_smoke_test //lib/experiment:ladder_smoke_test; do
  echo "regenerating with $test" >&2
  # The same OpenBLAS kernels and compilation mode as `bazel test` (.bazelrc).
  OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 MMC_REGENERATE_GOLDENS=1 bazel run "$test"
done
echo "regenerating with //lib/experiment:training_smoke_test" >&2
OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 MMC_REGENERATE_GOLDENS=1 \
  bazel run //lib/experiment:training_smoke_test -- --gtest_filter='TrainingStepsTest.*'
# Only the finished models are data; locks and (empty) partial dirs are not.
rm -rf testdata/smoke_models/locks testdata/smoke_models/partial
ls testdata/smoke_models/models | sed 's/^/  /' >&2
git diff --stat -- testdata/
git diff -- testdata/ ':!testdata/smoke_models' | head -200
