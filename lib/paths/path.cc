// Implementation of lib/paths/path.h.
#include "lib/paths/path.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

#include "lib/paths/bn_reset.h"
#include "lib/train/evaluate.h"
#include "lib/util/cpu_slots.h"
#include "lib/util/cpus.h"
#include "lib/util/slot_workers.h"
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

// One pass (points ts[first, first + count)) made ready for its sets:
// theta(t) (stacked when count > 1), BN reset, BN folded.
struct PreparedPass {
  ParamMap folded;
  ForwardOptions options;
};

PreparedPass PreparePass(const Model& model, const Path& path,
                         const std::vector<double>& ts, size_t first,
                         size_t count, const torch::Tensor& bn_data,
                         const EvalSpec& eval) {
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
  PreparedPass pass;
  pass.folded = FoldBatchNorm(model, params);
  pass.options.bn = BnMode::kFolded;
  pass.options.stacked = stacked;
  pass.options.mkldnn = UseMkldnn(pass.folded);
  return pass;
}

// The path's work as items for PathWorkers() single-threaded workers: per
// pass, its preparation (PreparePass) and then one item per evaluation set.
// A worker takes the evaluation of a prepared pass if there is one, else
// the next pass to prepare, else waits for a preparation in flight. Each
// item is computed by one thread alone, so the numbers do not depend on
// which worker took it. Handing out whole points instead (the earlier
// scheme) left one core idle for most of a point at the end of every path:
// 11 points on 2 workers is 6 against 5. Now the tail is at most one
// preparation and one set.
class PathItems {
 public:
  PathItems(size_t num_passes, size_t num_sets)
      : num_sets_(num_sets),
        prepared_(num_passes),
        ready_(num_passes, false),
        next_set_(num_passes, 0),
        sets_done_(num_passes, 0) {}

  // Runs items until none is left or one failed (the first error is kept).
  void Work(const std::function<PreparedPass(size_t)>& prepare,
            const std::function<void(size_t, size_t, const PreparedPass&)>&
                evaluate) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!failed_) {
      size_t pass = 0, set = 0;
      if (TakeEvaluation(&pass, &set)) {
        const PreparedPass& prepared = prepared_[pass];
        lock.unlock();
        std::exception_ptr error = Try([&] { evaluate(pass, set, prepared); });
        lock.lock();
        if (error) {
          Fail(error);
          break;
        }
        // The pass's last set: its folded network is no longer needed.
        if (++sets_done_[pass] == num_sets_) prepared_[pass] = PreparedPass();
        continue;
      }
      if (next_prepare_ < prepared_.size()) {
        const size_t p = next_prepare_++;
        ++preparing_;
        lock.unlock();
        PreparedPass result;
        std::exception_ptr error = Try([&] { result = prepare(p); });
        lock.lock();
        --preparing_;
        changed_.notify_all();
        if (error) {
          Fail(error);
          break;
        }
        prepared_[p] = std::move(result);
        ready_[p] = true;
        continue;
      }
      if (preparing_ == 0) break;  // Everything is handed out.
      changed_.wait(lock);
    }
    changed_.notify_all();
  }

  void RethrowError() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // The earliest prepared pass with a set not yet handed out.
  bool TakeEvaluation(size_t* pass, size_t* set) {
    for (size_t p = 0; p < next_prepare_; ++p) {
      if (ready_[p] && next_set_[p] < num_sets_) {
        *pass = p;
        *set = next_set_[p]++;
        return true;
      }
    }
    return false;
  }

  // Runs an item without the lock; its exception, if any.
  static std::exception_ptr Try(const std::function<void()>& item) {
    try {
      item();
      return nullptr;
    } catch (...) {
      return std::current_exception();
    }
  }

  // Keeps the first error; every worker stops at its next turn. Under mu_.
  void Fail(std::exception_ptr error) {
    if (!error_) error_ = error;
    failed_ = true;
  }

  const size_t num_sets_;
  std::mutex mu_;  // Guards everything below.
  std::condition_variable changed_;
  // Set when prepared (then ready_), emptied after its last set.
  std::vector<PreparedPass> prepared_;
  std::vector<bool> ready_;
  std::vector<size_t> next_set_;
  std::vector<size_t> sets_done_;
  size_t next_prepare_ = 0;
  int preparing_ = 0;
  bool failed_ = false;
  std::exception_ptr error_;
};

}  // namespace

std::vector<PointMetrics> EvaluatePath(
    const Model& model, const Path& path, const std::vector<double>& ts,
    const std::vector<std::pair<std::string, Batch>>& sets,
    const torch::Tensor& bn_data, const EvalSpec& eval, EndpointMemo* memo) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t per_pass = PointsPerPass(eval, ts.size());
  std::vector<std::pair<size_t, size_t>> passes;  // (first, count)
  for (size_t first = 0; first < ts.size(); first += per_pass) {
    passes.push_back({first, std::min<size_t>(per_pass, ts.size() - first)});
  }
  // metrics[pass][set][k]: point first + k of the pass on that set.
  std::vector<std::vector<std::vector<Metrics>>> metrics(
      passes.size(), std::vector<std::vector<Metrics>>(sets.size()));
  // Decided on the whole path, so that a point's threads (part of its
  // memo key) do not depend on how many points the memo supplied.
  const int workers = PathWorkers(path.a, eval, passes.size());
  const int threads_per_point = workers > 1 ? 1 : at::get_num_threads();
  // The endpoint a one-point pass evaluates, if it is one (t = 0 or 1:
  // Path::At returns the endpoint itself there).
  auto endpoint_of = [&](size_t p) -> const ParamMap* {
    if (memo == nullptr || passes[p].second != 1) return nullptr;
    const double t = ts[passes[p].first];
    return t == 0.0 ? &path.a : t == 1.0 ? &path.b : nullptr;
  };
  std::vector<size_t> todo;  // Passes to compute; the rest come from memo.
  for (size_t p = 0; p < passes.size(); ++p) {
    const ParamMap* endpoint = endpoint_of(p);
    std::optional<EndpointMemo::SetResults> known;
    if (endpoint != nullptr) known = memo->Find(*endpoint, threads_per_point);
    bool reused = known.has_value() && known->size() == sets.size();
    for (size_t s = 0; reused && s < sets.size(); ++s) {
      reused = (*known)[s].first == sets[s].first;
    }
    if (!reused) {
      todo.push_back(p);
      continue;
    }
    for (size_t s = 0; s < sets.size(); ++s) {
      Metrics m;
      m.accuracy = (*known)[s].second.first;
      m.loss = (*known)[s].second.second;
      metrics[p][s] = {m};
    }
  }
  // Each item holds one of the process's CPU slots while it computes
  // (lib/util/cpu_slots.h: //tasks:paper's children train meanwhile;
  // unlimited elsewhere).
  auto prepare = [&](size_t i) {
    CpuSlots::Scoped slot(CpuSlots::Global());
    const size_t p = todo[i];
    return PreparePass(model, path, ts, passes[p].first, passes[p].second,
                       bn_data, eval);
  };
  auto evaluate = [&](size_t i, size_t s, const PreparedPass& prepared) {
    CpuSlots::Scoped slot(CpuSlots::Global());
    metrics[todo[i]][s] =
        EvaluateStacked(model, prepared.folded, sets[s].second,
                        eval.batch_size(), prepared.options);
  };
  if (workers == 1) {
    for (size_t i = 0; i < todo.size(); ++i) {
      const PreparedPass prepared = prepare(i);
      for (size_t s = 0; s < sets.size(); ++s) evaluate(i, s, prepared);
    }
  } else if (!todo.empty()) {
    PathItems items(todo.size(), sets.size());
    // Each item takes its own slot (PathItems::Work), so the threads hold
    // none: RunOnSlotWorkers' threads without its per-item slot.
    RunOnOneThreadWorkers(
        static_cast<int>(std::min<size_t>(workers, todo.size())),
        [&] { items.Work(prepare, evaluate); });
    items.RethrowError();
  }
  std::vector<PointMetrics> out;
  for (size_t p = 0; p < passes.size(); ++p) {
    for (size_t k = 0; k < passes[p].second; ++k) {
      PointMetrics point;
      point.t = ts[passes[p].first + k];
      for (size_t s = 0; s < sets.size(); ++s) {
        const Metrics& m = metrics[p][s][k];
        point.sets.push_back({sets[s].first, {m.accuracy, m.loss}});
      }
      out.push_back(std::move(point));
    }
  }
  for (size_t p : todo) {
    if (const ParamMap* endpoint = endpoint_of(p)) {
      memo->Insert(*endpoint, threads_per_point, out[passes[p].first].sets);
    }
  }
  int64_t images_per_point = bn_data.size(0);
  for (const auto& [name, batch] : sets) images_per_point += batch.x.size(0);
  int64_t computed_points = 0;
  for (size_t p : todo) computed_points += passes[p].second;
  AddPathWork(
      images_per_point * computed_points,
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
