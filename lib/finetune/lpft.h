// LPFT, the Table 3 baseline of linear probing then fine-tuning (Kumar et
// al.; paper App. B.2): LLR on part of the clean hold-out, then the whole
// network at each lr of lpft_lrs, picked on the rest. Registered in
// Methods() (finetune.h), which is how callers run it; finetune.h includes
// this header for SplitHoldout.
//
// Choices the paper leaves open, and what we do:
//  - LPFT: the hold-out is split per class by index: the last
//    round(validation_fraction * n_k) hold-out samples of class k are
//    validation, the rest train (both must be non-empty). LLR is run on the
//    training part (its own cached run, data_view "holdout_train"), then the
//    whole network is fine-tuned from it (BN kTrain) with
//    spec.finetune().lpft() at each lr of lpft_lrs, on the training part
//    only. The pick is the highest validation accuracy (BN kEval); ties go
//    to the lower validation loss, then to the earlier lr in lpft_lrs.
#ifndef LIB_FINETUNE_LPFT_H_
#define LIB_FINETUNE_LPFT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/finetune/method.h"

namespace mmc {

// LPFT: spec.finetune().llr(), then lpft() at each lr of lpft_lrs.
MethodInfo LpftMethod();

// LPFT's split of the hold-out (indices into View::kHoldout, ascending).
struct HoldoutSplit {
  std::vector<int64_t> train;
  std::vector<int64_t> validation;
};
absl::StatusOr<HoldoutSplit> SplitHoldout(const CueDataset& dataset,
                                          double validation_fraction);

}  // namespace mmc

#endif  // LIB_FINETUNE_LPFT_H_
