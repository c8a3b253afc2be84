// The registered artifacts, in dependency order (an artifact's inputs come
// before it), and the work units built from them. The task binaries
// dispatch through this list: //tasks:<name> runs FindArtifact(name),
// //tasks:paper every artifact with in_paper(), in this order.
//
// To add an artifact: its pipeline in lib/experiment, a file pair here
// implementing Artifact (artifact.h) with its report beside it, one line in
// Artifacts() (registry.cc), and a binary in tasks/BUILD (a one-line main).
#ifndef LIB_EXPERIMENT_ARTIFACTS_REGISTRY_H_
#define LIB_EXPERIMENT_ARTIFACTS_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/experiment/artifacts/artifact.h"

namespace mmc {

// Fig. 3, Fig. 4, Table 3, Table 2, the scale ladder.
const std::vector<const Artifact*>& Artifacts();

// The artifacts //tasks:paper runs (in_paper()), in registry order.
std::vector<const Artifact*> PaperArtifacts();

// The artifact named `name`; nullptr when none is (no fallback).
const Artifact* FindArtifact(const std::string& name);

// The names of the registered artifacts, ", "-separated (for errors).
std::string ArtifactNames();

// The work units of artifact `name`, or with "paper" those of every
// artifact in the paper, in registry order. An unknown name has none.
std::vector<WorkUnit> WorkUnitsOf(const std::string& name, const Spec& spec);

// Trains one unit: its artifact's RunUnit against `context` narrowed to
// the unit's spec, with evaluate_paths = false (the render that follows
// evaluates every path once).
absl::Status RunWorkUnit(const ExperimentContext& context,
                         const WorkUnit& unit);

// Trains the units with index % count == shard, in order; an error for a
// shard outside 0 <= shard < count.
absl::Status RunShard(const ExperimentContext& context,
                      const std::vector<WorkUnit>& units, int shard, int count);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_ARTIFACTS_REGISTRY_H_
