// Implementation of lib/experiment/table2.h.
#include "lib/experiment/table2.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/table3.h"
#include "lib/finetune/finetune.h"
#include "lib/runs/endpoints.h"
#include "lib/util/progress.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

constexpr char kLinearColumn[] = "Linearly Mode Connected";
constexpr char kNonlinearColumn[] = "Nonlinearly Mode Connected";
constexpr char kLinearMechColumn[] = "Linearly Mech. Connected";
constexpr char kNonlinearMechColumn[] = "Nonlinearly Mech. Connected";

std::string Connected(const PathResult* path, const std::string& set,
                      const ClaimsSpec& claims, double* barrier) {
  if (path == nullptr) return "n/a";
  const PathBarrier* b = FindBarrier(*path, set);
  if (barrier != nullptr) *barrier = b->loss_barrier();
  return IsConnected(*b, claims) ? "yes" : "no";
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

PairAssessment AssessPair(const std::string& pair, const std::string& source,
                          const ModelResult& a, const ModelResult& b,
                          const std::string& data, const PathResult* linear,
                          const PathResult* permuted,
                          const PathResult* quadratic,
                          const ClaimsSpec& claims) {
  PairAssessment r;
  r.set_pair(pair);
  r.set_source(source);
  const double loss_tol = claims.invariance_max_loss_gap();
  const double acc_tol = claims.invariance_max_accuracy_gap();
  r.set_invariances_a(InvarianceSet(LossesOf(a.metrics()), loss_tol));
  r.set_invariances_b(InvarianceSet(LossesOf(b.metrics()), loss_tol));
  r.set_invariances_a_by_accuracy(
      InvarianceSet(AccuraciesOf(a.metrics()), acc_tol));
  r.set_invariances_b_by_accuracy(
      InvarianceSet(AccuraciesOf(b.metrics()), acc_tol));
  r.set_similar(r.invariances_a() == r.invariances_b());
  r.set_data(data);
  double barrier = NAN;
  r.set_linear(Connected(linear, data, claims, &barrier));
  if (linear != nullptr) r.set_linear_barrier(barrier);
  r.set_linear_permuted(Connected(permuted, data, claims, &barrier));
  if (permuted != nullptr) r.set_permuted_barrier(barrier);
  r.set_quadratic(Connected(quadratic, data, claims, &barrier));
  if (quadratic != nullptr) r.set_quadratic_barrier(barrier);
  r.set_linear_mech(MechanisticallyConnected(
      permuted != nullptr ? permuted : linear, claims));
  r.set_quadratic_mech(MechanisticallyConnected(quadratic, claims));
  return r;
}

std::string InvarianceSet(const Counterfactuals& v, double tolerance) {
  std::vector<std::string> set;
  if (std::abs(v.rc - v.nc) <= tolerance) set.push_back("cue");
  if (std::abs(v.ri - v.c) <= tolerance) set.push_back("image");
  return absl::StrCat("{", absl::StrJoin(set, ", "), "}");
}

std::string MechanisticallyConnected(const PathResult* path,
                                     const ClaimsSpec& claims) {
  if (path == nullptr) return "n/a";
  if (path->points_size() < 2) return "no";
  const double tol = claims.invariance_max_loss_gap();
  const std::string start =
      InvarianceSet(LossesOf(path->points(0).metrics()), tol);
  for (const PathPoint& p : path->points()) {
    if (InvarianceSet(LossesOf(p.metrics()), tol) != start) return "no";
  }
  return "yes";
}

std::string MajorityMark(const Table2Mark& mark) {
  if (mark.measured() == 0) return "";
  return 2 * mark.yes() > mark.measured() ? "✓" : "✗";
}

absl::StatusOr<Table2Results> RunTable2(const ExperimentContext& ctx,
                                        const ClaimsSpec& claims,
                                        const Fig3Results& fig3,
                                        const Fig4Results& fig4,
                                        const Table3Results& table3) {
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
        AssessPair(absl::StrFormat("theta_C-theta_NC c=%g", c), "fig3", m,
                   *theta_nc, "trC", FindPath(fig3, kMainPair, kLinear, c),
                   FindPath(fig3, kMainPair, kLinearPermuted, c),
                   FindPath(fig3, kMainPair, kQuadraticCue, c), claims);
  }
  if (theta_nc != nullptr && theta_nc2 != nullptr) {
    *results.add_pairs() = AssessPair(
        "theta_NC-theta_NC' (control)", "fig3 control", *theta_nc, *theta_nc2,
        "trNC", FindPath(fig3, kControlPair, kLinear, 0.0),
        FindPath(fig3, kControlPair, kLinearPermuted, 0.0),
        FindPath(fig3, kControlPair, kQuadraticNoCue, 0.0), claims);
  }
  // Fig. 4: theta_C vs theta_FT per (c, lr); plain and permuted linear.
  for (const ModelResult& b : fig4.finetuned()) {
    const ModelResult* a =
        FindModel(fig4.endpoints(), "theta_C", b.cue_proportion(), b.seed());
    if (a == nullptr) continue;
    *results.add_pairs() = AssessPair(
        absl::StrFormat("theta_C-theta_FT c=%g lr=%g", b.cue_proportion(),
                        b.lr()),
        "fig4", *a, b, "trC",
        FindFig4Path(fig4, b.cue_proportion(), b.lr(), kLinear),
        FindFig4Path(fig4, b.cue_proportion(), b.lr(), kLinearPermuted),
        nullptr, claims);
  }
  // Table 3: theta_C vs each method's model (first seed), linear and
  // permuted-linear paths evaluated here.
  if (ctx.spec != nullptr && ctx.spec->seeds_size() > 0 &&
      ctx.cache != nullptr) {
    const Spec& spec = *ctx.spec;
    const int64_t seed = spec.seeds(0);
    const RunContext& ft = ctx;
    // Progress: these paths are Table 2's own work (two per method and cue
    // proportion; minutes per pair at the paper's scale).
    int total = 0;
    for (double c : Table3CueProportions(spec)) {
      if (FindModel(table3.theta_c(), "theta_C", c, seed) == nullptr) continue;
      for (const MethodInfo& info : Methods()) {
        const Method method = info.method;
        if (FindModel(table3.runs(), MethodName(method), c, seed)) ++total;
      }
    }
    ProgressMeter meter("table2", total, ctx.progress);
    for (double c : Table3CueProportions(spec)) {
      const ModelResult* a = FindModel(table3.theta_c(), "theta_C", c, seed);
      if (a == nullptr) continue;
      ASSIGN_OR_RETURN(TrainedModel theta_c,
                       TrainEndpoint(spec, *ctx.model, *ctx.dataset, c, seed,
                                     ctx.cache, ctx.device, ctx.progress));
      const std::vector<torch::Tensor> batches = PermutationBatches(ctx, c);
      for (const MethodInfo& info : Methods()) {
        const Method method = info.method;
        const ModelResult* b =
            FindModel(table3.runs(), MethodName(method), c, seed);
        if (b == nullptr) continue;
        ASSIGN_OR_RETURN(MethodResult trained,
                         RunMethod(ft, method, theta_c, c, seed));
        PathResult linear, permuted;
        RETURN_IF_ERROR(EvaluateLinearAndPermutedInto(
            ctx, theta_c.params, trained.model.params, batches, c, &linear,
            &permuted));
        const PairAssessment& pair = *results.add_pairs() = AssessPair(
            absl::StrFormat("theta_C-%s c=%g", MethodName(method), c), "table3",
            *a, *b, "trC", &linear, &permuted, nullptr, claims);
        meter.Done(absl::StrFormat(
            "%s: linear B %.3f, permuted B %.3f nats on trC", pair.pair(),
            pair.linear_barrier(), pair.permuted_barrier()));
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
      mark->set_by_construction(!similar &&
                                (std::string(name) == kLinearMechColumn ||
                                 std::string(name) == kNonlinearMechColumn));
      const std::string paper_value = mark->paper() == "✓" ? "yes" : "no";
      for (const PairAssessment& p : results.pairs()) {
        if (p.similar() != similar) continue;
        const std::string v = value(p);
        if (v == "n/a") continue;
        mark->set_measured(mark->measured() + 1);
        if (v == "yes") mark->set_yes(mark->yes() + 1);
        mark->add_pairs(absl::StrFormat("%s: %s", p.pair(), v));
        if (v != paper_value) mark->add_disagreeing(p.pair());
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
