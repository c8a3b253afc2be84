// The loss terms of connectivity-based fine-tuning (CBFT, paper App. C,
// Eq. 4) and the per-step random draws they use, as free functions so they
// can be checked by hand (cbft_loss_test.cc). lib/finetune/finetune.h
// assembles them into training runs.
//
//   barrier    |lambda1 - CE(model(theta(t)); x_cue, y)|,
//              theta(t) = (1 - t) theta + t theta_C (every entry, buffers
//              too; BatchNorm in kBatchStats mode, so the interpolated
//              running statistics are never used). theta_C is treated as a
//              constant; the gradient reaches theta through the path, i.e.
//              scaled by (1 - t), as in the authors' code.
//   invariance lambda2 / K * sum_k d(mean f(x in A_k), mean f(x in B_k)) over
//              the classes k present in both feature sets A and B.
//              kPaper:   d = ||a - b||_2 (not squared), K = the number of
//                        classes of the task (Eq. 4: "a K-class
//                        classification problem"); the sum runs over the
//                        classes present in both batches (a class absent
//                        from either has no centroid and adds 0).
//              kAuthors: d = ||a/|a| - b/|b|||_2^2, i.e. the class means are
//                        normalised to unit norm (after averaging, as
//                        F.normalize(z[ids].mean(0)) in the authors'
//                        mech_fine_tuning.py), squared distance, and K = all
//                        classes of the task (their `/ n_classes`).
#ifndef LIB_FINETUNE_CBFT_LOSS_H_
#define LIB_FINETUNE_CBFT_LOSS_H_

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

enum class InvarianceForm { kPaper, kAuthors };

// The barrier term on the cue batch (x, y) at path point t. Differentiable in
// the entries of `theta` that require grad.
torch::Tensor BarrierTerm(const Model& model, const ParamMap& theta,
                          const ParamMap& theta_c, double t,
                          const torch::Tensor& x, const torch::Tensor& y,
                          double lambda1);

// The invariance term between features_a [Na, C] (labels_a [Na]) and
// features_b [Nb, C] (labels_b [Nb]); num_classes is the task's class count
// (labels lie in [0, num_classes)). Zero (a defined scalar) when no class is
// present in both sets.
torch::Tensor InvarianceTerm(const torch::Tensor& features_a,
                             const torch::Tensor& labels_a,
                             const torch::Tensor& features_b,
                             const torch::Tensor& labels_b, int num_classes,
                             double lambda2, InvarianceForm form);

// Counter-based draws; each depends only on (seed, step).
// The paper's path point: t ~ U[0, 1).
double UniformPathPoint(uint64_t seed, int64_t step);
// The authors' code: t = 0.5 + 0.5 * clip(N(0, 1), -0.5, 0.5), in
// [0.25, 0.75] (N(0,1) by Box-Muller from two counter-based uniforms).
double AuthorsPathPoint(uint64_t seed, int64_t step);
// The barrier term's t as `options` says (t_draw on [t_min, t_max]; see
// spec.proto CbftSpec): CLIPPED_NORMAL t = m + w clip(z, -1/2, 1/2), UNIFORM
// t = t_min + (t_max - t_min) u. The defaults give AuthorsPathPoint.
double DrawPathPoint(const CbftSpec& options, uint64_t seed, int64_t step);
// An error unless t_draw is set and 0 <= t_min < t_max <= 1.
absl::Status ValidatePathPointRange(const CbftSpec& options);
// `batch` indices in [0, n), drawn independently (with replacement) for the
// cue batch of `step`.
std::vector<int64_t> CueBatchIndices(uint64_t seed, int64_t step, int64_t batch,
                                     int64_t n);

}  // namespace mmc

#endif  // LIB_FINETUNE_CBFT_LOSS_H_
