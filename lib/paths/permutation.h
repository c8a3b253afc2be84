// Permutation alignment of networks (paper App. B.5): the hidden channels of
// a network can be reordered without changing its function, so before
// interpolating two networks, network B is permuted to line up with network
// A. Matching is greedy and layer-wise on activations: for every permutation
// group (Model::PermutationGroups), the Pearson correlation of each channel
// of A with each channel of B is measured on data passed through both
// networks, and a maximum-weight linear assignment picks B's channel for
// each of A's.
#ifndef LIB_PATHS_PERMUTATION_H_
#define LIB_PATHS_PERMUTATION_H_

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/models/model.h"
#include "lib/models/param_map.h"

namespace mmc {

// A permutation per group name: perm[i] = index in the original network of
// the channel placed at position i.
using Permutation = std::map<std::string, std::vector<int64_t>>;

// Applies perm to every (param, axis) of each group and returns a new map
// (the inputs are untouched; the result keeps the autograd graph of params).
// BatchNorm buffers (running_mean/var) are permuted too, as they are listed
// in the groups' axes. Groups missing from perm are left as they are (the
// identity). Throws (TORCH_CHECK) on an unknown group name, a wrong length
// or a vector that is not a permutation.
ParamMap ApplyPermutation(const Model& model, const ParamMap& params,
                          const Permutation& perm);

// A uniformly random permutation of every group, determined by seed (for
// tests and symmetry experiments).
Permutation RandomPermutation(const Model& model, uint64_t seed);

// inverse[g][perm[g][i]] = i: ApplyPermutation by perm then by its inverse
// gives back the original map.
Permutation InversePermutation(const Permutation& perm);

// The identity permutation of every group.
Permutation IdentityPermutation(const Model& model);

// Per group, the [size, size] float64 (CPU) matrix C with C[i][j] = the
// Pearson correlation of channel i of a with channel j of b, summed over the
// group's activation points. Activations are post-ReLU, correlations are
// taken over batch and spatial positions, with the sums accumulated over all
// batches in float64. `batches` are inputs [N, C, H, W] (on the device of
// the parameters) run through both networks in BnMode::kEval. A channel that
// is constant over the data has correlation 0 with everything.
absl::StatusOr<std::map<std::string, torch::Tensor>> ActivationCorrelations(
    const Model& model, const ParamMap& a, const ParamMap& b,
    const std::vector<torch::Tensor>& batches);

// Matches b to a: returns the permutation P such that
// ApplyPermutation(model, b, P) is aligned with a, i.e. for each group P
// maximises sum_i C[i][P[i]] with C from ActivationCorrelations.
//
// The groups are matched independently from one forward pass of each
// network, and that is exactly the greedy layer-by-layer scheme (match layer
// 1, permute B, recompute B's activations, match layer 2, ...): every group
// permutation is an exact symmetry of B, so permuting some groups of B
// leaves all of B's activations unchanged except that the channels of those
// groups' own activation points are relabelled. The correlation matrix of a
// later group is therefore the same whatever earlier groups were matched
// to, and its best assignment too.
absl::StatusOr<Permutation> MatchActivations(
    const Model& model, const ParamMap& a, const ParamMap& b,
    const std::vector<torch::Tensor>& batches);

// Solves the maximum-weight linear assignment problem on a square matrix of
// weights (float64 [n, n], finite): returns, for each row, the column
// assigned to it, maximising the sum of the chosen weights. Uses dlib's
// max_cost_assignment (Hungarian algorithm) on the weights rescaled to
// integers in [0, 2^40], so the optimum is exact up to a relative
// resolution of about 1e-12 of the weights' range.
std::vector<int64_t> SolveAssignment(const torch::Tensor& weights);

}  // namespace mmc

#endif  // LIB_PATHS_PERMUTATION_H_
