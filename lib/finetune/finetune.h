// Fine-tuning theta_C: the no-cue fine-tuning sweep of Fig. 4 and the
// Table 3 methods (paper App. B.2, App. C): naive fine-tuning with a medium
// or small learning rate (FT_M, FT_S), last-layer retraining (LLR,
// Kirichenko et al.), linear probing then fine-tuning (LPFT, Kumar et al.)
// and connectivity-based fine-tuning (CBFT, Eq. 4) with two variants.
//
// Every run trains through RunCache::TrainOrLoad (cached, resumable, locked)
// under the key BaseRunKey(spec, "finetune/<slug>", train spec used, seed)
// with cue_proportion, data_view, parents = [theta_C's hash, and the hash of
// any earlier stage the run starts from] and `extra` = the method settings
// that the train spec does not hold. Data are materialised only when a run
// must actually train. All draws are counter-based (lib/util/random.h), so a
// run is bit-identical across processes and resumes exactly.
//
// Choices the paper leaves open, and what we do:
//  - Every loop shuffles with shuffle_seed = CounterHash(seed, 0xf17e, 0);
//    the run's seed is the endpoint's seed (key field `seed`).
//  - Fig. 4 (FineTuneNoCue): all training images without cue (View::
//    kTrainNoCue; the hold-out is not part of them), spec.finetune().fig4()
//    with its lr replaced by the sweep's lr; BatchNorm in kTrain mode.
//  - FT_M / FT_S: the whole clean hold-out, ft_medium() / ft_small(), BN
//    kTrain (running statistics are updated; at lr 0 only they move).
//  - LLR: the head is replaced by a fresh torch::nn::Linear(C, K) built
//    right after torch::manual_seed(h), h = CounterHash(seed, 0x11e, 0) >> 1
//    (not theta_C's init seed), i.e. PyTorch's default Linear init (weight
//    kaiming_uniform(a = sqrt 5), bias U(+-1/sqrt C)), as the authors' code
//    does with a new nn.Linear. The body, BN statistics included, is frozen
//    and run in BnMode::kEval, so its features of the training samples are
//    constant: they are computed once (no autograd) and the head is trained
//    on them with spec.finetune().llr(). This equals running the network
//    every step (up to floating-point summation order).
//  - LPFT: the hold-out is split per class by index: the last
//    round(validation_fraction * n_k) hold-out samples of class k are
//    validation, the rest train (both must be non-empty). LLR is run on the
//    training part (its own cached run, data_view "holdout_train"), then the
//    whole network is fine-tuned from it (BN kTrain) with
//    spec.finetune().lpft() at each lr of lpft_lrs, on the training part
//    only. The pick is the highest validation accuracy (BN kEval); ties go
//    to the lower validation loss, then to the earlier lr in lpft_lrs.
//  - CBFT (Eq. 4), one SGD step per batch on the sum of
//      CE(clean batch; theta)                                 [BN kTrain]
//    + |lambda1 - CE(cue batch; (1-t) theta + t theta_C)|     [kBatchStats]
//    + lambda2/K sum_k ||mean f(cue batch, class k)
//                         - mean f(clean batch, class k)||_2  [BN kTrain]
//    The clean batch is D_NC: the loop's shuffle of the clean hold-out (an
//    epoch is one pass over it, as the authors' zip of the two loaders).
//    The cue batch is D_C (cbft_options.cue_data: theta_C's training mix
//    at c by default, or every training image with its cue), of *other*
//    images: the clean batch's size, indices drawn with replacement from
//    (seed, step) (CueBatchIndices). f = `features` of theta (global-
//    average-pooled penultimate layer), the clean batch's from the same
//    forward pass as its CE. K = the number of classes of the task (the
//    paper's K-class problem); the sum runs over the classes with a
//    centroid in both batches. t per step from cbft_options (t_draw on
//    [t_min, t_max]; default the authors' 0.5 + 0.5 clip(N(0,1), -1/2, 1/2),
//    i.e. in [0.25, 0.75]). Forward passes of theta run in kTrain mode as
//    PyTorch's net.train() would: running statistics see the clean and then
//    the cue batch.
//    Warm-up: a separate cached run (role "finetune/<slug>/warmup") of
//    warmup_epochs epochs without the invariance term, at spec cbft.lr
//    CONSTANT (the paper gives no warm-up lr), batch size, momentum and
//    weight decay of spec cbft; the main run starts from its result with
//    fresh momentum and runs spec.finetune().cbft() (cosine, 20 epochs) with
//    all terms. warmup_epochs 0 skips it. The draws of the two runs come from
//    different streams.
//  - kCbft uses spec.finetune().cbft_options() as given; kCbftNoBarrier
//    forces use_barrier = false (clean CE + invariance; its warm-up is plain
//    clean fine-tuning); kCbftPaired (ablation "CBFT, paired counterfactuals
//    (needs a cue remover)") compares each cue image of the batch with the
//    same image without its cue (kTrainCue vs kTrainNoCue of one index set)
//    instead of D_C with D_NC; kCbftAuthors forces authors_variant = true.
//  - The authors' variant follows their mech_fine_tuning.py: per batch two
//    SGD steps with one shared momentum buffer: first on the barrier term
//    alone (no clean CE), then on CE(clean batch) + the invariance term in
//    InvarianceForm::kAuthors (unit-normalised class means, squared
//    distance, divided by the number of classes K), comparing the features
//    of the clean batch with those of the cue batch (different images); the
//    cue batch comes from every training image with its cue (View::
//    kTrainCue: their cue loader's own `--cue_proportion`, default 1.0, not
//    theta_C's mix); t = 0.5 + 0.5 clip(N(0,1), -0.5, 0.5) per batch. Its
//    progress line counts the clean images and their accuracy (the loop
//    itself sees 2 pseudo-samples per batch). Implemented within the shared
//    loop by running it over 2 S pseudo-samples of batch 1 per epoch (S =
//    batches of the clean data); step 2j is batch j's barrier step and 2j+1 its
//    CE + invariance step, so checkpoints and resumption stay exact; the lr
//    schedule is evaluated per half-step (the second half-step of a batch gets
//    the marginally later cosine value). Not followed from their code: the
//    warm-up and the lr schedule come from the spec as for kCbft (their CBFT
//    loop never steps its scheduler, i.e. runs at a constant 0.01, and has
//    no warm-up). With use_barrier = false it is one step per batch.
#ifndef LIB_FINETUNE_FINETUNE_H_
#define LIB_FINETUNE_FINETUNE_H_

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/runs/run_cache.h"
#include "lib/runs/run_context.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// Fig. 4: theta_C fine-tuned on all training images without cue with
// spec.finetune().fig4() at initial learning rate `lr`.
absl::StatusOr<TrainedModel> FineTuneNoCue(const RunContext& ctx,
                                           const TrainedModel& theta_c,
                                           double cue_proportion, int64_t seed,
                                           double lr);

enum class Method {
  kFtMedium,
  kFtSmall,
  kLlr,
  kLpft,
  kCbft,
  kCbftNoBarrier,
  kCbftPaired,
  kCbftAuthors,
};

struct MethodResult {
  // The final stage's model (its hash and from_cache); train_seconds is the
  // sum over all stages (LLR + every LPFT lr, CBFT warm-up + main), and
  // from_cache is true only if every stage came from the cache.
  TrainedModel model;
  // One line for reports, e.g. LPFT's chosen lr and validation accuracies.
  std::string detail;
};

// How Table 3 treats a method.
enum class MethodRole {
  kBaseline,  // One of the paper's methods CBFT is compared with (ranked).
  kCbft,      // The paper's CBFT (Eq. 4): ranked; Table 3's claims ask
              // whether it beats the baselines.
  kAblation,  // Ours: reported below the ranked rows, never ranked and never
              // a baseline.
};

// One training stage a method runs (for --dry_run): its name, its settings
// and the share of the clean hold-out it trains on.
struct MethodStage {
  std::string name;
  TrainSpec train;
  double holdout_fraction = 1.0;
};

// A Table 3 method as data: the one place that names it, says how Table 3
// treats it, what it trains and how. Adding a method: an enumerator, its
// settings in spec.proto's FinetuneSpec, and an entry in Methods().
struct MethodInfo {
  Method method;
  // Row name in results and reports: "FT_M", "FT_S", "LLR", "LPFT", "CBFT",
  // "CBFT (no barrier)", "CBFT, paired counterfactuals (needs a cue
  // remover)", "CBFT (authors' variant)".
  const char* name;
  // The cache role suffix ("finetune/<slug>"): the name, or for the
  // ablations "CBFT_no_barrier", "CBFT_paired", "CBFT_authors".
  const char* slug;
  MethodRole role;
  // The stages `run` trains under `finetune`, in order.
  std::vector<MethodStage> (*stages)(const FinetuneSpec& finetune);
  // Fine-tunes theta_C (checked by RunMethod) on the clean hold-out.
  absl::StatusOr<MethodResult> (*run)(const RunContext& ctx, Method method,
                                      const TrainedModel& theta_c,
                                      double cue_proportion, int64_t seed);
};

// Every Table 3 method in report order: the paper's five (the baselines
// FT_M, FT_S, LLR, LPFT, then CBFT), then the ablations.
const std::vector<MethodInfo>& Methods();
const MethodInfo& InfoOf(Method method);
// The method whose row name is `name`; nullptr if none.
const MethodInfo* FindMethod(const std::string& name);
// Ranked in Table 3: the paper's methods, not the ablations.
inline bool Ranked(const MethodInfo& info) {
  return info.role != MethodRole::kAblation;
}

inline const char* MethodName(Method method) { return InfoOf(method).name; }
inline const char* MethodSlug(Method method) { return InfoOf(method).slug; }

// The view D_C is drawn from: kTrainMix (theta_C's mix at its c) or
// kTrainCue (every training image cued), per options.cue_data().
View CueDataView(const CbftSpec& options);

// A Table 3 method on the clean hold-out, starting from theta_C: checks
// the inputs, then InfoOf(method).run.
absl::StatusOr<MethodResult> RunMethod(const RunContext& ctx, Method method,
                                       const TrainedModel& theta_c,
                                       double cue_proportion, int64_t seed);

// LPFT's split of the hold-out (indices into View::kHoldout, ascending).
struct HoldoutSplit {
  std::vector<int64_t> train;
  std::vector<int64_t> validation;
};
absl::StatusOr<HoldoutSplit> SplitHoldout(const CueDataset& dataset,
                                          double validation_fraction);

// The CbftSpec that `method` (one of the CBFT methods) runs with.
CbftSpec EffectiveCbftOptions(const Spec& spec, Method method);

}  // namespace mmc

#endif  // LIB_FINETUNE_FINETUNE_H_
