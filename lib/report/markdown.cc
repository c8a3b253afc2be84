// Implementation of lib/report/markdown.h.
#include "lib/report/markdown.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "lib/util/files.h"

namespace mmc {

std::string MarkdownTable::Render() const {
  std::string out = absl::StrCat("| ", absl::StrJoin(header_, " | "), " |\n|");
  for (size_t i = 0; i < header_.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : rows_) {
    absl::StrAppend(&out, "| ", absl::StrJoin(row, " | "), " |\n");
  }
  return out;
}

std::string Fixed(double value, int digits) {
  if (std::isnan(value)) return "n/a";
  return absl::StrFormat("%.*f", digits, value);
}

absl::Status WriteJson(const std::string& path,
                       const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("JSON rendering failed: ", status.ToString()));
  }
  return WriteFileAtomically(path, json);
}

absl::Status WriteReport(const std::string& dir, const std::string& name,
                         const std::string& markdown,
                         const google::protobuf::Message& results) {
  if (absl::Status s =
          WriteFileAtomically(JoinPath(dir, name + ".md"), markdown);
      !s.ok()) {
    return s;
  }
  return WriteJson(JoinPath(dir, name + ".json"), results);
}

}  // namespace mmc
