// Every dataset kind as data (spec.proto's DatasetSpec::Kind): its shape and
// sizes, how its cue is drawn and how its sources load. The one place that
// describes a kind: CueDataset::Load, the model's input shape, plans and
// reports read it from here.
//
// Adding a dataset kind: its enum value in spec.proto, a loader in
// sources.h if its files are new, and one entry in dataset_kinds.cc
// (dataset_kinds_test fails for an enum value without one).
#ifndef LIB_DATA_DATASET_KINDS_H_
#define LIB_DATA_DATASET_KINDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/sources.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

struct DatasetFacts {
  int64_t train_total = 0;  // Official training split size.
  int64_t test_total = 0;
  int channels = 0, height = 0, width = 0;  // Of the composed images.
  int classes = 0;
};

// How the cue is drawn (cue_dataset.h).
enum class CueStyle {
  kWhiteBox,     // A box_size box, position by class, white (pixel 255).
  kColouredBox,  // Position by class % 10, colour by class / 10 (CIFAR-100).
  kDominoes,     // A same-class simple image stacked on top (no cue: black).
};

struct DatasetKind {
  DatasetSpec::Kind kind;
  DatasetFacts facts;
  CueStyle cue;
  // Loads the complex (main) source from `dir` (empty: its default location).
  absl::StatusOr<TrainTest> (*load)(const std::string& dir);
  // kDominoes: loads the simple source from its default location ("");
  // nullptr for the other styles.
  absl::StatusOr<TrainTest> (*load_simple)(const std::string& dir);
};

// Every registered kind, in spec.proto's order.
const std::vector<DatasetKind>& DatasetKinds();

// The entry of `kind`; an error naming the registered kinds if it has none.
absl::StatusOr<const DatasetKind*> FindDatasetKind(DatasetSpec::Kind kind);

// FindDatasetKind(kind)->facts. A kind without an entry is a programming
// error (spec loading accepts only spec.proto's values, and
// dataset_kinds_test requires an entry for each): it aborts with the message
// above instead of describing a 0-channel dataset.
const DatasetFacts& FactsOf(DatasetSpec::Kind kind);

}  // namespace mmc

#endif  // LIB_DATA_DATASET_KINDS_H_
