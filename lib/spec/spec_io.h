// Loading and validating experiment specs (textproto, lib/spec/spec.proto).
//
// Errors name the file, the 1-based line and the field: syntax errors and
// unknown fields come from the text-format parser, range errors from
// ValidateSpec, which locates the offending field in the source text.
#ifndef LIB_SPEC_SPEC_IO_H_
#define LIB_SPEC_SPEC_IO_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// Parses and validates spec text; `filename` only labels error messages.
absl::StatusOr<Spec> ParseSpecText(const std::string& text,
                                   const std::string& filename);

// Reads, parses and validates a spec file.
absl::StatusOr<Spec> LoadSpec(const std::string& path);

// The spec's claim thresholds (spec.proto ClaimsSpec): an error naming the
// spec and every missing field when `claims` or any of its fields is not
// set. Thresholds belong to a tier and cite their source; none defaults.
absl::Status RequireClaims(const Spec& spec);

// The canonical text of a message: every set field, in field-number order,
// on one line. Cache keys are derived from it.
std::string CanonicalText(const google::protobuf::Message& message);

// The multi-line text form, for reports and --dry_run.
std::string PrettyText(const google::protobuf::Message& message);

}  // namespace mmc

#endif  // LIB_SPEC_SPEC_IO_H_
