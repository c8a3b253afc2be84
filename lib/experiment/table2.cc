// Implementation of lib/experiment/table2.h.
#include "lib/experiment/table2.h"

#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/experiment/endpoints.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/table3.h"
#include "lib/finetune/finetune.h"
#include "lib/paths/path.h"
#include "lib/paths/permutation.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

constexpr char kLinearColumn[] = "Linearly Mode Connected";
constexpr char kNonlinearColumn[] = "Nonlinearly Mode Connected";
constexpr char kLinearMechColumn[] = "Linearly Mech. Connected";
constexpr char kNonlinearMechColumn[] = "Nonlinearly Mech. Connected";

double Acc(const google::protobuf::RepeatedPtrField<SetMetrics>& metrics,
           const std::string& set) {
  return AccuracyOf({metrics.begin(), metrics.end()}, set);
}

std::string SetOf(const google::protobuf::RepeatedPtrField<SetMetrics>& m,
                  int classes) {
  return InvarianceSet(Acc(m, "NC"), Acc(m, "C"), Acc(m, "RC"), Acc(m, "RI"),
                       classes);
}

std::string Connected(const PathResult* path, const std::string& set,
                      double* barrier) {
  if (path == nullptr) return "n/a";
  const PathBarrier* b = FindBarrier(*path, set);
  if (barrier != nullptr) *barrier = b->loss_barrier();
  return b->loss_barrier() <= kBarrierThreshold &&
                 b->accuracy_dip() <= kDipThreshold
             ? "yes"
             : "no";
}

// Every point of the path has the same invariance set as both endpoints.
std::string MechConnected(const PathResult* path, const std::string& set_a,
                          const std::string& set_b, int classes) {
  if (path == nullptr) return "n/a";
  if (set_a != set_b) return "no";
  for (const PathPoint& p : path->points()) {
    if (SetOf(p.metrics(), classes) != set_a) return "no";
  }
  return "yes";
}

PairAssessment Assess(const std::string& pair, const std::string& source,
                      const ModelResult& a, const ModelResult& b,
                      const std::string& data, const PathResult* linear,
                      const PathResult* permuted, const PathResult* quadratic,
                      int classes) {
  PairAssessment r;
  r.set_pair(pair);
  r.set_source(source);
  r.set_invariances_a(SetOf(a.metrics(), classes));
  r.set_invariances_b(SetOf(b.metrics(), classes));
  r.set_similar(r.invariances_a() == r.invariances_b());
  r.set_data(data);
  double barrier = NAN;
  r.set_linear(Connected(linear, data, &barrier));
  if (linear != nullptr) r.set_linear_barrier(barrier);
  r.set_linear_permuted(Connected(permuted, data, &barrier));
  if (permuted != nullptr) r.set_permuted_barrier(barrier);
  r.set_quadratic(Connected(quadratic, data, &barrier));
  if (quadratic != nullptr) r.set_quadratic_barrier(barrier);
  r.set_linear_mech(MechConnected(permuted != nullptr ? permuted : linear,
                                  r.invariances_a(), r.invariances_b(),
                                  classes));
  r.set_quadratic_mech(
      MechConnected(quadratic, r.invariances_a(), r.invariances_b(), classes));
  return r;
}

const ModelResult* FindModel(
    const google::protobuf::RepeatedPtrField<ModelResult>& models,
    const std::string& name, double c, int64_t seed, double lr = -1) {
  for (const ModelResult& m : models) {
    if (m.name() == name && std::abs(m.cue_proportion() - c) < 1e-9 &&
        m.seed() == seed && (lr < 0 || std::abs(m.lr() - lr) < 1e-12)) {
      return &m;
    }
  }
  return nullptr;
}

}  // namespace

std::string InvarianceSet(double nc, double c, double rc, double ri,
                          int classes) {
  (void)c;
  std::vector<std::string> set;
  if (std::abs(rc - nc) <= kCueTolerance) set.push_back("cue");
  if (ri > 100.0 / classes + kImageTolerance) set.push_back("image");
  return absl::StrCat("{", absl::StrJoin(set, ", "), "}");
}

absl::StatusOr<Table2Results> RunTable2(const ExperimentContext& ctx,
                                        const Fig3Results& fig3,
                                        const Fig4Results& fig4,
                                        const Table3Results& table3) {
  const int classes = ctx.dataset != nullptr ? ctx.dataset->num_classes() : 10;
  Table2Results results;
  // Fig. 3: theta_C vs theta_NC per cue proportion, and the control pair.
  const ModelResult* theta_nc = nullptr;
  const ModelResult* theta_nc2 = nullptr;
  for (const ModelResult& m : fig3.endpoints()) {
    if (m.name() == "theta_NC") theta_nc = &m;
    if (m.name() == "theta_NC'") theta_nc2 = &m;
  }
  for (const ModelResult& m : fig3.endpoints()) {
    if (m.name() != "theta_C" || theta_nc == nullptr) continue;
    const double c = m.cue_proportion();
    *results.add_pairs() =
        Assess(absl::StrFormat("theta_C-theta_NC c=%g", c), "fig3", m,
               *theta_nc, "trC", FindPath(fig3, kMainPair, kLinear, c),
               FindPath(fig3, kMainPair, kLinearPermuted, c),
               FindPath(fig3, kMainPair, kQuadraticCue, c), classes);
  }
  if (theta_nc != nullptr && theta_nc2 != nullptr) {
    *results.add_pairs() =
        Assess("theta_NC-theta_NC' (control)", "fig3 control", *theta_nc,
               *theta_nc2, "trNC", FindPath(fig3, kControlPair, kLinear, 0.0),
               FindPath(fig3, kControlPair, kLinearPermuted, 0.0),
               FindPath(fig3, kControlPair, kQuadraticNoCue, 0.0), classes);
  }
  // Fig. 4: theta_C vs theta_FT per (c, lr); the permuted linear path only.
  for (const PathResult& p : fig4.paths()) {
    const ModelResult* a =
        FindModel(fig4.endpoints(), "theta_C", p.cue_proportion(), p.seed());
    const ModelResult* b = FindModel(fig4.finetuned(), "theta_FT",
                                     p.cue_proportion(), p.seed(), p.lr());
    if (a == nullptr || b == nullptr) continue;
    *results.add_pairs() =
        Assess(absl::StrFormat("theta_C-theta_FT c=%g lr=%g",
                               p.cue_proportion(), p.lr()),
               "fig4", *a, *b, "trC", nullptr, &p, nullptr, classes);
  }
  // Table 3: theta_C vs each method's model (first seed), linear and
  // permuted-linear paths evaluated here.
  if (ctx.spec != nullptr && ctx.spec->seeds_size() > 0 &&
      ctx.cache != nullptr) {
    const Spec& spec = *ctx.spec;
    const int64_t seed = spec.seeds(0);
    const FinetuneContext ft = ToFinetuneContext(ctx);
    for (double c : Table3CueProportions(spec)) {
      const ModelResult* a = FindModel(table3.theta_c(), "theta_C", c, seed);
      if (a == nullptr) continue;
      ASSIGN_OR_RETURN(TrainedModel theta_c,
                       TrainEndpoint(spec, *ctx.model, *ctx.dataset, c, seed,
                                     ctx.cache, ctx.device, ctx.progress));
      torch::Tensor bn = BnResetData(ctx, c);
      std::vector<torch::Tensor> batches;
      const int64_t step = spec.paths().permutation_batch_size();
      for (int64_t s = 0; s < bn.size(0); s += step) {
        batches.push_back(bn.slice(0, s, std::min(bn.size(0), s + step)));
      }
      for (Method method : kAllMethods) {
        const ModelResult* b =
            FindModel(table3.runs(), MethodName(method), c, seed);
        if (b == nullptr) continue;
        ASSIGN_OR_RETURN(MethodResult trained,
                         RunMethod(ft, method, theta_c, c, seed));
        PathResult linear, permuted;
        EvaluatePathInto(
            ctx, Path{theta_c.params, trained.model.params, std::nullopt}, c,
            &linear);
        ASSIGN_OR_RETURN(Permutation perm,
                         MatchActivations(*ctx.model, theta_c.params,
                                          trained.model.params, batches));
        EvaluatePathInto(
            ctx,
            Path{theta_c.params,
                 ApplyPermutation(*ctx.model, trained.model.params, perm),
                 std::nullopt},
            c, &permuted);
        *results.add_pairs() = Assess(
            absl::StrFormat("theta_C-%s c=%g", MethodName(method), c), "table3",
            *a, *b, "trC", &linear, &permuted, nullptr, classes);
      }
    }
  }

  // The marks, with the pairs behind them.
  const std::vector<
      std::pair<const char*, std::function<std::string(const PairAssessment&)>>>
      columns = {
          {kLinearColumn,
           [](const PairAssessment& p) {
             return p.linear_permuted() != "n/a" ? p.linear_permuted()
                                                 : p.linear();
           }},
          {kNonlinearColumn,
           [](const PairAssessment& p) { return p.quadratic(); }},
          {kLinearMechColumn,
           [](const PairAssessment& p) { return p.linear_mech(); }},
          {kNonlinearMechColumn,
           [](const PairAssessment& p) { return p.quadratic_mech(); }},
      };
  const std::map<std::pair<bool, std::string>, std::string> paper = {
      {{true, kLinearColumn}, "✓"},      {{true, kNonlinearColumn}, "✓"},
      {{true, kLinearMechColumn}, "✓"},  {{true, kNonlinearMechColumn}, "✓"},
      {{false, kLinearColumn}, "✗"},     {{false, kNonlinearColumn}, "✓"},
      {{false, kLinearMechColumn}, "✗"}, {{false, kNonlinearMechColumn}, "✗"},
  };
  for (bool similar : {true, false}) {
    for (const auto& [name, value] : columns) {
      Table2Mark* mark = results.add_marks();
      mark->set_similar(similar);
      mark->set_column(name);
      mark->set_paper(paper.at({similar, name}));
      for (const PairAssessment& p : results.pairs()) {
        if (p.similar() != similar) continue;
        const std::string v = value(p);
        if (v == "n/a") continue;
        mark->set_measured(mark->measured() + 1);
        if (v == "yes") mark->set_yes(mark->yes() + 1);
        mark->add_pairs(absl::StrFormat("%s: %s", p.pair(), v));
      }
    }
  }
  // Conjecture 1: linear connectivity (up to permutation) iff similar.
  for (const PairAssessment& p : results.pairs()) {
    const std::string linear =
        p.linear_permuted() != "n/a" ? p.linear_permuted() : p.linear();
    if (!p.similar() && linear == "yes") {
      results.add_contradictions(absl::StrFormat(
          "%s: mechanistically dissimilar (%s vs %s) but linearly connected "
          "(B %.3f on %s)",
          p.pair(), p.invariances_a(), p.invariances_b(),
          p.has_permuted_barrier() ? p.permuted_barrier() : p.linear_barrier(),
          p.data()));
    }
    if (p.similar() && linear == "no") {
      results.add_contradictions(absl::StrFormat(
          "%s: mechanistically similar (%s) but not linearly connected (B "
          "%.3f on %s)",
          p.pair(), p.invariances_a(),
          p.has_permuted_barrier() ? p.permuted_barrier() : p.linear_barrier(),
          p.data()));
    }
  }
  return results;
}

}  // namespace mmc
