// Table 2 (paper §3): mechanistic (dis)similarity versus linear and
// non-linear connectivity, derived from the Fig. 3, Fig. 4 and Table 3
// results (no retraining: the models come from the run cache).
//
// Mechanistic similarity (Def. 4): a model's invariance set over the two
// interventions of the counterfactual sets: "cue" when it is invariant to
// randomising the cue (|RC - NC| <= kCueTolerance points), "image" when it
// is invariant to randomising the image (RI > chance + kImageTolerance
// points, i.e. it does not rely on the image). Two models are similar when
// their sets are equal.
// Connectivity of a path on a set: barrier <= kBarrierThreshold nats and
// accuracy dip <= kDipThreshold points (QUICK_TIER.md's "connects"
// threshold). The set is trC (the cue data both theta_C and its partners
// fit), trNC for the theta_NC-theta_NC' control pair. "Mechanistically
// connected" along a path: every evaluated point has the endpoints' shared
// invariance set.
#ifndef LIB_EXPERIMENT_TABLE2_H_
#define LIB_EXPERIMENT_TABLE2_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/experiment/fig3.h"
#include "lib/spec/results.pb.h"

namespace mmc {

inline constexpr double kCueTolerance = 5.0;
inline constexpr double kImageTolerance = 10.0;
inline constexpr double kBarrierThreshold = 0.15;
inline constexpr double kDipThreshold = 3.0;

// Invariance set from accuracies (%) on NC, C, RC, RI; `classes` sets chance.
std::string InvarianceSet(double nc, double c, double rc, double ri,
                          int classes);

// Builds Table 2 from the three artifacts' results; the Table 3 pairs need
// their linear paths, which are evaluated here (theta_C and each method's
// model from the cache, first seed).
absl::StatusOr<Table2Results> RunTable2(const ExperimentContext& context,
                                        const Fig3Results& fig3,
                                        const Fig4Results& fig4,
                                        const Table3Results& table3);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_TABLE2_H_
