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
// Choices the paper leaves open, and what we do (each method's own choices
// are in its header: ft.h for FT_M / FT_S, llr.h, lpft.h, and cbft.h for
// CBFT, its variants and the authors' variant):
//  - Every loop shuffles with shuffle_seed = CounterHash(seed, 0xf17e, 0);
//    the run's seed is the endpoint's seed (key field `seed`).
//  - Fig. 4 (FineTuneNoCue): all training images without cue (View::
//    kTrainNoCue; the hold-out is not part of them), spec.finetune().fig4()
//    with its lr replaced by the sweep's lr; BatchNorm in kTrain mode.
//
// Adding a method: an enumerator in Method (method.h); its settings in
// spec.proto's FinetuneSpec; a file pair lib/finetune/<method>.{h,cc} with
// its own cc_library in lib/finetune/BUILD, exporting `MethodInfo
// <Name>Method()` (its name, slug, role, stages and run; the helpers shared
// by several methods are in finetune_common.h); one line in Methods()
// (finetune.cc) calling it; and that library in the deps of :finetune. A
// method whose per-step code is new also belongs in the per-step file list
// of lib/source_rules_test.cc.
#ifndef LIB_FINETUNE_FINETUNE_H_
#define LIB_FINETUNE_FINETUNE_H_

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/finetune/cbft.h"
#include "lib/finetune/lpft.h"
#include "lib/finetune/method.h"
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

// Method, MethodResult, MethodRole, MethodStage, MethodInfo: method.h.

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

// CueDataView and EffectiveCbftOptions (CBFT): cbft.h.

// A Table 3 method on the clean hold-out, starting from theta_C: checks
// the inputs, then InfoOf(method).run.
absl::StatusOr<MethodResult> RunMethod(const RunContext& ctx, Method method,
                                       const TrainedModel& theta_c,
                                       double cue_proportion, int64_t seed);

// HoldoutSplit and SplitHoldout (LPFT's split of the hold-out): lpft.h.

}  // namespace mmc

#endif  // LIB_FINETUNE_FINETUNE_H_
