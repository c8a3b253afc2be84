// Implementation of lib/paths/kinds/registry.h.
#include "lib/paths/kinds/registry.h"

#include "lib/paths/kinds/linear.h"
#include "lib/paths/kinds/quadratic.h"

namespace mmc {

const std::vector<PathKind>& PathKinds() {
  static const std::vector<PathKind>* kinds = new std::vector<PathKind>{
      LinearKind(),
      LinearPermutedKind(),
      QuadraticCueKind(),
      QuadraticNoCueKind(),
  };
  return *kinds;
}

const PathKind* FindPathKind(const std::string& name) {
  for (const PathKind& kind : PathKinds()) {
    if (name == kind.name) return &kind;
  }
  return nullptr;
}

}  // namespace mmc
