// Implementation of lib/finetune/finetune.h.
#include "lib/finetune/finetune.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/finetune/cbft_loss.h"
#include "lib/runs/endpoints.h"
#include "lib/spec/spec_io.h"
#include "lib/train/evaluate.h"
#include "lib/train/train_loop.h"
#include "lib/util/random.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

constexpr uint64_t kShuffleStream = 0xf17e;
constexpr uint64_t kLlrHeadStream = 0x11e;
constexpr uint64_t kCbftWarmupStream = 0xcbf0;
constexpr uint64_t kCbftMainStream = 0xcbf1;

// Produces a (CPU) batch; called only when a run must train.
using DataFn = std::function<Batch()>;

absl::Status CheckInputs(const RunContext& ctx, const TrainedModel& theta_c) {
  if (ctx.spec == nullptr || ctx.model == nullptr || ctx.dataset == nullptr ||
      ctx.cache == nullptr) {
    return absl::InvalidArgumentError(
        "RunContext needs spec, model, dataset and cache");
  }
  if (theta_c.hash.empty() || theta_c.params.empty()) {
    return absl::InvalidArgumentError(
        "theta_C must be a model from the run cache (its hash is a parent of "
        "every fine-tuning key)");
  }
  return absl::OkStatus();
}

// Detached copy on `device`.
ParamMap OnDevice(const ParamMap& params, torch::Device device) {
  ParamMap out;
  for (const auto& [name, t] : params)
    out[name] = t.detach().to(device).clone();
  return out;
}

std::string Exact(double value) { return absl::StrFormat("%.17g", value); }

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

// Whole-network fine-tuning from `start` with BN in kTrain mode.
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

// LLR: a fresh head on the frozen body of `body` (BN kEval), trained on
// the body's features of `make_data()`.
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

// One CBFT phase (warm-up or main) from `start`.
absl::StatusOr<TrainedModel> TrainCbftPhase(
    const RunContext& ctx, Method method, const CbftSpec& options, bool warmup,
    const TrainedModel& theta_c, const TrainedModel& start, double c,
    int64_t seed) {
  TrainSpec train = ctx.spec->finetune().cbft();
  if (warmup) {
    train.set_epochs(options.warmup_epochs());
    train.clear_schedule();
    train.mutable_schedule()->set_kind(ScheduleSpec::CONSTANT);
  }
  const bool authors = options.authors_variant();
  const bool paired = options.paired_counterfactuals();
  const bool use_barrier = options.use_barrier();
  const bool two_step = authors && use_barrier;
  RETURN_IF_ERROR(ValidatePathPointRange(options));
  const View cue_view = CueDataView(options);
  const CueDataset* dataset = ctx.dataset;
  const int64_t n_clean = dataset->Size(View::kHoldout);
  const int64_t n_cue = dataset->Size(cue_view);
  const int64_t batch = train.batch_size();
  if (n_cue < 1 || batch < 1) {
    return absl::InvalidArgumentError(
        "CBFT needs training images and a positive batch size");
  }

  std::vector<std::string> parents = {theta_c.hash};
  if (start.hash != theta_c.hash) parents.push_back(start.hash);
  const std::string slug = MethodSlug(method);
  const std::string phase = warmup ? "warm-up" : "main";
  TrainRequest request;
  request.key = FinetuneKey(
      ctx, warmup ? absl::StrCat(slug, "/warmup") : slug, train, seed, c,
      absl::StrCat(ViewName(View::kHoldout), "+", ViewName(cue_view)), parents,
      CanonicalText(options));
  request.loop = MakeLoop(
      ctx,
      Label(absl::StrCat(MethodName(method), " ", phase,
                         two_step ? " [2 SGD steps per clean batch; loss: "
                                    "mean over both]"
                                  : ""),
            c, seed),
      n_clean, train, seed);
  const int64_t steps_per_epoch = StepsPerEpoch(n_clean, batch);
  const uint64_t loop_shuffle = request.loop.shuffle_seed;
  if (two_step) {
    // 2 S pseudo-samples of batch 1: one loop step per half-step.
    request.loop.num_samples = 2 * steps_per_epoch;
    request.loop.train.set_batch_size(1);
  }

  // The data, materialised on the device once when training starts: the
  // clean hold-out, D_C (cue_view at c) and, for the paired ablation, the
  // same training images without their cue. A step gathers its batches there
  // (the same rows Get would compose: normalisation is per element).
  auto clean = std::make_shared<Batch>();
  auto cue_data = std::make_shared<Batch>();
  auto nocue_data = std::make_shared<Batch>();
  auto anchor = std::make_shared<ParamMap>();
  const torch::Device device = ctx.device;
  const bool needs_cue = authors || use_barrier || !warmup;
  request.init = [clean, cue_data, nocue_data, anchor, dataset, &theta_c,
                  &start, device, cue_view, c, needs_cue, paired, warmup] {
    *clean = ToDevice(dataset->Materialize(View::kHoldout, 0), device);
    if (needs_cue) {
      *cue_data = ToDevice(dataset->Materialize(cue_view, 0, c), device);
    }
    if (paired && !warmup) {
      *nocue_data =
          ToDevice(dataset->Materialize(View::kTrainNoCue, 0, c), device);
    }
    *anchor = OnDevice(theta_c.params, device);
    return OnDevice(start.params, device);
  };

  const Model* model = ctx.model;
  const uint64_t draw_seed =
      CounterHash(static_cast<uint64_t>(seed),
                  warmup ? kCbftWarmupStream : kCbftMainStream, 0);
  const double lambda1 = options.lambda1();
  const double lambda2 = options.lambda2();
  const int num_classes = model->num_classes();
  ForwardOptions train_bn;
  train_bn.bn = BnMode::kTrain;

  if (!authors) {
    request.loss = [=](const ParamMap& params, const torch::Tensor& indices,
                       int64_t step) {
      // The clean batch of D_NC (the hold-out), in the loop's shuffle.
      torch::Tensor idx = indices.to(clean->x.device());
      torch::Tensor x = clean->x.index_select(0, idx);
      torch::Tensor y = clean->y.index_select(0, idx);
      ForwardOutput out = model->Forward(params, x, train_bn);
      StepResult result;
      result.correct = CountCorrect(out.logits, y);
      result.count = y.size(0);
      torch::Tensor loss = torch::cross_entropy_loss(out.logits, y);
      if (use_barrier || !warmup) {
        // A cue batch of D_C: other images than the clean batch's.
        const torch::Tensor cue_idx = IndexTensor(
            CueBatchIndices(draw_seed, step, idx.size(0), n_cue), device);
        const Batch cue = Rows(*cue_data, cue_idx);
        if (use_barrier) {
          loss = loss + BarrierTerm(*model, params, *anchor,
                                    DrawPathPoint(options, draw_seed, step),
                                    cue.x, cue.y, lambda1);
        }
        if (!warmup) {
          torch::Tensor f_cue =
              model->Forward(params, cue.x, train_bn).features;
          // Eq. 4 compares D_C with the clean batch of D_NC; the paired
          // ablation with the same images without their cue.
          torch::Tensor f_other = out.features;
          torch::Tensor y_other = y;
          if (paired) {
            const Batch nocue = Rows(*nocue_data, cue_idx);
            f_other = model->Forward(params, nocue.x, train_bn).features;
            y_other = nocue.y;
          }
          loss =
              loss + InvarianceTerm(f_cue, cue.y, f_other, y_other, num_classes,
                                    lambda2, InvarianceForm::kPaper);
        }
      }
      result.loss = loss;
      return result;
    };
  } else {
    request.loss = [=](const ParamMap& params, const torch::Tensor& indices,
                       int64_t step) {
      const int64_t pair = two_step ? step / 2 : step;
      torch::Tensor idx;
      if (two_step) {
        // The clean batch the loop would have drawn for batch `pair`.
        const int64_t epoch = pair / steps_per_epoch;
        const int64_t b = pair % steps_per_epoch;
        const int64_t end =
            b == steps_per_epoch - 1 ? n_clean : (b + 1) * batch;
        idx = IndexTensor(
            EpochPermutation(loop_shuffle, static_cast<int>(epoch), n_clean)
                .slice(0, b * batch, end),
            device);
      } else {
        idx = indices;
      }
      const torch::Tensor cue_idx = IndexTensor(
          CueBatchIndices(draw_seed, pair, idx.size(0), n_cue), device);
      const Batch cue = Rows(*cue_data, cue_idx);
      StepResult result;
      if (two_step && step % 2 == 0) {
        // Step 1 of the batch: the barrier term alone, on the cue batch.
        result.loss = BarrierTerm(*model, params, *anchor,
                                  DrawPathPoint(options, draw_seed, pair),
                                  cue.x, cue.y, lambda1);
        result.images = 0;  // Counted with step 2 of the batch.
        return result;
      }
      // Step 2: clean CE + invariance (clean vs cue batch features).
      torch::Tensor x = clean->x.index_select(0, idx);
      torch::Tensor y = clean->y.index_select(0, idx);
      ForwardOutput out = model->Forward(params, x, train_bn);
      torch::Tensor loss = torch::cross_entropy_loss(out.logits, y);
      // The clean batch's accuracy and size, also in two-step mode (where
      // the loop itself sees one pseudo-sample per half-step).
      result.correct = CountCorrect(out.logits, y);
      result.count = y.size(0);
      result.images = y.size(0);
      if (!warmup) {
        torch::Tensor f_cue = model->Forward(params, cue.x, train_bn).features;
        loss = loss + InvarianceTerm(f_cue, cue.y, out.features, y, num_classes,
                                     lambda2, InvarianceForm::kAuthors);
      }
      result.loss = loss;
      return result;
    };
  }
  return ctx.cache->TrainOrLoad(request);
}

absl::StatusOr<MethodResult> RunCbft(const RunContext& ctx, Method method,
                                     const TrainedModel& theta_c, double c,
                                     int64_t seed) {
  const CbftSpec& given = ctx.spec->finetune().cbft_options();
  if (given.authors_variant() || given.paired_counterfactuals() ||
      !given.use_barrier()) {
    return absl::InvalidArgumentError(
        "finetune.cbft_options: authors_variant, paired_counterfactuals and "
        "use_barrier select CBFT's ablations, which run as their own Table 3 "
        "rows; leave them unset so the row named CBFT stays Eq. 4");
  }
  const CbftSpec options = EffectiveCbftOptions(*ctx.spec, method);
  MethodResult result;
  TrainedModel start = theta_c;
  double seconds = 0.0;
  bool from_cache = true;
  if (options.warmup_epochs() > 0) {
    ASSIGN_OR_RETURN(start, TrainCbftPhase(ctx, method, options, true, theta_c,
                                           theta_c, c, seed));
    seconds += start.train_seconds;
    from_cache = from_cache && start.from_cache;
  }
  ASSIGN_OR_RETURN(result.model, TrainCbftPhase(ctx, method, options, false,
                                                theta_c, start, c, seed));
  result.model.train_seconds += seconds;
  result.model.from_cache = result.model.from_cache && from_cache;
  const TrainSpec& train = ctx.spec->finetune().cbft();
  result.detail = absl::StrFormat(
      "warm-up %d epoch(s) at lr %g constant, then %d epochs from lr %g; "
      "lambda1 %g, lambda2 %g; D_C %s; t %s on [%g, %g]%s%s%s",
      options.warmup_epochs(), train.lr(), train.epochs(), train.lr(),
      options.lambda1(), options.lambda2(),
      options.cue_data() == CbftSpec::ALL_CUED
          ? "every training image with its cue"
          : "theta_C's training mix",
      CbftSpec::PathPointDraw_Name(options.t_draw()), options.t_min(),
      options.t_max(), options.use_barrier() ? "" : ", no barrier term",
      options.paired_counterfactuals()
          ? ", invariance on paired cue/cue-free copies of the same images"
          : "",
      options.authors_variant() ? ", authors' code variant" : "");
  return result;
}

absl::StatusOr<MethodResult> RunLpft(const RunContext& ctx,
                                     const TrainedModel& theta_c, double c,
                                     int64_t seed) {
  const FinetuneSpec& ft = ctx.spec->finetune();
  if (ft.lpft_lrs_size() == 0) {
    return absl::InvalidArgumentError("LPFT needs finetune.lpft_lrs");
  }
  const double fraction = ft.validation_fraction();
  ASSIGN_OR_RETURN(HoldoutSplit split, SplitHoldout(*ctx.dataset, fraction));
  const CueDataset* dataset = ctx.dataset;
  const DataFn make_train = [dataset, &split] {
    return dataset->Get(View::kHoldout, split.train);
  };
  const std::string view = "holdout_train";
  const std::string extra =
      absl::StrCat("validation_fraction: ", Exact(fraction));
  const int64_t n = static_cast<int64_t>(split.train.size());
  ASSIGN_OR_RETURN(
      TrainedModel probe,
      TrainHead(ctx, Label("LPFT probe (LLR)", c, seed), seed, c, view,
                {theta_c.hash}, extra, theta_c.params, n, make_train));
  const Batch validation =
      ToDevice(dataset->Get(View::kHoldout, split.validation), ctx.device);
  const int64_t eval_batch = std::max(1, ctx.spec->eval().batch_size());

  MethodResult result;
  double seconds = probe.train_seconds;
  bool from_cache = probe.from_cache;
  Metrics best;
  int best_index = -1;
  std::vector<std::string> tried;
  for (int i = 0; i < ft.lpft_lrs_size(); ++i) {
    TrainSpec train = ft.lpft();
    train.set_lr(ft.lpft_lrs(i));
    ASSIGN_OR_RETURN(
        TrainedModel tuned,
        FullFineTune(ctx, "LPFT",
                     Label(absl::StrFormat("LPFT lr=%g", train.lr()), c, seed),
                     train, seed, c, view, {theta_c.hash, probe.hash}, extra,
                     probe.params, n, make_train));
    seconds += tuned.train_seconds;
    from_cache = from_cache && tuned.from_cache;
    const Metrics m =
        Evaluate(*ctx.model, tuned.params, validation, eval_batch);
    tried.push_back(absl::StrFormat("%g: %.1f%%", train.lr(), m.accuracy));
    if (best_index < 0 || m.accuracy > best.accuracy ||
        (m.accuracy == best.accuracy && m.loss < best.loss)) {
      best = m;
      best_index = i;
      result.model = std::move(tuned);
    }
  }
  result.model.train_seconds = seconds;
  result.model.from_cache = from_cache;
  result.detail = absl::StrFormat(
      "lr %g chosen by validation accuracy (%d held-out samples; %s)",
      ft.lpft_lrs(best_index), split.validation.size(),
      absl::StrJoin(tried, ", "));
  return result;
}

}  // namespace

View CueDataView(const CbftSpec& options) {
  return options.cue_data() == CbftSpec::ALL_CUED ? View::kTrainCue
                                                  : View::kTrainMix;
}

namespace {

DataFn HoldoutData(const CueDataset* dataset) {
  return [dataset] { return dataset->Materialize(View::kHoldout, 0); };
}

// FT_M and FT_S: the whole network on the whole clean hold-out.
absl::StatusOr<MethodResult> RunFullFineTune(const RunContext& ctx,
                                             Method method,
                                             const TrainedModel& theta_c,
                                             double c, int64_t seed) {
  const FinetuneSpec& ft = ctx.spec->finetune();
  const TrainSpec& train =
      method == Method::kFtMedium ? ft.ft_medium() : ft.ft_small();
  MethodResult result;
  ASSIGN_OR_RETURN(
      result.model,
      FullFineTune(ctx, MethodSlug(method), Label(MethodName(method), c, seed),
                   train, seed, c, ViewName(View::kHoldout), {theta_c.hash}, "",
                   theta_c.params, ctx.dataset->Size(View::kHoldout),
                   HoldoutData(ctx.dataset)));
  result.detail =
      absl::StrFormat("lr %g, %d epochs", train.lr(), train.epochs());
  return result;
}

// LLR: a new head on the frozen body, on the whole clean hold-out.
absl::StatusOr<MethodResult> RunLlr(const RunContext& ctx, Method method,
                                    const TrainedModel& theta_c, double c,
                                    int64_t seed) {
  const FinetuneSpec& ft = ctx.spec->finetune();
  MethodResult result;
  ASSIGN_OR_RETURN(
      result.model,
      TrainHead(ctx, Label(MethodName(method), c, seed), seed, c,
                ViewName(View::kHoldout), {theta_c.hash}, "", theta_c.params,
                ctx.dataset->Size(View::kHoldout), HoldoutData(ctx.dataset)));
  result.detail =
      absl::StrFormat("new head, frozen body (BN eval); lr %g, %d epochs",
                      ft.llr().lr(), ft.llr().epochs());
  return result;
}

std::vector<MethodStage> FtMediumStages(const FinetuneSpec& f) {
  return {{"FT_M", f.ft_medium()}};
}

std::vector<MethodStage> FtSmallStages(const FinetuneSpec& f) {
  return {{"FT_S", f.ft_small()}};
}

std::vector<MethodStage> LlrStages(const FinetuneSpec& f) {
  return {{"LLR (head only)", f.llr()}};
}

std::vector<MethodStage> LpftStages(const FinetuneSpec& f) {
  // As RunLpft: LLR on the training part of the hold-out, then the whole
  // network at each lr, on the same part.
  const double train_part = 1.0 - f.validation_fraction();
  std::vector<MethodStage> stages = {
      {"LPFT probe (LLR, head only)", f.llr(), train_part}};
  for (double lr : f.lpft_lrs()) {
    TrainSpec lpft = f.lpft();
    lpft.set_lr(lr);
    stages.push_back({absl::StrFormat("LPFT lr=%g", lr), lpft, train_part});
  }
  return stages;
}

// As RunCbft and TrainCbftPhase: a warm-up at cbft's settings with a
// constant lr (when warmup_epochs > 0), then the main run.
std::vector<MethodStage> CbftStages(const std::string& name,
                                    const FinetuneSpec& f) {
  std::vector<MethodStage> stages;
  if (f.cbft_options().warmup_epochs() > 0) {
    TrainSpec warmup = f.cbft();
    warmup.set_epochs(f.cbft_options().warmup_epochs());
    warmup.clear_schedule();
    warmup.mutable_schedule()->set_kind(ScheduleSpec::CONSTANT);
    stages.push_back({name + " warm-up", warmup});
  }
  stages.push_back({name, f.cbft()});
  return stages;
}

}  // namespace

const std::vector<MethodInfo>& Methods() {
  static const auto* methods = new std::vector<MethodInfo>{
      {Method::kFtMedium, "FT_M", "FT_M", MethodRole::kBaseline,
       &FtMediumStages, &RunFullFineTune},
      {Method::kFtSmall, "FT_S", "FT_S", MethodRole::kBaseline, &FtSmallStages,
       &RunFullFineTune},
      {Method::kLlr, "LLR", "LLR", MethodRole::kBaseline, &LlrStages, &RunLlr},
      {Method::kLpft, "LPFT", "LPFT", MethodRole::kBaseline, &LpftStages,
       [](const RunContext& ctx, Method, const TrainedModel& theta_c, double c,
          int64_t seed) { return RunLpft(ctx, theta_c, c, seed); }},
      {Method::kCbft, "CBFT", "CBFT", MethodRole::kCbft,
       [](const FinetuneSpec& f) { return CbftStages("CBFT", f); }, &RunCbft},
      {Method::kCbftNoBarrier, "CBFT (no barrier)", "CBFT_no_barrier",
       MethodRole::kAblation,
       [](const FinetuneSpec& f) { return CbftStages("CBFT (no barrier)", f); },
       &RunCbft},
      {Method::kCbftPaired,
       "CBFT, paired counterfactuals (needs a cue remover)", "CBFT_paired",
       MethodRole::kAblation,
       [](const FinetuneSpec& f) {
         return CbftStages("CBFT (paired counterfactuals)", f);
       },
       &RunCbft},
      {Method::kCbftAuthors, "CBFT (authors' variant)", "CBFT_authors",
       MethodRole::kAblation,
       [](const FinetuneSpec& f) {
         return CbftStages("CBFT (authors' variant)", f);
       },
       &RunCbft},
  };
  return *methods;
}

const MethodInfo& InfoOf(Method method) {
  for (const MethodInfo& info : Methods()) {
    if (info.method == method) return info;
  }
  // Every enumerator has an entry (finetune_test checks it); reaching here
  // is a programming error, never a silent default.
  std::cerr << "fine-tuning method " << static_cast<int>(method)
            << " is not registered in Methods()\n";
  std::abort();
}

const MethodInfo* FindMethod(const std::string& name) {
  for (const MethodInfo& info : Methods()) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

CbftSpec EffectiveCbftOptions(const Spec& spec, Method method) {
  const CbftSpec& given = spec.finetune().cbft_options();
  // Every field explicit, so the key text does not depend on whether the
  // spec spelled out a default.
  CbftSpec o;
  o.set_lambda1(given.lambda1());
  o.set_lambda2(given.lambda2());
  o.set_warmup_epochs(given.warmup_epochs());
  o.set_authors_variant(given.authors_variant());
  o.set_use_barrier(given.use_barrier());
  o.set_cue_data(given.cue_data());
  o.set_t_draw(given.t_draw());
  o.set_t_min(given.t_min());
  o.set_t_max(given.t_max());
  o.set_paired_counterfactuals(given.paired_counterfactuals());
  if (method == Method::kCbftNoBarrier) o.set_use_barrier(false);
  if (method == Method::kCbftPaired) {
    // The cue images and their cue-free copies: every training image cued.
    o.set_paired_counterfactuals(true);
    o.set_cue_data(CbftSpec::ALL_CUED);
  }
  if (method == Method::kCbftAuthors) {
    // As their mech_fine_tuning.py: the cue loader's own proportion (its
    // default 1.0) and their t draw.
    o.set_authors_variant(true);
    o.set_paired_counterfactuals(false);
    o.set_cue_data(CbftSpec::ALL_CUED);
    o.set_t_draw(CbftSpec::CLIPPED_NORMAL);
    o.set_t_min(0.25);
    o.set_t_max(0.75);
  }
  return o;
}

absl::StatusOr<HoldoutSplit> SplitHoldout(const CueDataset& dataset,
                                          double validation_fraction) {
  if (!(validation_fraction > 0.0 && validation_fraction < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("finetune.validation_fraction must be in (0, 1), got ",
                     validation_fraction));
  }
  std::vector<std::vector<int64_t>> by_class(dataset.num_classes());
  const int64_t n = dataset.Size(View::kHoldout);
  for (int64_t i = 0; i < n; ++i) {
    by_class[dataset.Label(View::kHoldout, i)].push_back(i);
  }
  HoldoutSplit split;
  for (int k = 0; k < dataset.num_classes(); ++k) {
    const int64_t n_k = static_cast<int64_t>(by_class[k].size());
    if (n_k == 0) continue;
    const int64_t n_val = std::llround(validation_fraction * n_k);
    if (n_val < 1 || n_val >= n_k) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "finetune.validation_fraction %g of the %d hold-out samples of "
          "class %d leaves an empty training or validation part",
          validation_fraction, n_k, k));
    }
    for (int64_t j = 0; j < n_k; ++j) {
      (j < n_k - n_val ? split.train : split.validation)
          .push_back(by_class[k][j]);
    }
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}

absl::StatusOr<TrainedModel> FineTuneNoCue(const RunContext& ctx,
                                           const TrainedModel& theta_c,
                                           double cue_proportion, int64_t seed,
                                           double lr) {
  RETURN_IF_ERROR(CheckInputs(ctx, theta_c));
  TrainSpec train = ctx.spec->finetune().fig4();
  train.set_lr(lr);
  const CueDataset* dataset = ctx.dataset;
  return FullFineTune(
      ctx, "no_cue",
      Label(absl::StrFormat("FT no cue lr=%g", lr), cue_proportion, seed),
      train, seed, cue_proportion, ViewName(View::kTrainNoCue), {theta_c.hash},
      "", theta_c.params, dataset->Size(View::kTrainNoCue),
      [dataset] { return dataset->Materialize(View::kTrainNoCue, 0); });
}

absl::StatusOr<MethodResult> RunMethod(const RunContext& ctx, Method method,
                                       const TrainedModel& theta_c,
                                       double cue_proportion, int64_t seed) {
  RETURN_IF_ERROR(CheckInputs(ctx, theta_c));
  return InfoOf(method).run(ctx, method, theta_c, cue_proportion, seed);
}

}  // namespace mmc
