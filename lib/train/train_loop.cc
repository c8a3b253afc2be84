// Implementation of lib/train/train_loop.h.
#include "lib/train/train_loop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>

#include "absl/strings/str_format.h"
#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/train/schedule.h"
#include "lib/train/sgd.h"
#include "lib/util/random.h"
#include "lib/util/work_meter.h"

namespace mmc {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

std::atomic<int64_t> host_reads{0};

}  // namespace

LossFn SupervisedLoss(const Model& model, std::shared_ptr<const Batch> data) {
  return [&model, data](const ParamMap& params, const torch::Tensor& indices,
                        int64_t) {
    torch::Tensor idx = indices.to(data->x.device());
    torch::Tensor x = data->x.index_select(0, idx);
    torch::Tensor y = data->y.index_select(0, idx);
    ForwardOptions options;
    options.bn = BnMode::kTrain;
    torch::Tensor logits = model.Forward(params, x, options).logits;
    StepResult result;
    result.loss = torch::cross_entropy_loss(logits, y);
    result.correct = CountCorrect(logits, y);
    result.count = y.size(0);
    return result;
  };
}

torch::Tensor CountCorrect(const torch::Tensor& logits,
                           const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).sum();
}

torch::Tensor EpochPermutation(uint64_t shuffle_seed, int epoch,
                               int64_t num_samples) {
  at::Generator gen = at::detail::createCPUGenerator(
      CounterHash(shuffle_seed, /*stream=*/77, static_cast<uint64_t>(epoch)));
  return torch::randperm(num_samples, gen,
                         torch::dtype(torch::kLong).device(torch::kCPU));
}

int64_t StepsPerEpoch(int64_t num_samples, int64_t batch_size) {
  int64_t steps = (num_samples + batch_size - 1) / batch_size;
  if (num_samples % batch_size == 1 && steps > 1) --steps;
  return steps;
}

absl::Status RunSgdLoop(const LoopConfig& config, const LossFn& loss_fn,
                        ParamMap* params, LoopState* state,
                        const EpochHook& on_epoch) {
  const TrainSpec& train = config.train;
  const int64_t n = config.num_samples;
  const int64_t batch = train.batch_size();
  const int64_t steps_per_epoch = StepsPerEpoch(n, batch);
  const int64_t total_steps = steps_per_epoch * train.epochs();
  if (n < 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: needs at least 2 samples, got %d", config.label, n));
  }
  if (params->empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: no parameters to train", config.label));
  }
  const torch::Device device = params->begin()->second.device();
  const auto on_device = torch::TensorOptions().device(device);
  Sgd sgd(train.momentum(), train.weight_decay(), config.frozen);
  sgd.Prepare(params);
  sgd.set_state(state->momentum);

  const Clock::time_point start = Clock::now();
  Clock::time_point last_print = start;
  int64_t images_done = 0;
  const int64_t steps_todo =
      (train.epochs() - state->epochs_done) * steps_per_epoch;
  int64_t steps_done = 0;
  for (int epoch = state->epochs_done; epoch < train.epochs(); ++epoch) {
    // Uploaded once per epoch, without waiting for the queued steps.
    torch::Tensor order =
        IndexTensor(EpochPermutation(config.shuffle_seed, epoch, n), device);
    // The epoch's tallies, on the device: loss sum (weighted by batch size),
    // correct predictions, and the first step with a non-finite loss (-1:
    // none yet).
    torch::Tensor loss_sum = torch::zeros({}, on_device.dtype(torch::kDouble));
    torch::Tensor correct = torch::zeros({}, on_device.dtype(torch::kLong));
    torch::Tensor first_bad =
        torch::full({}, -1, on_device.dtype(torch::kLong));
    int64_t counted = 0, seen = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      const int64_t step = epoch * steps_per_epoch + s;
      const int64_t end = (s == steps_per_epoch - 1) ? n : (s + 1) * batch;
      torch::Tensor indices = order.slice(0, s * batch, end);
      const double lr = LearningRate(train.schedule(), train.lr(), step,
                                     total_steps, steps_per_epoch);
      StepResult result = loss_fn(*params, indices, step);
      {
        torch::NoGradGuard no_grad;
        const torch::Tensor loss = result.loss.detach();
        first_bad.masked_fill_(
            first_bad.lt(0).logical_and_(loss.isfinite().logical_not_()), s);
        loss_sum.add_(loss, static_cast<double>(indices.size(0)));
        if (result.correct.defined() && result.count > 0) {
          correct.add_(result.correct);
          counted += result.count;
        }
      }
      result.loss.backward();
      sgd.Step(params, lr);
      seen += indices.size(0);
      images_done += result.images >= 0 ? result.images : indices.size(0);
      ++steps_done;
      const bool epoch_end = s == steps_per_epoch - 1;
      if (!epoch_end && !(config.progress && Seconds(last_print) > 5.0)) {
        continue;
      }
      // One read of the three tallies.
      ++host_reads;
      const torch::Tensor tallies =
          torch::stack({first_bad.to(torch::kDouble), loss_sum,
                        correct.to(torch::kDouble)})
              .cpu();  // host read: epoch end or a progress line, counted.
      const double* t = tallies.data_ptr<double>();
      if (epoch_end && t[0] >= 0) {
        const int64_t bad = static_cast<int64_t>(t[0]);
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: loss is not finite (NaN or inf) at epoch %d of %d, step %d "
            "of %d (lr %g); training stopped, nothing was written to the "
            "cache",
            config.label, epoch + 1, train.epochs(), bad + 1, steps_per_epoch,
            LearningRate(train.schedule(), train.lr(),
                         epoch * steps_per_epoch + bad, total_steps,
                         steps_per_epoch)));
      }
      if (config.progress) {
        last_print = Clock::now();
        const double elapsed = std::max(Seconds(start), 1e-9);
        const double rate = images_done / elapsed;
        const double eta = (steps_todo - steps_done) * elapsed / steps_done;
        std::cerr << absl::StrFormat(
            "[%s] epoch %d/%d step %d/%d loss %.4f acc %s %.0f img/s "
            "ETA %.0fs\n",
            config.label, epoch + 1, train.epochs(), s + 1, steps_per_epoch,
            t[1] / seen,
            counted > 0 ? absl::StrFormat("%.1f%%", 100.0 * t[2] / counted)
                        : "n/a",
            rate, std::max(eta, 0.0));
      }
    }
    state->epochs_done = epoch + 1;
    state->momentum = sgd.state();
    if (on_epoch) {
      if (absl::Status s = on_epoch(*state, *params); !s.ok()) return s;
    }
  }
  AddTrainingWork(images_done, Seconds(start));
  for (auto& [name, t] : *params) t.requires_grad_(false);
  return absl::OkStatus();
}

int64_t TrainingLoopHostReads() { return host_reads.load(); }

}  // namespace mmc
