// Fig. 3 / App. D as an artifact: theta_C and theta_NC per cue proportion,
// connected by every registered path kind (lib/paths/kinds), evaluated on
// NC / C / RC / RI and the training views, plus a same-mechanism control
// pair. Report: fig3.md, fig3.json and one figure per path kind. Work
// units: one per cue proportion, the control pair with the first.
#ifndef LIB_EXPERIMENT_ARTIFACTS_FIG3_ARTIFACT_H_
#define LIB_EXPERIMENT_ARTIFACTS_FIG3_ARTIFACT_H_

#include "lib/experiment/artifacts/artifact.h"

namespace mmc {

const Artifact& Fig3Artifact();

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_FIG3_ARTIFACT_H_
