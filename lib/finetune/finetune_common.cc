// Implementation of lib/finetune/finetune_common.h.
#include "lib/finetune/finetune_common.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/models/model.h"
#include "lib/runs/endpoints.h"
#include "lib/util/random.h"

namespace mmc {
namespace {

constexpr uint64_t kShuffleStream = 0xf17e;
constexpr uint64_t kLlrHeadStream = 0x11e;

}  // namespace

ParamMap OnDevice(const ParamMap& params, torch::Device device) {
  ParamMap out;
  for (const auto& [name, t] : params)
    out[name] = t.detach().to(device).clone();
  return out;
}

RunKey FinetuneKey(const RunContext& ctx, const std::string& role,
                   const TrainSpec& train, int64_t seed, double c,
                   const std::string& view,
                   const std::vector<std::string>& parents,
                   const std::string& extra) {
  RunKey key =
      BaseRunKey(*ctx.spec, absl::StrCat("finetune/", role), train, seed);
  key.set_cue_proportion(c);
  key.set_data_view(view);
  for (const std::string& parent : parents) key.add_parents(parent);
  if (!extra.empty()) key.set_extra(extra);
  return key;
}

LoopConfig MakeLoop(const RunContext& ctx, const std::string& label,
                    int64_t num_samples, const TrainSpec& train, int64_t seed) {
  LoopConfig loop;
  loop.label = label;
  loop.num_samples = num_samples;
  loop.train = train;
  loop.shuffle_seed =
      CounterHash(static_cast<uint64_t>(seed), kShuffleStream, 0);
  loop.progress = ctx.progress;
  return loop;
}

std::string Label(const std::string& what, double c, int64_t seed) {
  return absl::StrFormat("%s c=%g seed=%d", what, c, seed);
}

absl::StatusOr<TrainedModel> FullFineTune(
    const RunContext& ctx, const std::string& role, const std::string& label,
    const TrainSpec& train, int64_t seed, double c, const std::string& view,
    const std::vector<std::string>& parents, const std::string& extra,
    const ParamMap& start, int64_t num_samples, const DataFn& make_data) {
  TrainRequest request;
  request.key = FinetuneKey(ctx, role, train, seed, c, view, parents, extra);
  request.loop = MakeLoop(ctx, label, num_samples, train, seed);
  auto data = std::make_shared<Batch>();
  const torch::Device device = ctx.device;
  request.init = [data, &make_data, &start, device] {
    *data = ToDevice(make_data(), device);
    return OnDevice(start, device);
  };
  request.loss = SupervisedLoss(*ctx.model, data);
  return ctx.cache->TrainOrLoad(request);
}

absl::StatusOr<TrainedModel> TrainHead(
    const RunContext& ctx, const std::string& label, int64_t seed, double c,
    const std::string& view, const std::vector<std::string>& parents,
    const std::string& extra, const ParamMap& body, int64_t num_samples,
    const DataFn& make_data) {
  const TrainSpec& train = ctx.spec->finetune().llr();
  TrainRequest request;
  request.key = FinetuneKey(ctx, "LLR", train, seed, c, view, parents, extra);
  request.loop = MakeLoop(ctx, label, num_samples, train, seed);
  const std::vector<std::string> head = ctx.model->HeadNames();
  for (const auto& [name, t] : body) {
    if (std::find(head.begin(), head.end(), name) == head.end()) {
      request.loop.frozen.insert(name);
    }
  }
  auto features = std::make_shared<Batch>();  // x: features, y: labels.
  const Model* model = ctx.model;
  const torch::Device device = ctx.device;
  const int64_t eval_batch = std::max(1, ctx.spec->eval().batch_size());
  request.init = [features, model, &make_data, &body, device, eval_batch,
                  seed] {
    Batch b = make_data();
    ParamMap params = OnDevice(body, device);
    {
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> parts;
      const int64_t n = b.x.size(0);
      for (int64_t s = 0; s < n; s += eval_batch) {
        torch::Tensor x = b.x.slice(0, s, std::min(n, s + eval_batch));
        parts.push_back(
            model->Forward(params, x.to(device), ForwardOptions{}).features);
      }
      features->x = torch::cat(parts);
      features->y = b.y.to(device);
    }
    // PyTorch's default Linear init from a seed of its own.
    const torch::Tensor& old = params.at("head.weight");
    torch::manual_seed(
        CounterHash(static_cast<uint64_t>(seed), kLlrHeadStream, 0) >> 1);
    torch::nn::Linear fresh(old.size(1), old.size(0));
    params["head.weight"] =
        fresh->weight.detach().clone().to(old.scalar_type()).to(device);
    params["head.bias"] =
        fresh->bias.detach().clone().to(old.scalar_type()).to(device);
    return params;
  };
  request.loss = [features](const ParamMap& params,
                            const torch::Tensor& indices, int64_t) {
    torch::Tensor idx = indices.to(features->x.device());
    torch::Tensor f = features->x.index_select(0, idx);
    torch::Tensor y = features->y.index_select(0, idx);
    torch::Tensor logits =
        torch::linear(f, params.at("head.weight"), params.at("head.bias"));
    StepResult result;
    result.loss = torch::cross_entropy_loss(logits, y);
    result.correct = CountCorrect(logits, y);
    result.count = y.size(0);
    return result;
  };
  return ctx.cache->TrainOrLoad(request);
}

DataFn HoldoutData(const CueDataset* dataset) {
  return [dataset] { return dataset->Materialize(View::kHoldout, 0); };
}

}  // namespace mmc
