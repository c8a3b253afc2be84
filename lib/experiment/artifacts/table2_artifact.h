// Table 2 as an artifact: mechanistic (dis)similarity against connectivity,
// derived from Fig. 3, Fig. 4 and Table 3 (their .json in the output
// directory when made from the same spec, else their pipelines on the
// cached models); it evaluates the linear paths of the Table 3 pairs and
// trains nothing. Report: table2.md and table2.json.
#ifndef LIB_EXPERIMENT_ARTIFACTS_TABLE2_ARTIFACT_H_
#define LIB_EXPERIMENT_ARTIFACTS_TABLE2_ARTIFACT_H_

#include "lib/experiment/artifacts/artifact.h"

namespace mmc {

const Artifact& Table2Artifact();

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_TABLE2_ARTIFACT_H_
