// Implementation of lib/experiment/table3.h.
#include "lib/experiment/table3.h"

#include <cmath>
#include <iostream>
#include <map>

#include "absl/strings/str_format.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/paper_numbers.h"
#include "lib/finetune/finetune.h"
#include "lib/runs/endpoints.h"
#include "lib/util/progress.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

const char* const kColumns[4] = {"NC", "C", "RC", "RI"};

}  // namespace

std::vector<double> Table3CueProportions(const Spec& spec) {
  const auto& chosen = spec.finetune().table3_cue_proportions();
  if (chosen.empty()) {
    return {spec.cue_proportions().begin(), spec.cue_proportions().end()};
  }
  return {chosen.begin(), chosen.end()};
}

absl::StatusOr<Table3Results> RunTable3(const ExperimentContext& ctx) {
  const Spec& spec = *ctx.spec;
  if (spec.seeds_size() == 0 || spec.cue_proportions_size() == 0) {
    return absl::InvalidArgumentError(
        "table3 needs seeds and cue_proportions in the spec");
  }
  const RunContext& ft = ctx;
  Table3Results results;
  // (method, c) -> per-seed NC, C, RC, RI.
  std::map<std::pair<std::string, double>, std::vector<std::array<double, 4>>>
      cells;
  std::map<std::pair<std::string, double>, std::string> details;
  const std::vector<double> proportions = Table3CueProportions(spec);
  // Progress: n of N methods run and evaluated.
  ProgressMeter meter("table3",
                      static_cast<int>(proportions.size() * Methods().size()) *
                          spec.seeds_size(),
                      ctx.progress);
  for (double c : proportions) {
    for (int64_t seed : spec.seeds()) {
      ASSIGN_OR_RETURN(TrainedModel theta_c,
                       TrainEndpoint(spec, *ctx.model, *ctx.dataset, c, seed,
                                     ctx.cache, ctx.device, ctx.progress));
      *results.add_theta_c() = EvaluateModel(ctx, theta_c, "theta_C", c, seed);
      for (const MethodInfo& info : Methods()) {
        const Method method = info.method;
        ASSIGN_OR_RETURN(MethodResult r,
                         RunMethod(ft, method, theta_c, c, seed));
        ModelResult evaluated =
            EvaluateModel(ctx, r.model, MethodName(method), c, seed);
        evaluated.set_method(MethodName(method));
        evaluated.set_detail(r.detail);
        std::vector<SetMetrics> m(evaluated.metrics().begin(),
                                  evaluated.metrics().end());
        std::array<double, 4> row;
        for (int k = 0; k < 4; ++k) row[k] = AccuracyOf(m, kColumns[k]);
        cells[{MethodName(method), c}].push_back(row);
        details[{MethodName(method), c}] +=
            r.detail.empty() ? ""
                             : absl::StrFormat("seed %d: %s; ", seed, r.detail);
        meter.Done(absl::StrFormat(
            "c=%g seed=%d %s: NC %.1f C %.1f RC %.1f RI %.1f", c, seed,
            MethodName(method), row[0], row[1], row[2], row[3]));
        *results.add_runs() = evaluated;
      }
    }
  }
  for (double c : proportions) {
    for (const MethodInfo& info : Methods()) {
      const Method method = info.method;
      const auto& rows = cells[{MethodName(method), c}];
      Table3Entry* e = results.add_entries();
      e->set_method(MethodName(method));
      e->set_cue_proportion(c);
      e->set_seeds(static_cast<int>(rows.size()));
      e->set_detail(details[{MethodName(method), c}]);
      for (int k = 0; k < 4; ++k) {
        double mean = 0.0;
        for (const auto& r : rows) mean += r[k];
        mean /= rows.size();
        double var = 0.0;
        for (const auto& r : rows) var += (r[k] - mean) * (r[k] - mean);
        e->add_mean(mean);
        // Sample standard deviation (n - 1); 0 for a single seed.
        e->add_std(rows.size() > 1 ? std::sqrt(var / (rows.size() - 1)) : 0.0);
      }
      if (auto paper = PaperTable3(spec.dataset().kind(), spec.model(),
                                   MethodName(method), c)) {
        for (double v : *paper) e->add_paper(v);
      }
    }
  }
  for (const Verdict& v : Table3Verdicts(results, spec.claims())) {
    *results.add_verdicts() = v;
  }
  return results;
}

std::vector<int> BestPerColumn(const std::vector<std::vector<double>>& rows) {
  std::vector<int> best(4, 0);
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r][0] > rows[best[0]][0]) best[0] = static_cast<int>(r);
    for (int k : {1, 2}) {
      if (std::abs(rows[r][k] - rows[r][0]) <
          std::abs(rows[best[k]][k] - rows[best[k]][0])) {
        best[k] = static_cast<int>(r);
      }
    }
    if (rows[r][3] < rows[best[3]][3]) best[3] = static_cast<int>(r);
  }
  return best;
}

std::vector<Verdict> Table3Verdicts(const Table3Results& results,
                                    const ClaimsSpec& k) {
  std::vector<Verdict> out;
  auto add = [&out](const std::string& claim, bool asserted, bool passed,
                    const std::string& measured, const std::string& threshold) {
    out.push_back(MakeVerdict(claim, asserted, passed, measured, threshold));
  };
  std::map<double, std::map<std::string, const Table3Entry*>> by_c;
  for (const Table3Entry& e : results.entries()) {
    by_c[e.cue_proportion()][e.method()] = &e;
  }
  for (const auto& [c, methods] : by_c) {
    const std::string at = absl::StrFormat("c=%g", c);
    auto get = [&methods](const char* name) -> const Table3Entry* {
      auto it = methods.find(name);
      return it == methods.end() ? nullptr : it->second;
    };
    if (const Table3Entry* ft_s = get("FT_S")) {
      add(absl::StrFormat("FT_S keeps the cue (%s)", at), true,
          ft_s->mean(3) >= k.ft_s_min_ri(),
          absl::StrFormat("RI %.1f", ft_s->mean(3)),
          absl::StrFormat("RI >= %g", k.ft_s_min_ri()));
    }
    if (const Table3Entry* cbft = get(InfoOf(Method::kCbft).name)) {
      double lowest_other = 1e9;
      std::string lowest_name;
      for (const auto& [name, e] : methods) {
        // The baselines: CBFT's own ablations are not competing methods.
        const MethodInfo* info = FindMethod(name);
        if (info != nullptr && info->role == MethodRole::kBaseline &&
            e->mean(3) < lowest_other) {
          lowest_other = e->mean(3);
          lowest_name = name;
        }
      }
      add(absl::StrFormat("CBFT removes the cue (%s)", at), true,
          cbft->mean(2) >= cbft->mean(0) - k.cbft_max_drop() &&
              cbft->mean(3) <= k.cbft_max_ri(),
          absl::StrFormat("NC %.1f, RC %.1f, RI %.1f", cbft->mean(0),
                          cbft->mean(2), cbft->mean(3)),
          absl::StrFormat("RC >= NC - %g and RI <= %g", k.cbft_max_drop(),
                          k.cbft_max_ri()));
      add(absl::StrFormat("CBFT has the lowest RI of all methods (%s)", at),
          k.cbft_lowest_ri(), cbft->mean(3) < lowest_other,
          absl::StrFormat("CBFT RI %.1f vs %s %.1f", cbft->mean(3), lowest_name,
                          lowest_other),
          "lowest RI among FT_M, FT_S, LLR, LPFT, CBFT");
      if (const Table3Entry* ablation = get("CBFT (no barrier)")) {
        add(absl::StrFormat("the barrier term is what removes the cue (%s)",
                            at),
            false,
            ablation->mean(3) > cbft->mean(3) + 5 ||
                ablation->mean(2) < cbft->mean(2) - 5,
            absl::StrFormat(
                "CBFT RC %.1f RI %.1f vs without barrier RC %.1f RI %.1f",
                cbft->mean(2), cbft->mean(3), ablation->mean(2),
                ablation->mean(3)),
            "without the barrier, RI more than 5 higher or RC more than 5 "
            "lower");
      }
    }
  }
  return out;
}

}  // namespace mmc
