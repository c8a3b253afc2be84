// Implementation of lib/experiment/fig3.h.
#include "lib/experiment/fig3.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <iostream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/paths/kinds/registry.h"
#include "lib/paths/path.h"
#include "lib/paths/permutation.h"
#include "lib/runs/endpoints.h"
#include "lib/util/cpu_slots.h"
#include "lib/util/progress.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// Evaluates `path` as `name` of `pair` into a new entry of results->paths.
void RunPath(const ExperimentContext& ctx, const std::string& pair, double c,
             double bn_c, int64_t seed, const std::string& name,
             const Path& path, const std::string& midpoint_key,
             std::chrono::steady_clock::time_point start,
             Fig3Results* results) {
  PathResult* r = results->add_paths();
  r->set_path(name);
  r->set_pair(pair);
  r->set_cue_proportion(c);
  r->set_seed(seed);
  if (!midpoint_key.empty()) r->set_midpoint_key(midpoint_key);
  EvaluatePathInto(ctx, path, bn_c, r);
  r->set_seconds(SecondsSince(start));
  const PathBarrier* own = FindBarrier(*r, "trC");
  const std::string what = absl::StrFormat(
      "%s c=%g %s: barrier on trC %.3f nats, dip %.1f points (%.1f s)", pair, c,
      name, own->loss_barrier(), own->accuracy_dip(), r->seconds());
  ReportPathProgress(ctx, "fig3", what);
}

}  // namespace

absl::Status RunPairPathKinds(const ExperimentContext& ctx,
                              const TrainedModel& a, const TrainedModel& b,
                              const std::string& pair, double c, double bn_c,
                              int64_t seed,
                              const std::vector<const PathKind*>& kinds,
                              Fig3Results* results) {
  PathRequest request;
  request.ctx = &ctx;
  request.a = &a;
  request.b = &b;
  request.pair = pair;
  request.c = c;
  request.bn_c = bn_c;
  request.seed = seed;
  request.evaluate = ctx.evaluate_paths;
  for (const PathKind* kind : kinds) {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::optional<BuiltPath> built, kind->build(request));
    if (!built.has_value()) continue;
    RunPath(ctx, pair, c, bn_c, seed, kind->name, built->path,
            built->midpoint_key, start, results);
  }
  return absl::OkStatus();
}

absl::Status RunLinearPairPaths(const ExperimentContext& ctx,
                                const TrainedModel& a, const TrainedModel& b,
                                const std::string& pair, double c, double bn_c,
                                int64_t seed, Fig3Results* results) {
  return RunPairPathKinds(
      ctx, a, b, pair, c, bn_c, seed,
      {FindPathKind(kLinear), FindPathKind(kLinearPermuted)}, results);
}

absl::Status RunPairPaths(const ExperimentContext& ctx, const TrainedModel& a,
                          const TrainedModel& b, const std::string& pair,
                          double c, double bn_c, int64_t seed,
                          Fig3Results* results) {
  std::vector<const PathKind*> kinds;
  for (const PathKind& kind : PathKinds()) kinds.push_back(&kind);
  return RunPairPathKinds(ctx, a, b, pair, c, bn_c, seed, kinds, results);
}

absl::Status EvaluateLinearAndPermutedInto(
    const ExperimentContext& ctx, const ParamMap& a, const ParamMap& b,
    const std::vector<torch::Tensor>& batches, double bn_c, PathResult* linear,
    PathResult* permuted) {
  if (linear->points_size() != 0 || permuted->points_size() != 0 ||
      linear->barriers_size() != 0 || permuted->barriers_size() != 0) {
    return absl::InvalidArgumentError(
        "EvaluateLinearAndPermutedInto: the results must start without "
        "points or barriers");
  }
  auto match = [&] { return MatchActivations(*ctx.model, a, b, batches); };
  absl::StatusOr<Permutation> perm = absl::UnknownError("not matched");
  if (ctx.device.is_cpu() && at::get_num_threads() == 1) {
    std::exception_ptr match_error, path_error;
    std::thread matcher([&] {
      at::set_num_threads(1);  // A new thread starts at OpenMP's default.
      try {
        // A core of the budget the path's workers and the children share
        // (lib/util/cpu_slots.h): without it the matching ran beside two
        // training children, three threads on two cores.
        CpuSlots::Scoped slot(CpuSlots::Global());
        perm = match();
      } catch (...) {
        match_error = std::current_exception();
      }
    });
    try {
      EvaluatePathInto(ctx, LinearPath(a, b), bn_c, linear);
    } catch (...) {
      path_error = std::current_exception();
    }
    matcher.join();
    if (path_error) std::rethrow_exception(path_error);
    if (match_error) std::rethrow_exception(match_error);
  } else {
    EvaluatePathInto(ctx, LinearPath(a, b), bn_c, linear);
    perm = match();
  }
  if (!perm.ok()) return perm.status();
  if (*perm == IdentityPermutation(*ctx.model)) {
    // ApplyPermutation by the identity copies b bit for bit (index_select in
    // the same order, the rest cloned), so every point of the permuted path
    // is the network of the linear path's point at the same t, and its
    // evaluation is the one just done: on a CPU a second run repeats it bit
    // for bit (deterministic kernels, the same threads per point); on a GPU
    // it could differ by kernel nondeterminism only. Copying saves
    // evaluating the path again; it is the common case for Fig. 4's
    // small-LR fine-tunings and Table 2's fine-tuned pairs, which keep
    // theta_C's channel order.
    *permuted->mutable_points() = linear->points();
    *permuted->mutable_barriers() = linear->barriers();
    permuted->set_note(kIdentityPermutationNote);
    return absl::OkStatus();
  }
  EvaluatePathInto(ctx, LinearPath(a, ApplyPermutation(*ctx.model, b, *perm)),
                   bn_c, permuted);
  return absl::OkStatus();
}

ModelResult EvaluateModel(const ExperimentContext& ctx,
                          const TrainedModel& trained, const std::string& name,
                          double c, int64_t seed) {
  ModelResult r;
  r.set_name(name);
  r.set_cue_proportion(c);
  r.set_seed(seed);
  r.set_cache_key(trained.hash);
  r.set_from_cache(trained.from_cache);
  r.set_train_seconds(trained.train_seconds);
  for (const SetMetrics& m :
       ctx.sets->EvaluateAll(*ctx.model, trained.params)) {
    *r.add_metrics() = m;
  }
  return r;
}

Verdict MakeVerdict(const std::string& claim, bool asserted, bool passed,
                    const std::string& measured, const std::string& threshold) {
  Verdict v;
  v.set_claim(claim);
  v.set_asserted(asserted);
  v.set_passed(passed);
  v.set_measured(measured);
  v.set_threshold(threshold);
  return v;
}

void EvaluatePathInto(const ExperimentContext& ctx, const Path& path,
                      double bn_cue_proportion, PathResult* result) {
  const std::vector<double> ts = PathGrid(ctx.spec->paths().num_points());
  const std::vector<PointMetrics> points =
      EvaluatePath(*ctx.model, path, ts, ctx.sets->sets(),
                   ctx.sets->BnResetData(bn_cue_proportion), ctx.spec->eval(),
                   ctx.sets->EndpointMemoFor(bn_cue_proportion));
  for (const PointMetrics& p : points) {
    PathPoint* point = result->add_points();
    point->set_t(p.t);
    for (const auto& [name, metrics] : p.sets) {
      SetMetrics* m = point->add_metrics();
      m->set_set(name);
      m->set_accuracy(metrics.first);
      m->set_loss(metrics.second);
    }
  }
  for (size_t s = 0; s < ctx.sets->sets().size(); ++s) {
    std::vector<double> accuracies, losses;
    for (const PointMetrics& p : points) {
      accuracies.push_back(p.sets[s].second.first);
      losses.push_back(p.sets[s].second.second);
    }
    const BarrierMetrics b = ComputeBarrier(ts, accuracies, losses);
    PathBarrier* barrier = result->add_barriers();
    barrier->set_set(ctx.sets->sets()[s].first);
    barrier->set_loss_barrier(b.loss_barrier);
    barrier->set_accuracy_dip(b.accuracy_dip);
  }
}

void ReportPathProgress(const ExperimentContext& ctx, const char* task,
                        const std::string& what) {
  if (ctx.meter != nullptr) {
    ctx.meter->Done(what);
  } else if (ctx.progress) {
    std::cerr << task << ": " << what << "\n";
  }
}

int Fig3PathCount(const Spec& spec) {
  return static_cast<int>(PathKinds().size()) *
         (spec.cue_proportions_size() + (spec.paths().control_pair() ? 1 : 0));
}

absl::StatusOr<Fig3Results> RunFig3(const ExperimentContext& context) {
  const Spec& spec = *context.spec;
  if (spec.seeds_size() == 0 || spec.cue_proportions_size() == 0) {
    return absl::InvalidArgumentError(
        "fig3 needs at least one seed and one cue proportion in the spec");
  }
  // Progress: n of N evaluated paths (a work unit evaluates none).
  ProgressMeter meter("fig3", Fig3PathCount(spec), context.progress);
  // N is exact only when paths are evaluated: every kind then builds a path
  // for every pair (a kind returns none only when evaluation is off).
  ExperimentContext ctx = context;
  if (ctx.evaluate_paths) ctx.meter = &meter;
  const int64_t seed = spec.seeds(0);
  const int64_t control_seed = spec.seeds_size() > 1 ? spec.seeds(1) : seed + 1;
  Fig3Results results;
  // A work unit (--jobs) without the control pair trains its own theta_C
  // first: the units all start together, theta_NC is every unit's, and the
  // unit with the control pair (the first) trains it meanwhile; otherwise
  // every other unit waits for theta_NC's lock with its core idle (~30 s
  // of the quick paper's 2 x 500). The models, and so the numbers, do not
  // depend on the order: each is trained from its own seed and cached.
  if (!ctx.evaluate_paths && !spec.paths().control_pair()) {
    for (double c : spec.cue_proportions()) {
      RETURN_IF_ERROR(TrainEndpoint(spec, *ctx.model, *ctx.dataset, c, seed,
                                    ctx.cache, ctx.device, ctx.progress)
                          .status());
    }
  }
  ASSIGN_OR_RETURN(TrainedModel theta_nc,
                   TrainEndpoint(spec, *ctx.model, *ctx.dataset, 0.0, seed,
                                 ctx.cache, ctx.device, ctx.progress));
  *results.add_endpoints() =
      EvaluateModel(ctx, theta_nc, "theta_NC", 0.0, seed);
  for (double c : spec.cue_proportions()) {
    ASSIGN_OR_RETURN(TrainedModel theta_c,
                     TrainEndpoint(spec, *ctx.model, *ctx.dataset, c, seed,
                                   ctx.cache, ctx.device, ctx.progress));
    *results.add_endpoints() = EvaluateModel(ctx, theta_c, "theta_C", c, seed);
    RETURN_IF_ERROR(
        RunPairPaths(ctx, theta_c, theta_nc, kMainPair, c, c, seed, &results));
  }
  if (spec.paths().control_pair()) {
    ASSIGN_OR_RETURN(
        TrainedModel other,
        TrainEndpoint(spec, *ctx.model, *ctx.dataset, 0.0, control_seed,
                      ctx.cache, ctx.device, ctx.progress));
    *results.add_endpoints() =
        EvaluateModel(ctx, other, "theta_NC'", 0.0, control_seed);
    RETURN_IF_ERROR(RunPairPaths(ctx, theta_nc, other, kControlPair, 0.0, 0.0,
                                 seed, &results));
  }
  for (const Verdict& v : Fig3Verdicts(results, spec.claims())) {
    *results.add_verdicts() = v;
  }
  return results;
}

const PathBarrier* FindBarrier(const PathResult& path, const std::string& set) {
  for (const PathBarrier& b : path.barriers()) {
    if (b.set() == set) return &b;
  }
  // NaN compares false both ways: a claim on a missing set fails, never
  // passes vacuously, and the report shows "nan".
  static const PathBarrier* const kMissing = [] {
    auto* b = new PathBarrier();
    b->set_set("missing");
    b->set_loss_barrier(std::nan(""));
    b->set_accuracy_dip(std::nan(""));
    return b;
  }();
  return kMissing;
}

const PathBarrier* FindBarrier(const PathResult* path, const std::string& set) {
  static const PathResult* const kNoPath = new PathResult();
  return FindBarrier(path == nullptr ? *kNoPath : *path, set);
}

const PathResult* FindPath(const Fig3Results& results, const std::string& pair,
                           const std::string& path, double c) {
  for (const PathResult& p : results.paths()) {
    if (p.pair() == pair && p.path() == path &&
        std::abs(p.cue_proportion() - c) < 1e-9) {
      return &p;
    }
  }
  return nullptr;
}

std::string ConnectedThreshold(const ClaimsSpec& claims) {
  return absl::StrFormat("B <= %g and dip <= %g",
                         claims.connected_max_barrier(),
                         claims.connected_max_dip());
}

std::string BarrierThreshold(const ClaimsSpec& claims) {
  return absl::StrFormat("B(trC) >= %g and dip >= %g", claims.barrier_min(),
                         claims.barrier_min_dip());
}

Counterfactuals AccuraciesOf(
    const google::protobuf::RepeatedPtrField<SetMetrics>& metrics) {
  const std::vector<SetMetrics> m(metrics.begin(), metrics.end());
  return {AccuracyOf(m, "NC"), AccuracyOf(m, "C"), AccuracyOf(m, "RC"),
          AccuracyOf(m, "RI")};
}

Counterfactuals LossesOf(
    const google::protobuf::RepeatedPtrField<SetMetrics>& metrics) {
  const std::vector<SetMetrics> m(metrics.begin(), metrics.end());
  return {LossOf(m, "NC"), LossOf(m, "C"), LossOf(m, "RC"), LossOf(m, "RI")};
}

bool ReliesOnCue(const Counterfactuals& a, const ClaimsSpec& k) {
  return a.c >= k.cue_reliant_min_c() &&
         a.rc <= a.nc - k.cue_reliant_min_drop() &&
         a.ri >= k.cue_reliant_min_ri();
}

bool DoesNotRelyOnCue(const Counterfactuals& a, const ClaimsSpec& k) {
  return std::abs(a.nc - a.rc) <= k.no_cue_max_gap() &&
         a.ri <= k.no_cue_max_ri();
}

bool InvariantToCue(const Counterfactuals& a, const ClaimsSpec& k) {
  return a.rc >= a.nc - k.large_lr_max_drop();
}

std::string ReliesOnCueThreshold(const ClaimsSpec& k) {
  return absl::StrFormat("C >= %g, RC <= NC - %g, RI >= %g",
                         k.cue_reliant_min_c(), k.cue_reliant_min_drop(),
                         k.cue_reliant_min_ri());
}

std::string DoesNotRelyOnCueThreshold(const ClaimsSpec& k) {
  return absl::StrFormat("|NC - RC| <= %g, RI <= %g", k.no_cue_max_gap(),
                         k.no_cue_max_ri());
}

std::string InvariantToCueThreshold(const ClaimsSpec& k) {
  return absl::StrFormat("RC >= NC - %g", k.large_lr_max_drop());
}

bool IsConnected(const PathBarrier& b, const ClaimsSpec& claims) {
  return b.loss_barrier() <= claims.connected_max_barrier() &&
         b.accuracy_dip() <= claims.connected_max_dip();
}

bool HasBarrier(const PathBarrier& b, const ClaimsSpec& claims) {
  return b.loss_barrier() >= claims.barrier_min() &&
         b.accuracy_dip() >= claims.barrier_min_dip();
}

std::vector<Verdict> Fig3Verdicts(const Fig3Results& results,
                                  const ClaimsSpec& k) {
  std::vector<Verdict> out;
  auto add = [&out](const std::string& claim, bool asserted, bool passed,
                    const std::string& measured, const std::string& threshold) {
    out.push_back(MakeVerdict(claim, asserted, passed, measured, threshold));
  };
  for (const ModelResult& m : results.endpoints()) {
    const Counterfactuals a = AccuraciesOf(m.metrics());
    const std::string measured = absl::StrFormat(
        "NC %.1f, C %.1f, RC %.1f, RI %.1f", a.nc, a.c, a.rc, a.ri);
    if (m.name() == "theta_C") {
      add(absl::StrFormat("theta_C (c=%g) relies on the cue",
                          m.cue_proportion()),
          true, ReliesOnCue(a, k), measured, ReliesOnCueThreshold(k));
    } else if (m.name() == "theta_NC") {
      add("theta_NC does not rely on the cue", true, DoesNotRelyOnCue(a, k),
          measured, DoesNotRelyOnCueThreshold(k));
    }
  }
  for (const PathResult& p : results.paths()) {
    if (p.pair() != kMainPair) continue;
    const PathBarrier* tr_c = FindBarrier(p, "trC");
    const PathBarrier* tr_nc = FindBarrier(p, "trNC");
    const std::string c = absl::StrFormat("c=%g", p.cue_proportion());
    if (p.path() == kLinear) {
      add(absl::StrFormat("linear theta_C-theta_NC path has a barrier (%s)", c),
          true, HasBarrier(*tr_c, k),
          absl::StrFormat("B(trC) %.3f, dip %.1f", tr_c->loss_barrier(),
                          tr_c->accuracy_dip()),
          BarrierThreshold(k));
    } else if (p.path() == kQuadraticCue) {
      add(absl::StrFormat(
              "quadratic path (w/ cue) connects on its own data (%s)", c),
          true, IsConnected(*tr_c, k),
          absl::StrFormat("B(trC) %.3f, dip %.1f", tr_c->loss_barrier(),
                          tr_c->accuracy_dip()),
          ConnectedThreshold(k));
      add(absl::StrFormat(
              "quadratic path (w/ cue) is specific to its data (%s)", c),
          true,
          tr_nc->loss_barrier() - tr_c->loss_barrier() >=
              k.quadratic_specificity_min(),
          absl::StrFormat("B(trNC) %.3f vs B(trC) %.3f", tr_nc->loss_barrier(),
                          tr_c->loss_barrier()),
          absl::StrFormat("B(trNC) - B(trC) >= %g",
                          k.quadratic_specificity_min()));
    } else if (p.path() == kQuadraticNoCue) {
      add(absl::StrFormat(
              "quadratic path (w/o cue) connects on its own data (%s)", c),
          true, IsConnected(*tr_nc, k),
          absl::StrFormat("B(trNC) %.3f, dip %.1f", tr_nc->loss_barrier(),
                          tr_nc->accuracy_dip()),
          ConnectedThreshold(k));
    }
  }
  // Reported, not asserted: did the barriers separate dissimilar from
  // similar modes? (They did not in the quick-tier prototype.)
  for (const char* path : {kLinear, kLinearPermuted}) {
    const PathResult* control = FindPath(results, kControlPair, path, 0.0);
    if (control == nullptr) continue;
    double worst_main = 1e9;
    for (const PathResult& p : results.paths()) {
      if (p.pair() == kMainPair && p.path() == path) {
        worst_main =
            std::min(worst_main, FindBarrier(p, "trC")->loss_barrier());
      }
    }
    const double b_control = FindBarrier(*control, "trC")->loss_barrier();
    add(absl::StrFormat(
            "%s barrier is specific to mechanistically dissimilar modes", path),
        false, worst_main > b_control,
        absl::StrFormat("smallest theta_C-theta_NC B(trC) %.3f vs control "
                        "theta_NC-theta_NC' %.3f",
                        worst_main, b_control),
        "every dissimilar pair's barrier above the similar pair's");
  }
  return out;
}

}  // namespace mmc
