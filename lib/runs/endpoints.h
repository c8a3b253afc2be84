// Training the endpoints of the paper's experiments from scratch: theta_C
// (trained with the first c of each class cued) and theta_NC (c = 0, no
// cue), through the run cache.
#ifndef LIB_RUNS_ENDPOINTS_H_
#define LIB_RUNS_ENDPOINTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/runs/run_cache.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// The part of a spec that determines a model trained by `role` from
// (dataset, model, train) and the intra-op thread count (RunKey.
// intra_op_threads): fields that do not change the parameters (data_dir,
// test_limit) are cleared.
RunKey BaseRunKey(const Spec& spec, const std::string& role,
                  const TrainSpec& train, int64_t seed);

RunKey EndpointKey(const Spec& spec, double cue_proportion, int64_t seed);

// The initialisation and shuffling seed of an endpoint: a hash of (seed, c),
// so theta_C and theta_NC of one spec seed start from different random
// initialisations, as independently trained models do in the paper. (With
// one shared initialisation and data order, theta_C and theta_NC stay close
// in weight space and are linearly connected at the quick scale.)
uint64_t EndpointInitSeed(double cue_proportion, int64_t seed);

// "theta_C c=0.8 seed=0" / "theta_NC seed=1".
std::string EndpointName(double cue_proportion, int64_t seed);

// Trains (or loads) the endpoint for cue proportion c (0: theta_NC) and
// seed: SGD on the training mix as spec.train says, init from `seed`.
absl::StatusOr<TrainedModel> TrainEndpoint(const Spec& spec, const Model& model,
                                           const CueDataset& dataset,
                                           double cue_proportion, int64_t seed,
                                           RunCache* cache,
                                           torch::Device device,
                                           bool progress = true);

}  // namespace mmc

#endif  // LIB_RUNS_ENDPOINTS_H_
