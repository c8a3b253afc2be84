// The linear path kinds of Fig. 3 (paper §3):
//   Linear           theta(t) = (1 - t) theta_a + t theta_b
//   Linear Permuted  the same after permuting theta_a's units to match
//                    theta_b's activations (lib/paths/permutation.h) on the
//                    pair's BatchNorm-reset data (PermutationBatches)
// Neither trains anything; with !request.evaluate both build nothing (no
// permutation is matched).
#ifndef LIB_PATHS_KINDS_LINEAR_H_
#define LIB_PATHS_KINDS_LINEAR_H_

#include "lib/paths/kinds/path_kind.h"

namespace mmc {

inline constexpr char kLinear[] = "Linear";
inline constexpr char kLinearPermuted[] = "Linear Permuted";

PathKind LinearKind();
PathKind LinearPermutedKind();

}  // namespace mmc

#endif  // LIB_PATHS_KINDS_LINEAR_H_
