// The SGD loop shared by every kind of training in mmc-lens: endpoints from
// scratch, the quadratic path's midpoint, fine-tuning and CBFT. The caller
// supplies the loss of a batch (given its sample indices); the loop owns
// shuffling, the learning-rate schedule, the update, NaN detection, progress
// output and epoch-end hooks (checkpoints).
//
// Determinism and resumption: the shuffle of epoch e depends only on
// (shuffle seed, e), so a run resumed after epoch k from its parameters and
// momentum buffers ends bit-identical to an uninterrupted one.
//
// Host reads: nothing in a step waits for the device. The loss, its
// finiteness and the correct count accumulate on the parameters' device; the
// loop reads them back at the end of each epoch (before the epoch hook, so a
// diverged run checkpoints nothing) and for a progress line (at most one per
// 5 s). The sample indices go to the device once per epoch.
#ifndef LIB_TRAIN_TRAIN_LOOP_H_
#define LIB_TRAIN_TRAIN_LOOP_H_

#include <torch/types.h>

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "lib/models/param_map.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

struct StepResult {
  torch::Tensor loss;  // Scalar to minimise.
  // For progress output only: the number of correct predictions of `count`
  // (an int64 scalar on the device, CountCorrect; undefined or count 0: no
  // accuracy shown). A tensor, so that no step waits to read it.
  torch::Tensor correct;
  int64_t count = 0;
  int64_t images = -1;  // Images processed, for img/s; -1: the batch size.
};

// Correct predictions of `logits` [B, K] for `labels` [B], as an int64 scalar
// on their device (no host read).
torch::Tensor CountCorrect(const torch::Tensor& logits,
                           const torch::Tensor& labels);

// Loss of the batch with sample indices `indices` (int64 [B], on the
// parameters' device) at global step `step` (0-based over the whole run; for
// per-step random draws), for the parameters being trained.
using LossFn = std::function<StepResult(
    const ParamMap& params, const torch::Tensor& indices, int64_t step)>;

// The ordinary supervised loss: cross-entropy of model(params) on the
// samples `indices` of `data`, BatchNorm in kTrain mode.
class Model;
struct Batch;
LossFn SupervisedLoss(const Model& model, std::shared_ptr<const Batch> data);

struct LoopConfig {
  std::string label;        // Names the run in progress output and errors.
  int64_t num_samples = 0;  // Indices are drawn from [0, num_samples).
  TrainSpec train;          // epochs, batch size, lr, momentum, wd, schedule.
  std::set<std::string> frozen;  // Entries SGD leaves alone (LLR's body).
  uint64_t shuffle_seed = 0;
  bool progress = true;  // Progress lines on stderr.
};

struct LoopState {
  int epochs_done = 0;
  ParamMap momentum;  // SGD momentum buffers.
};

// Called after every epoch with the state to checkpoint.
using EpochHook =
    std::function<absl::Status(const LoopState& state, const ParamMap& params)>;

// Trains `params` in place from `state->epochs_done` to train.epochs(), on
// the device of `params`. Returns InvalidArgument naming label, epoch and the
// first step with a NaN/inf loss, found at the end of that epoch (before the
// epoch hook runs).
absl::Status RunSgdLoop(const LoopConfig& config, const LossFn& loss_fn,
                        ParamMap* params, LoopState* state,
                        const EpochHook& on_epoch = nullptr);

// How many times RunSgdLoop has read a value back from the tensors it
// computes (loss, finiteness, correct counts), over the whole process: the
// measure of its host-device synchronisations, for tests.
int64_t TrainingLoopHostReads();

// The sample order of one epoch (exposed for tests).
torch::Tensor EpochPermutation(uint64_t shuffle_seed, int epoch,
                               int64_t num_samples);

// Steps per epoch for n samples: batches of batch_size, where a final batch
// of a single sample is dropped (BatchNorm needs two).
int64_t StepsPerEpoch(int64_t num_samples, int64_t batch_size);

}  // namespace mmc

#endif  // LIB_TRAIN_TRAIN_LOOP_H_
