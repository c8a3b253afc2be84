// The scale ladder as an artifact (//tasks:ladder; not part of
// //tasks:paper): Fig. 3's linear and permuted paths and Fig. 4's large-LR
// fine-tune at every rung (width x epochs) of the spec's ladder block.
// Report: ladder.md, ladder.json, ladder.{svg,png}. Work units: one per
// rung. The default spec (the quick one) holds the quick rungs in its
// ladder block; every other artifact ignores that block.
#ifndef LIB_EXPERIMENT_ARTIFACTS_LADDER_ARTIFACT_H_
#define LIB_EXPERIMENT_ARTIFACTS_LADDER_ARTIFACT_H_

#include "lib/experiment/artifacts/artifact.h"

namespace mmc {

const Artifact& LadderArtifact();

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_LADDER_ARTIFACT_H_
