// Markdown building blocks for reports: tables, number formatting, and
// writing a report's .md with its .json twin (rendered from one proto).
#ifndef LIB_REPORT_MARKDOWN_H_
#define LIB_REPORT_MARKDOWN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace mmc {

class MarkdownTable {
 public:
  explicit MarkdownTable(std::vector<std::string> header)
      : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Fixed-point with `digits` decimals; "n/a" for NaN.
std::string Fixed(double value, int digits = 1);

// Writes `message` to `path` atomically in protobuf's JSON form (field names
// as in the .proto, indented).
absl::Status WriteJson(const std::string& path,
                       const google::protobuf::Message& message);

// Writes <dir>/<name>.md and <dir>/<name>.json (protobuf's JSON form of
// `results`, field names as in the .proto), both atomically.
absl::Status WriteReport(const std::string& dir, const std::string& name,
                         const std::string& markdown,
                         const google::protobuf::Message& results);

}  // namespace mmc

#endif  // LIB_REPORT_MARKDOWN_H_
