// Implementation of lib/runs/endpoints.h.
#include "lib/runs/endpoints.h"

#include <torch/torch.h>

#include <cmath>
#include <memory>

#include "absl/strings/str_format.h"
#include "lib/util/random.h"

namespace mmc {

RunKey BaseRunKey(const Spec& spec, const std::string& role,
                  const TrainSpec& train, int64_t seed) {
  RunKey key;
  key.set_format_version(kTrainingFormatVersion);
  key.set_role(role);
  *key.mutable_dataset() = spec.dataset();
  key.mutable_dataset()->clear_data_dir();
  key.mutable_dataset()->clear_test_limit();
  *key.mutable_model() = spec.model();
  *key.mutable_train() = train;
  key.mutable_train()->clear_seed();
  key.set_seed(seed);
  if (spec.threads() != 1) key.set_intra_op_threads(spec.threads());
  return key;
}

uint64_t EndpointInitSeed(double cue_proportion, int64_t seed) {
  return CounterHash(static_cast<uint64_t>(seed), /*stream=*/501,
                     static_cast<uint64_t>(std::llround(cue_proportion * 1e6)));
}

RunKey EndpointKey(const Spec& spec, double cue_proportion, int64_t seed) {
  RunKey key = BaseRunKey(spec, "endpoint", spec.train(), seed);
  key.set_cue_proportion(cue_proportion);
  key.set_data_view("train_mix");
  return key;
}

std::string EndpointName(double cue_proportion, int64_t seed) {
  if (cue_proportion <= 0.0) return absl::StrFormat("theta_NC seed=%d", seed);
  return absl::StrFormat("theta_C c=%g seed=%d", cue_proportion, seed);
}

absl::StatusOr<TrainedModel> TrainEndpoint(const Spec& spec, const Model& model,
                                           const CueDataset& dataset,
                                           double cue_proportion, int64_t seed,
                                           RunCache* cache,
                                           torch::Device device,
                                           bool progress) {
  TrainRequest request;
  request.key = EndpointKey(spec, cue_proportion, seed);
  request.loop.label = EndpointName(cue_proportion, seed);
  request.loop.num_samples = dataset.Size(View::kTrainMix);
  request.loop.train = spec.train();
  request.loop.shuffle_seed = EndpointInitSeed(cue_proportion, seed);
  request.loop.progress = progress;
  // The training data is materialised only if the model must be trained.
  auto data = std::make_shared<Batch>();
  request.init = [&model, &dataset, data, device, cue_proportion, seed] {
    *data = ToDevice(dataset.Materialize(View::kTrainMix, 0, cue_proportion),
                     device);
    ParamMap params = model.Init(
        static_cast<int64_t>(EndpointInitSeed(cue_proportion, seed) >> 1));
    for (auto& [name, t] : params) t = t.to(device);
    return params;
  };
  request.loss = SupervisedLoss(model, data);
  return cache->TrainOrLoad(request);
}

}  // namespace mmc
