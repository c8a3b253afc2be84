// Implementation of lib/paths/path.h.
#include "lib/paths/path.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <thread>
#include <utility>

#include "lib/paths/bn_reset.h"
#include "lib/train/evaluate.h"
#include "lib/util/cpus.h"
#include "lib/util/work_meter.h"

namespace mmc {

ParamMap Path::At(double t) const {
  if (t == 0.0) return a;
  if (t == 1.0) return b;
  if (curve) return curve(*this, t);
  return Interpolate(a, b, t);
}

Path LinearPath(ParamMap a, ParamMap b) {
  return Path{std::move(a), std::move(b), {}, nullptr};
}

Path QuadraticPath(ParamMap a, ParamMap mid, ParamMap b) {
  return Path{std::move(a),
              std::move(b),
              {std::move(mid)},
              [](const Path& path, double t) {
                return Bezier(path.a, path.controls.front(), path.b, t);
              }};
}

std::vector<double> PathGrid(int num_points) {
  std::vector<double> ts;
  for (int i = 0; i < num_points; ++i) {
    ts.push_back(num_points == 1 ? 0.0
                                 : static_cast<double>(i) / (num_points - 1));
  }
  return ts;
}

int64_t PointsPerPass(const EvalSpec& eval, int64_t num_points) {
  return std::clamp<int64_t>(eval.points_per_pass(), 1,
                             std::max<int64_t>(num_points, 1));
}

namespace {

// Whether the map's tensors live on the CPU (an empty map counts as CPU).
bool OnCpu(const ParamMap& params) {
  return params.empty() || params.begin()->second.device().is_cpu();
}

// oneDNN's blocked layout serves CPU inference.
bool UseMkldnn(const ParamMap& params) {
  return at::hasMKLDNN() && OnCpu(params);
}

}  // namespace

int PathWorkers(const ParamMap& params, const EvalSpec& eval,
                int64_t num_passes) {
  // Automatic: thin networks run a point per thread (their small ops split
  // poorly across threads), wide ones each point on all threads
  // (reports/benchmarks.md: VGG-13 x1/8 4% faster, ResNet-18 x1 7% slower
  // with a point per thread).
  // On a GPU, one point at a time. One worker per CPU, not per intra-op
  // thread: a spec with `threads: 1` (parallel work units) still evaluates
  // its paths on every core, and each point's numbers are the same either
  // way (one thread computes it).
  const int64_t automatic =
      OnCpu(params) && CountParameters(params) <= kMaxThinParameters
          ? AvailableCpus()
          : 1;
  const int64_t wanted =
      eval.path_workers() > 0 ? eval.path_workers() : automatic;
  return static_cast<int>(
      std::clamp<int64_t>(std::min(wanted, num_passes), 1, 64));
}

namespace {

// Points ts[first, first + count) as one pass: theta(t) (stacked when
// count > 1), BN reset, BN folded, every set.
std::vector<PointMetrics> EvaluatePass(
    const Model& model, const Path& path, const std::vector<double>& ts,
    size_t first, size_t count,
    const std::vector<std::pair<std::string, Batch>>& sets,
    const torch::Tensor& bn_data, const EvalSpec& eval) {
  ParamMap params;
  {
    torch::NoGradGuard no_grad;
    std::vector<ParamMap> points;
    for (size_t i = first; i < first + count; ++i) {
      points.push_back(path.At(ts[i]));
    }
    // Detached: never write into the endpoints' own tensors.
    params = MapParams(
        count == 1 ? points.front() : StackParams(points),
        [](const std::string&, const torch::Tensor& x) { return x.detach(); });
  }
  const int64_t stacked = static_cast<int64_t>(count);
  ResetBatchNorm(model, bn_data, eval.batch_size(), eval.bn_reset_mode(),
                 &params, stacked);
  const ParamMap folded = FoldBatchNorm(model, params);
  std::vector<PointMetrics> points(count);
  for (size_t k = 0; k < count; ++k) points[k].t = ts[first + k];
  ForwardOptions options;
  options.bn = BnMode::kFolded;
  options.stacked = stacked;
  options.mkldnn = UseMkldnn(folded);
  for (const auto& [name, batch] : sets) {
    const std::vector<Metrics> metrics =
        EvaluateStacked(model, folded, batch, eval.batch_size(), options);
    for (size_t k = 0; k < count; ++k) {
      points[k].sets.push_back({name, {metrics[k].accuracy, metrics[k].loss}});
    }
  }
  return points;
}

}  // namespace

std::vector<PointMetrics> EvaluatePath(
    const Model& model, const Path& path, const std::vector<double>& ts,
    const std::vector<std::pair<std::string, Batch>>& sets,
    const torch::Tensor& bn_data, const EvalSpec& eval) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t per_pass = PointsPerPass(eval, ts.size());
  std::vector<std::pair<size_t, size_t>> passes;  // (first, count)
  for (size_t first = 0; first < ts.size(); first += per_pass) {
    passes.push_back({first, std::min<size_t>(per_pass, ts.size() - first)});
  }
  std::vector<std::vector<PointMetrics>> results(passes.size());
  const int workers = PathWorkers(path.a, eval, passes.size());
  if (workers == 1) {
    for (size_t i = 0; i < passes.size(); ++i) {
      results[i] = EvaluatePass(model, path, ts, passes[i].first,
                                passes[i].second, sets, bn_data, eval);
    }
  } else {
    // Single-threaded workers, each taking every workers-th pass. Each
    // point is computed by one thread alone, so the result does not depend
    // on the assignment.
    const int threads = at::get_num_threads();
    std::vector<std::exception_ptr> errors(workers);
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w) {
      pool.emplace_back([&, w] {
        try {
          at::set_num_threads(1);
          for (size_t i = w; i < passes.size(); i += workers) {
            results[i] = EvaluatePass(model, path, ts, passes[i].first,
                                      passes[i].second, sets, bn_data, eval);
          }
        } catch (...) {
          errors[w] = std::current_exception();
        }
      });
    }
    for (std::thread& t : pool) t.join();
    // at::set_num_threads also stores a process-wide default; restore it.
    at::set_num_threads(threads);
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  }
  std::vector<PointMetrics> out;
  for (std::vector<PointMetrics>& r : results) {
    for (PointMetrics& p : r) out.push_back(std::move(p));
  }
  int64_t images_per_point = bn_data.size(0);
  for (const auto& [name, batch] : sets) images_per_point += batch.x.size(0);
  AddPathWork(
      images_per_point * static_cast<int64_t>(ts.size()),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return out;
}

BarrierMetrics ComputeBarrier(const std::vector<double>& ts,
                              const std::vector<double>& accuracies,
                              const std::vector<double>& losses) {
  BarrierMetrics b;
  if (ts.empty()) return b;
  const double l0 = losses.front(), l1 = losses.back();
  const double t0 = ts.front(), t1 = ts.back();
  double barrier = -std::numeric_limits<double>::infinity();
  double lowest = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < ts.size(); ++i) {
    const double u = (ts[i] - t0) / std::max(t1 - t0, 1e-12);
    barrier = std::max(barrier, losses[i] - ((1.0 - u) * l0 + u * l1));
    lowest = std::min(lowest, accuracies[i]);
  }
  b.loss_barrier = barrier;
  b.accuracy_dip = std::min(accuracies.front(), accuracies.back()) - lowest;
  return b;
}

}  // namespace mmc
