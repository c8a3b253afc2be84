// Implementation of lib/models/param_map.h.
#include "lib/models/param_map.h"

#include <torch/torch.h>

#include <limits>

namespace mmc {

bool IsBuffer(const std::string& name) {
  auto ends_with = [&name](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  return ends_with("running_mean") || ends_with("running_var");
}

ParamMap CloneParams(const ParamMap& params) {
  ParamMap out;
  for (const auto& [name, t] : params) out[name] = t.detach().clone();
  return out;
}

ParamMap Interpolate(const ParamMap& a, const ParamMap& b, double t) {
  ParamMap out;
  for (const auto& [name, ta] : a) {
    out[name] = ta * (1.0 - t) + b.at(name) * t;
  }
  return out;
}

ParamMap Bezier(const ParamMap& a, const ParamMap& m, const ParamMap& b,
                double t) {
  const double wa = (1.0 - t) * (1.0 - t);
  const double wm = 2.0 * t * (1.0 - t);
  const double wb = t * t;
  ParamMap out;
  for (const auto& [name, ta] : a) {
    out[name] = ta * wa + m.at(name) * wm + b.at(name) * wb;
  }
  return out;
}

ParamMap MapParams(const ParamMap& params,
                   const std::function<torch::Tensor(
                       const std::string&, const torch::Tensor&)>& f) {
  ParamMap out;
  for (const auto& [name, t] : params) out[name] = f(name, t);
  return out;
}

double MaxAbsDiff(const ParamMap& a, const ParamMap& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (const auto& [name, ta] : a) {
    auto it = b.find(name);
    if (it == b.end() || !ta.sizes().equals(it->second.sizes())) {
      return std::numeric_limits<double>::infinity();
    }
    if (ta.numel() == 0) continue;
    worst = std::max(
        worst, (ta.detach() - it->second.detach()).abs().max().item<double>());
  }
  return worst;
}

bool ParamsEqual(const ParamMap& a, const ParamMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, ta] : a) {
    auto it = b.find(name);
    if (it == b.end() || !torch::equal(ta.detach(), it->second.detach())) {
      return false;
    }
  }
  return true;
}

int64_t CountParameters(const ParamMap& params) {
  int64_t n = 0;
  for (const auto& [name, t] : params) {
    if (!IsBuffer(name)) n += t.numel();
  }
  return n;
}

ParamMap StackParams(const std::vector<ParamMap>& maps) {
  TORCH_CHECK(!maps.empty(), "StackParams needs at least one map");
  ParamMap out;
  for (const auto& [name, first] : maps.front()) {
    std::vector<torch::Tensor> parts;
    parts.reserve(maps.size());
    for (const ParamMap& map : maps) {
      auto it = map.find(name);
      TORCH_CHECK(it != map.end() && it->second.sizes() == first.sizes(),
                  "StackParams: maps differ at ", name);
      parts.push_back(it->second);
    }
    out[name] = torch::cat(parts, 0);
  }
  for (const ParamMap& map : maps) {
    TORCH_CHECK(map.size() == out.size(), "StackParams: maps differ in size");
  }
  return out;
}

std::vector<ParamMap> UnstackParams(const ParamMap& stacked, int64_t count) {
  TORCH_CHECK(count >= 1, "UnstackParams: count must be >= 1");
  std::vector<ParamMap> out(count);
  for (const auto& [name, tensor] : stacked) {
    TORCH_CHECK(tensor.dim() >= 1 && tensor.size(0) % count == 0, "entry ",
                name, " of dim 0 size ", tensor.size(0),
                " does not split into ", count, " parts");
    std::vector<torch::Tensor> parts = tensor.chunk(count, 0);
    for (int64_t i = 0; i < count; ++i) out[i][name] = parts[i];
  }
  return out;
}

}  // namespace mmc
