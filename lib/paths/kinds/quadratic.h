// The quadratic (Bezier) path kinds of Fig. 3 (paper App. B.4, Garipov et
// al.): theta(t) = (1-t)^2 theta_a + 2t(1-t) theta_m + t^2 theta_b, the
// midpoint theta_m trained with both endpoints frozen
// (lib/paths/quadratic.h) on the training images at the pair's cue
// proportion c, with their cue (Quadratic w/ Cue, trC) or without
// (Quadratic w/o Cue, trNC). The midpoint is a cached run: role
// "quadratic_midpoint", spec.paths().quadratic(), the data view, c and the
// endpoints' hashes as parents; it shuffles with seed + 1000.
#ifndef LIB_PATHS_KINDS_QUADRATIC_H_
#define LIB_PATHS_KINDS_QUADRATIC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/paths/kinds/path_kind.h"

namespace mmc {

inline constexpr char kQuadraticCue[] = "Quadratic w/ Cue";
inline constexpr char kQuadraticNoCue[] = "Quadratic w/o Cue";

PathKind QuadraticCueKind();
PathKind QuadraticNoCueKind();

// Trains (or loads) the midpoint of the quadratic path between `a` and `b`
// on `view` at cue proportion c; `label` names the run in progress lines.
absl::StatusOr<TrainedModel> TrainMidpoint(const RunContext& ctx,
                                           const TrainedModel& a,
                                           const TrainedModel& b, View view,
                                           double c, int64_t seed,
                                           const std::string& label);

}  // namespace mmc

#endif  // LIB_PATHS_KINDS_QUADRATIC_H_
