// The run cache: trained models stored under a key derived from the
// canonical text of the RunKey that defines them (results.proto), with
// per-epoch checkpoints so an interrupted run resumes where it stopped.
//
//   <dir>/models/<hash>.ckpt   finished models (params + metadata)
//   <dir>/partial/<hash>.ckpt  the last epoch checkpoint of a run in progress
//   <dir>/locks/<hash>.lock    flock'ed while a process trains <hash>
//
// Writes are atomic (temp + rename). A second process asking for a model
// that is being trained waits for the lock, then loads the result. A cache
// on a GPU adds its device to every key (RunKey.device), so CPU and GPU runs
// never share entries or resume each other's partial runs. A truncated or
// corrupted file is detected by its checksum, reported as a warning, deleted
// and retrained. A diverging run (NaN loss) leaves neither a model nor a
// partial checkpoint behind.
#ifndef LIB_RUNS_RUN_CACHE_H_
#define LIB_RUNS_RUN_CACHE_H_

#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/models/param_map.h"
#include "lib/spec/results.pb.h"
#include "lib/train/train_loop.h"

namespace mmc {

// Bumped when training semantics change (see RunKey.format_version).
// 2: endpoints initialise from EndpointInitSeed(c, seed), not seed.
inline constexpr int kTrainingFormatVersion = 2;

// 16 hex digits of a 64-bit FNV-1a hash of the key's canonical text.
std::string CacheKeyHash(const RunKey& key);

// `key` as a cache on `device` stores it: with RunKey.device set ("cuda:0")
// unless the device is the CPU (CPU keys stay as they were before the
// field existed).
RunKey KeyOnDevice(RunKey key, torch::Device device);

struct TrainRequest {
  RunKey key;
  LoopConfig loop;                 // label, samples, train spec, seed
  std::function<ParamMap()> init;  // Initial parameters (on device).
  LossFn loss;                     // Loss of a batch of indices.
};

struct TrainedModel {
  ParamMap params;
  std::string hash;
  bool from_cache = false;
  double train_seconds = 0.0;  // Of the original training run.
};

class RunCache {
 public:
  // Models are trained on and loaded to `device`, and keyed by it.
  explicit RunCache(std::string dir, torch::Device device = torch::kCPU)
      : RunCache(std::move(dir), device, device) {}
  // For the smoke checks on a GPU (MMC_SMOKE_DEVICE): models are loaded to
  // (and trained on) `device` but keyed by `key_device`, the device the
  // checked-in models were trained on, so CPU-trained models can be
  // evaluated on a GPU. Anything trained into such a cache is filed under
  // the wrong device: use it only on read-only or throwaway caches.
  RunCache(std::string dir, torch::Device device, torch::Device key_device)
      : dir_(std::move(dir)), device_(device), key_device_(key_device) {}

  // Loads the model of `request.key`, or trains it (resuming from a partial
  // checkpoint when there is one) and stores it. With training disabled, a
  // model that is not cached (or not intact) is a FailedPrecondition error
  // naming the run, and nothing is written.
  absl::StatusOr<TrainedModel> TrainOrLoad(const TrainRequest& request);

  // Training is enabled by default. The smoke regression checks disable it:
  // they evaluate checked-in models (testdata/smoke_models), and a model
  // missing there means the checked-in set is stale, not "train one now".
  void set_training_enabled(bool enabled) { training_enabled_ = enabled; }

  // Stores `params` as the finished model of `key` (a model that was not
  // trained here, e.g. imported from a PyTorch state dict); returns it as
  // TrainOrLoad would. Works with training disabled.
  absl::StatusOr<TrainedModel> Store(const RunKey& key, const ParamMap& params);

  // The finished model of `key`, if cached and intact.
  absl::StatusOr<TrainedModel> Load(const RunKey& key);
  bool Contains(const RunKey& key) const;

  // The keys of every finished model (read from models/<hash>.key.txt), in
  // hash order. NotFound when the cache has no models/ directory; DataLoss
  // when a key file does not parse.
  absl::StatusOr<std::vector<RunKey>> CachedKeys() const;

  const std::string& dir() const { return dir_; }
  std::string ModelPath(const std::string& hash) const;
  std::string PartialPath(const std::string& hash) const;
  // models/<hash>.key.txt: the key in readable text, beside the model.
  std::string KeyPath(const std::string& hash) const;

 private:
  // `key` with this cache's key device when it is not the CPU (RunKey.device):
  // every lookup and write goes through it.
  RunKey OnDevice(const RunKey& key) const;

  // Writes the finished model (checkpoint and key text) atomically.
  absl::StatusOr<TrainedModel> SaveModel(const RunKey& key,
                                         const ParamMap& params,
                                         double train_seconds);

  std::string dir_;
  torch::Device device_;
  torch::Device key_device_;
  bool training_enabled_ = true;
};

}  // namespace mmc

#endif  // LIB_RUNS_RUN_CACHE_H_
