// Implementation of lib/experiment/artifacts/report_common.h.
#include "lib/experiment/artifacts/report_common.h"

#include "absl/strings/str_format.h"

namespace mmc {

std::string Percent(double fraction) {
  return absl::StrFormat("%.0f%%", 100 * fraction);
}

std::string ClaimsSourceMarkdown(const Spec& spec) {
  return absl::StrFormat(
      "Thresholds: the %s tier's claims in the spec (source: %s).\n",
      spec.tier(), spec.claims().source());
}

}  // namespace mmc
