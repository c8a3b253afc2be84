// Table 3 as an artifact: every registered fine-tuning method
// (lib/finetune) run from theta_C on the clean hold-out, per cue proportion
// and seed, evaluated on NC / C / RC / RI. Report: table3.md and
// table3.json. Work units: one per (cue proportion, seed).
#ifndef LIB_EXPERIMENT_ARTIFACTS_TABLE3_ARTIFACT_H_
#define LIB_EXPERIMENT_ARTIFACTS_TABLE3_ARTIFACT_H_

#include "lib/experiment/artifacts/artifact.h"

namespace mmc {

const Artifact& Table3Artifact();

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_TABLE3_ARTIFACT_H_
