// Models in and out of PyTorch, at the level of experiments: export every
// model a spec's run cache holds as a state dict with a manifest, and run
// Fig. 3's paths and a Table 2 row on two models imported from state dicts
// (a researcher's own, or the paper authors' checkpoints). File formats and
// names: lib/models/state_dict.h.
#ifndef LIB_EXPERIMENT_INTEROP_H_
#define LIB_EXPERIMENT_INTEROP_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/experiment/fig3.h"
#include "lib/models/state_dict.h"
#include "lib/runs/run_cache.h"
#include "lib/spec/results.pb.h"

namespace mmc {

// "vgg13" or "resnet18": python/mmc_lens/models.py's build() names.
std::string PythonArchName(ModelSpec::Arch arch);

// Reads the state dict at `path` (renamed from the authors' names when
// `naming` says so), checks it against the context's model (an error names
// the first missing, unexpected or mis-shaped tensor, and the architecture
// the file holds) and stores it in the context's cache under RunKey role
// "imported" with the spec's dataset and model and a fingerprint of its
// tensors, so the same weights get the
// same key whatever the file is called, and everything downstream
// (midpoints keyed by their endpoints' hashes) is cached as usual.
absl::StatusOr<TrainedModel> ImportModel(const ExperimentContext& context,
                                         const std::string& path,
                                         StateDictNaming naming);

// Both models evaluated on the spec's sets, Fig. 3's four paths from `a`
// (t = 0) to `b` (t = 1) with midpoints trained at cue proportion `c`, and
// the pair's Table 2 row with connectivity measured on `data` (trC or trNC).
absl::StatusOr<PairResults> RunImportedPair(const ExperimentContext& context,
                                            const TrainedModel& a,
                                            const TrainedModel& b, double c,
                                            const std::string& data);

// Writes <out_dir>/<hash>.pt for every model in the context's cache whose
// key has the spec's dataset and model (imported ones included), each
// evaluated on the spec's sets; returns the manifest (the caller writes it).
absl::StatusOr<ExportManifest> ExportCachedModels(
    const ExperimentContext& context, const std::string& out_dir);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_INTEROP_H_
