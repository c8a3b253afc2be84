// Implementation of lib/paths/endpoint_memo.h.
#include "lib/paths/endpoint_memo.h"

#include <torch/torch.h>

namespace mmc {
namespace {

// Names, dtypes, shapes and devices first (cheap, and torch::equal throws
// on a dtype or device mismatch), then the values (ParamsEqual).
bool SameNetwork(const ParamMap& a, const ParamMap& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    const torch::Tensor& x = ia->second;
    const torch::Tensor& y = ib->second;
    if (ia->first != ib->first || x.scalar_type() != y.scalar_type() ||
        x.sizes() != y.sizes() || x.device() != y.device()) {
      return false;
    }
  }
  return ParamsEqual(a, b);
}

}  // namespace

std::optional<EndpointMemo::SetResults> EndpointMemo::Find(
    const ParamMap& params, int threads_per_point) const {
  torch::NoGradGuard no_grad;
  std::lock_guard<std::mutex> lock(mu_);
  for (const Entry& e : entries_) {
    if (e.threads_per_point == threads_per_point &&
        SameNetwork(e.params, params)) {
      ++hits_;
      return e.results;
    }
  }
  return std::nullopt;
}

void EndpointMemo::Insert(const ParamMap& params, int threads_per_point,
                          SetResults results) {
  torch::NoGradGuard no_grad;
  Entry e;
  e.params = CloneParams(params);
  for (const auto& [name, t] : e.params) {
    e.bytes += t.numel() * static_cast<int64_t>(t.element_size());
  }
  e.threads_per_point = threads_per_point;
  e.results = std::move(results);
  std::lock_guard<std::mutex> lock(mu_);
  bytes_ += e.bytes;
  entries_.push_back(std::move(e));
  while (bytes_ > max_bytes_ && !entries_.empty()) {
    bytes_ -= entries_.front().bytes;
    entries_.erase(entries_.begin());
  }
}

int64_t EndpointMemo::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

int64_t EndpointMemo::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(entries_.size());
}

}  // namespace mmc
