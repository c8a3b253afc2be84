// Implementation of lib/experiment/smoke_golden.h.
#include "lib/experiment/smoke_golden.h"

#include <torch/torch.h>

#include <cstdlib>
#include <iostream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec_io.h"
#include "lib/train/device.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"

namespace mmc {

namespace {

bool Regenerating() {
  const char* regenerate = std::getenv("MMC_REGENERATE_GOLDENS");
  return regenerate != nullptr && std::string(regenerate) == "1";
}

std::string CheckedInModelsDir() {
  return Regenerating() ? JoinPath(WorkspaceDir(), kSmokeModelsDir)
                        : std::string(kSmokeModelsDir);
}

absl::Status CopyFile(const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(const std::string bytes, ReadFileToString(from));
  return WriteFileAtomically(to, bytes);
}

// Copies the checked-in models whose key has role "endpoint" (checkpoint
// and key file, byte for byte) into the cache `to`.
absl::Status CopyCheckedInEndpoints(const RunCache& to) {
  const RunCache from(CheckedInModelsDir());
  absl::StatusOr<std::vector<RunKey>> keys = from.CachedKeys();
  int copied = 0;
  for (const RunKey& key : keys.ok() ? *keys : std::vector<RunKey>()) {
    if (key.role() != "endpoint") continue;
    const std::string hash = CacheKeyHash(key);
    RETURN_IF_ERROR(MakeDirs(JoinPath(to.dir(), "models")));
    RETURN_IF_ERROR(CopyFile(from.ModelPath(hash), to.ModelPath(hash)));
    RETURN_IF_ERROR(CopyFile(from.KeyPath(hash), to.KeyPath(hash)));
    ++copied;
  }
  if (copied == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no checked-in endpoint models in ", from.dir(), " (",
        keys.ok() ? "none has role endpoint" : keys.status().message(),
        "; regenerate with scripts/regenerate_goldens.sh)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SmokeSetup>> MakeSmokeSetup(
    SmokeModels models, const std::string& spec_path) {
  auto setup = std::make_unique<SmokeSetup>();
  ASSIGN_OR_RETURN(setup->spec, LoadSpec(spec_path));
  RETURN_IF_ERROR(RequireClaims(setup->spec));
  // One thread (the smoke spec's), so the numbers do not depend on how
  // many cores the test sandbox sees. MMC_SMOKE_THREADS overrides it, to
  // measure how far other kernels move the numbers (the golden tolerances,
  // smoke_golden.h).
  int threads = setup->spec.threads();
  if (const char* env = std::getenv("MMC_SMOKE_THREADS"); env != nullptr) {
    if (!absl::SimpleAtoi(env, &threads) || threads < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "MMC_SMOKE_THREADS must be a positive integer, got '", env, "'"));
    }
    setup->spec.set_threads(threads);
  }
  torch::set_num_threads(threads);
  // MMC_SMOKE_DEVICE runs the checks on a GPU (scripts/gpu_check.sh): the
  // checked-in CPU-trained models are evaluated there, under the same
  // goldens and tolerances; MMC_SMOKE_DATA_DIR is the Fashion-MNIST
  // directory on a machine without Debian's package.
  const char* device_env = std::getenv("MMC_SMOKE_DEVICE");
  ASSIGN_OR_RETURN(const torch::Device device,
                   ParseDevice(device_env == nullptr ? "cpu" : device_env,
                               "MMC_SMOKE_DEVICE"));
  const char* data_env = std::getenv("MMC_SMOKE_DATA_DIR");
  ASSIGN_OR_RETURN(setup->dataset,
                   CueDataset::Load(setup->spec.dataset(),
                                    data_env == nullptr ? "" : data_env));
  ASSIGN_OR_RETURN(setup->model, Model::Create(setup->spec.model(),
                                               setup->dataset->shape()[0],
                                               setup->dataset->num_classes()));
  setup->sets =
      std::make_unique<EvalSets>(*setup->dataset, setup->spec.eval(), device);
  // Checked-in models were trained on the CPU: keyed so.
  const torch::Device cpu(torch::kCPU);
  if (models == SmokeModels::kCheckedIn) {
    if (Regenerating()) {
      setup->cache = std::make_unique<RunCache>(
          JoinPath(WorkspaceDir(), kSmokeModelsDir), device, cpu);
    } else {
      // Read in place (runfiles): with training disabled nothing is written.
      setup->cache = std::make_unique<RunCache>(kSmokeModelsDir, device, cpu);
      setup->cache->set_training_enabled(false);
    }
  } else {
    // A fresh cache, one per setup (tests in one process must not share
    // models): under `bazel test` in the test's own temporary directory,
    // under `bazel run` (regenerating goldens) in /tmp.
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string pattern =
        JoinPath(tmp != nullptr ? tmp : "/tmp", "mmc_smoke_XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot create a temporary directory ", pattern));
    }
    const std::string dir = pattern;
    setup->cache = std::make_unique<RunCache>(
        dir, device, models == SmokeModels::kCheckedInEndpoints ? cpu : device);
    if (models == SmokeModels::kCheckedInEndpoints) {
      RETURN_IF_ERROR(CopyCheckedInEndpoints(*setup->cache));
    }
  }
  ExperimentContext& c = setup->context;
  c.spec = &setup->spec;
  c.model = setup->model.get();
  c.dataset = setup->dataset.get();
  c.sets = setup->sets.get();
  c.cache = setup->cache.get();
  c.device = device;
  c.progress = false;
  return setup;
}

// The tolerances and how each was chosen: smoke_golden.h.
GoldenTolerances EvaluationTolerances() {
  GoldenTolerances t;
  t.by_field = {
      {"loss", 1e-3},          // Absolute part; 60x the spread.
      {"loss_barrier", 1e-3},  // 50x below the 0.05-nat threshold.
      // A prediction flip is 0.2 points of 500 images: two may flip on a
      // near-tie; a misread set or view moves accuracies by points.
      {"accuracy", 0.5},
      {"accuracy_dip", 0.5},
      {"mean", 0.5},
      {"std", 0.5},
  };
  t.relative_by_field = {{"loss", 1e-5}};  // 50x the relative spread.
  t.ignored.erase("passed");
  return t;
}

GoldenTolerances StepsTolerances() {
  GoldenTolerances t = EvaluationTolerances();
  // 1e-3 absolute covers the ordinary losses 10x; 5e-4 relative covers the
  // lr-30 heads' large losses 8x (0.025 nats at 49 nats).
  t.relative_by_field = {{"loss", 5e-4}};
  return t;
}

std::vector<std::string> CheckGolden(const std::string& name,
                                     const google::protobuf::Message& actual,
                                     const GoldenTolerances& tolerances) {
  if (Regenerating()) {
    const std::string path =
        JoinPath(WorkspaceDir(), absl::StrCat("testdata/", name, ".json"));
    absl::Status s = WriteGolden(path, actual);
    if (!s.ok()) return {std::string(s.message())};
    std::cerr << "regenerated " << path << "\n";
    return {};
  }
  // The actual results, for inspection, next to the test's other outputs.
  if (const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
      out != nullptr) {
    (void)WriteGolden(JoinPath(out, absl::StrCat(name, ".actual.json")),
                      actual);
  }
  std::unique_ptr<google::protobuf::Message> golden(actual.New());
  absl::Status s =
      ReadGolden(absl::StrCat("testdata/", name, ".json"), golden.get());
  if (!s.ok()) {
    return {absl::StrCat(s.message(),
                         " (regenerate with scripts/regenerate_goldens.sh)")};
  }
  return CompareToGolden(actual, *golden, tolerances);
}

}  // namespace mmc
