// Implementation of lib/experiment/artifacts/registry.h.
#include "lib/experiment/artifacts/registry.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/artifacts/fig3_artifact.h"
#include "lib/experiment/artifacts/fig4_artifact.h"
#include "lib/experiment/artifacts/ladder_artifact.h"
#include "lib/experiment/artifacts/table2_artifact.h"
#include "lib/experiment/artifacts/table3_artifact.h"
#include "lib/util/status_macros.h"

namespace mmc {

const std::vector<const Artifact*>& Artifacts() {
  static const std::vector<const Artifact*> artifacts = {
      &Fig3Artifact(),   &Fig4Artifact(),   &Table3Artifact(),
      &Table2Artifact(), &LadderArtifact(),
  };
  return artifacts;
}

std::vector<const Artifact*> PaperArtifacts() {
  std::vector<const Artifact*> paper;
  for (const Artifact* artifact : Artifacts()) {
    if (artifact->in_paper()) paper.push_back(artifact);
  }
  return paper;
}

const Artifact* FindArtifact(const std::string& name) {
  for (const Artifact* artifact : Artifacts()) {
    if (artifact->name() == name) return artifact;
  }
  return nullptr;
}

std::string ArtifactNames() {
  std::string names;
  for (const Artifact* artifact : Artifacts()) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", artifact->name());
  }
  return names;
}

std::vector<WorkUnit> WorkUnitsOf(const std::string& name, const Spec& spec) {
  std::vector<const Artifact*> artifacts;
  if (name == "paper") {
    artifacts = PaperArtifacts();
  } else if (const Artifact* artifact = FindArtifact(name)) {
    artifacts = {artifact};
  }
  std::vector<WorkUnit> units;
  for (const Artifact* artifact : artifacts) {
    for (WorkUnit& unit : artifact->Units(spec)) units.push_back(unit);
  }
  return units;
}

absl::Status RunWorkUnit(const ExperimentContext& context,
                         const WorkUnit& unit) {
  const Artifact* artifact = FindArtifact(unit.artifact);
  if (artifact == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("work unit '", unit.label, "': no artifact named '",
                     unit.artifact, "' (registered: ", ArtifactNames(), ")"));
  }
  ExperimentContext narrowed = context;
  narrowed.spec = &unit.spec;
  narrowed.evaluate_paths = false;
  return artifact->RunUnit(narrowed);
}

absl::Status RunShard(const ExperimentContext& context,
                      const std::vector<WorkUnit>& units, int shard,
                      int count) {
  if (count <= 0 || shard < 0 || shard >= count) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--shard=%d/%d: need 0 <= I < N", shard, count));
  }
  for (size_t i = 0; i < units.size(); ++i) {
    if (static_cast<int>(i % count) != shard) continue;
    std::cerr << absl::StrFormat("shard %d/%d: %s\n", shard, count,
                                 units[i].label);
    RETURN_IF_ERROR(RunWorkUnit(context, units[i]));
  }
  return absl::OkStatus();
}

}  // namespace mmc
