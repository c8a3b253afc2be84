// Paths between two parameter maps and their evaluation (paper §2, App. B.4):
//   linear     theta(t) = (1 - t) theta_a + t theta_b
//   quadratic  theta(t) = (1-t)^2 theta_a + 2t(1-t) theta_m + t^2 theta_b
// A permuted-linear path is a linear path whose theta_a was permuted to
// match theta_b first (permutation.h). Other curves (a path kind of one's
// own, path_kind.h) set Path::curve. At every evaluated point BatchNorm
// statistics are recomputed (bn_reset.h), then accuracy and loss are
// measured on every evaluation set. Barrier metrics summarise a path on one
// set: loss barrier max_t [L(t) - ((1-t) L(0) + t L(1))] (nats) and accuracy
// dip min(acc(0), acc(1)) - min_t acc(t) (points).
#ifndef LIB_PATHS_PATH_H_
#define LIB_PATHS_PATH_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "lib/data/cue_dataset.h"
#include "lib/models/model.h"
#include "lib/paths/endpoint_memo.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

struct Path {
  ParamMap a, b;  // theta(0), theta(1).
  // The curve's other control points (the quadratic path: theta_m).
  std::vector<ParamMap> controls;
  // theta(t) for 0 < t < 1 from a, b and controls; unset: linear.
  std::function<ParamMap(const Path& path, double t)> curve;
  // theta(t). At t = 0 and t = 1 the endpoints are returned exactly.
  ParamMap At(double t) const;
};

// (1 - t) a + t b.
Path LinearPath(ParamMap a, ParamMap b);
// (1-t)^2 a + 2t(1-t) mid + t^2 b (Bezier).
Path QuadraticPath(ParamMap a, ParamMap mid, ParamMap b);

// t = 0, 1/(n-1), ..., 1.
std::vector<double> PathGrid(int num_points);

struct PointMetrics {
  double t = 0.0;
  // Per evaluation set name: (accuracy %, mean loss).
  std::vector<std::pair<std::string, std::pair<double, double>>> sets;
};

// How many points EvaluatePath stacks into one network (ForwardOptions::
// stacked): eval.points_per_pass (0 or 1: one point at a time), at most
// num_points.
int64_t PointsPerPass(const EvalSpec& eval, int64_t num_points);

// Networks up to this many parameters count as thin for PathWorkers.
inline constexpr int64_t kMaxThinParameters = 2'000'000;

// How many threads EvaluatePath runs passes on, each with one intra-op
// thread: eval.path_workers, or (0, automatic) one per available CPU
// (AvailableCpus) for thin networks on the CPU and 1 (each point on all
// intra-op threads) for wide ones and GPUs; at most num_passes.
int PathWorkers(const ParamMap& params, const EvalSpec& eval,
                int64_t num_passes);

// Evaluates `path` at `ts`: for each t, theta(t) with its BN statistics
// reset on `bn_data` (eval.bn_reset_mode, eval.batch_size), then every set,
// with BatchNorm folded into the convolutions (oneDNN layout on the CPU).
// Points run PointsPerPass() at a time as one stacked network. With
// PathWorkers() > 1 the work is handed out in items, each computed by one
// thread: a pass's preparation (theta(t), BN reset, folding) and then each
// set's evaluation of it, so the numbers do not depend on the number of
// workers. The numbers equal a point-at-a-time evaluation up to float
// rounding (exactly, with one point per pass).
// With a `memo` (endpoint_memo.h; its owner keeps bn_data, sets and eval
// the same for every call that shares it) and one point per pass, an
// endpoint (t = 0 or 1) already evaluated with the same threads is taken
// from the memo, and every endpoint evaluated here is stored in it: the
// numbers are those a new evaluation would give, bit for bit.
std::vector<PointMetrics> EvaluatePath(
    const Model& model, const Path& path, const std::vector<double>& ts,
    const std::vector<std::pair<std::string, Batch>>& sets,
    const torch::Tensor& bn_data, const EvalSpec& eval,
    EndpointMemo* memo = nullptr);

struct BarrierMetrics {
  double loss_barrier = 0.0;
  double accuracy_dip = 0.0;
};

// Barrier metrics of one set from per-point (t, accuracy, loss) values; the
// first and last points are the endpoints.
BarrierMetrics ComputeBarrier(const std::vector<double>& ts,
                              const std::vector<double>& accuracies,
                              const std::vector<double>& losses);

}  // namespace mmc

#endif  // LIB_PATHS_PATH_H_
