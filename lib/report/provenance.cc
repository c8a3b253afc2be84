// Implementation of lib/report/provenance.h.
#include "lib/report/provenance.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace mmc {

std::string ProvenanceMarkdown(const RunInfo& info) {
  return absl::StrFormat(
      "- spec: `%s` (%s, tier %s)\n- seeds: %s\n- commit: %s\n- machine: %s; "
      "device %s\n- wall time: %.1f s\n",
      info.spec_path(), info.spec_name(), info.tier(),
      absl::StrJoin(info.seeds(), ", "), info.commit(), info.machine(),
      info.device(), info.wall_seconds());
}

}  // namespace mmc
