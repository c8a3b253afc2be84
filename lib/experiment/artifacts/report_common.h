// Pieces every artifact report shares: percentages of a cue proportion and
// the sentence naming where the tier's claim thresholds come from.
#ifndef LIB_EXPERIMENT_ARTIFACTS_REPORT_COMMON_H_
#define LIB_EXPERIMENT_ARTIFACTS_REPORT_COMMON_H_

#include <string>

#include "lib/spec/spec.pb.h"

namespace mmc {

// 0.8 -> "80%".
std::string Percent(double fraction);

// "Thresholds: the quick tier's claims in the spec (source: ...)."
std::string ClaimsSourceMarkdown(const Spec& spec);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_REPORT_COMMON_H_
