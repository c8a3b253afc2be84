// Implementation of lib/finetune/cbft.h.
#include "lib/finetune/cbft.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/finetune/cbft_loss.h"
#include "lib/finetune/finetune_common.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/spec_io.h"
#include "lib/train/train_loop.h"
#include "lib/util/random.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

constexpr uint64_t kCbftWarmupStream = 0xcbf0;
constexpr uint64_t kCbftMainStream = 0xcbf1;

// One CBFT phase (warm-up or main) from `start`.
absl::StatusOr<TrainedModel> TrainCbftPhase(
    const RunContext& ctx, const MethodInfo& info, const CbftSpec& options,
    bool warmup, const TrainedModel& theta_c, const TrainedModel& start,
    double c, int64_t seed) {
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
  const std::string slug = info.slug;
  const std::string phase = warmup ? "warm-up" : "main";
  TrainRequest request;
  request.key = FinetuneKey(
      ctx, warmup ? absl::StrCat(slug, "/warmup") : slug, train, seed, c,
      absl::StrCat(ViewName(View::kHoldout), "+", ViewName(cue_view)), parents,
      CanonicalText(options));
  request.loop = MakeLoop(
      ctx,
      Label(absl::StrCat(info.name, " ", phase,
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

absl::StatusOr<MethodResult> RunCbft(const RunContext& ctx,
                                     const MethodInfo& info,
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
  const CbftSpec options = EffectiveCbftOptions(*ctx.spec, info.method);
  MethodResult result;
  TrainedModel start = theta_c;
  double seconds = 0.0;
  bool from_cache = true;
  if (options.warmup_epochs() > 0) {
    ASSIGN_OR_RETURN(start, TrainCbftPhase(ctx, info, options, true, theta_c,
                                           theta_c, c, seed));
    seconds += start.train_seconds;
    from_cache = from_cache && start.from_cache;
  }
  ASSIGN_OR_RETURN(result.model, TrainCbftPhase(ctx, info, options, false,
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

View CueDataView(const CbftSpec& options) {
  return options.cue_data() == CbftSpec::ALL_CUED ? View::kTrainCue
                                                  : View::kTrainMix;
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

MethodInfo CbftMethod() {
  return {Method::kCbft,
          "CBFT",
          "CBFT",
          MethodRole::kCbft,
          [](const FinetuneSpec& f) { return CbftStages("CBFT", f); },
          &RunCbft};
}

MethodInfo CbftNoBarrierMethod() {
  return {
      Method::kCbftNoBarrier,
      "CBFT (no barrier)",
      "CBFT_no_barrier",
      MethodRole::kAblation,
      [](const FinetuneSpec& f) { return CbftStages("CBFT (no barrier)", f); },
      &RunCbft};
}

MethodInfo CbftPairedMethod() {
  return {Method::kCbftPaired,
          "CBFT, paired counterfactuals (needs a cue remover)",
          "CBFT_paired",
          MethodRole::kAblation,
          [](const FinetuneSpec& f) {
            return CbftStages("CBFT (paired counterfactuals)", f);
          },
          &RunCbft};
}

MethodInfo CbftAuthorsMethod() {
  return {Method::kCbftAuthors,
          "CBFT (authors' variant)",
          "CBFT_authors",
          MethodRole::kAblation,
          [](const FinetuneSpec& f) {
            return CbftStages("CBFT (authors' variant)", f);
          },
          &RunCbft};
}

}  // namespace mmc
