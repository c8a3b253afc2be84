// The provenance block at the top of every report: spec, seeds, commit,
// machine, device and wall time of the run that wrote it.
#ifndef LIB_REPORT_PROVENANCE_H_
#define LIB_REPORT_PROVENANCE_H_

#include <string>

#include "lib/spec/results.pb.h"

namespace mmc {

// Markdown lines naming spec, seeds, commit, machine and wall time.
std::string ProvenanceMarkdown(const RunInfo& info);

}  // namespace mmc

#endif  // LIB_REPORT_PROVENANCE_H_
