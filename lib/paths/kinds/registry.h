// Every path kind, in the order Fig. 3 evaluates, reports and plots them:
// Linear, Linear Permuted, Quadratic w/ Cue, Quadratic w/o Cue. To register
// a kind: one line in registry.cc and a dep of :registry in BUILD.
#ifndef LIB_PATHS_KINDS_REGISTRY_H_
#define LIB_PATHS_KINDS_REGISTRY_H_

#include <string>
#include <vector>

#include "lib/paths/kinds/path_kind.h"

namespace mmc {

const std::vector<PathKind>& PathKinds();

// The registered kind named `name`; nullptr if none.
const PathKind* FindPathKind(const std::string& name);

}  // namespace mmc

#endif  // LIB_PATHS_KINDS_REGISTRY_H_
