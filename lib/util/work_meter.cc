// Implementation of lib/util/work_meter.h.
#include "lib/util/work_meter.h"

#include <map>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace mmc {
namespace {

std::mutex& Mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}

WorkTally& Tally() {
  static auto* tally = new WorkTally;
  return *tally;
}

}  // namespace

WorkTally CurrentWork() {
  std::lock_guard<std::mutex> lock(Mutex());
  return Tally();
}

void AddTrainingWork(int64_t images, double seconds) {
  std::lock_guard<std::mutex> lock(Mutex());
  Tally().train_images += images;
  Tally().train_seconds += seconds;
}

void AddPathWork(int64_t images, double seconds) {
  std::lock_guard<std::mutex> lock(Mutex());
  Tally().path_images += images;
  Tally().path_seconds += seconds;
}

WorkTally operator-(const WorkTally& a, const WorkTally& b) {
  return {a.train_images - b.train_images, a.train_seconds - b.train_seconds,
          a.path_images - b.path_images, a.path_seconds - b.path_seconds};
}

WorkTally operator+(const WorkTally& a, const WorkTally& b) {
  return {a.train_images + b.train_images, a.train_seconds + b.train_seconds,
          a.path_images + b.path_images, a.path_seconds + b.path_seconds};
}

std::string FormatWorkTally(const WorkTally& t) {
  return absl::StrFormat(
      "train_images=%d train_seconds=%.17g path_images=%d path_seconds=%.17g",
      t.train_images, t.train_seconds, t.path_images, t.path_seconds);
}

absl::StatusOr<WorkTally> ParseWorkTally(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (absl::string_view part :
       absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    const std::vector<std::string> kv = absl::StrSplit(part, '=');
    if (kv.size() != 2 || !fields.emplace(kv[0], kv[1]).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "work tally: bad or repeated field '", part, "' in '", text, "'"));
    }
  }
  WorkTally t;
  auto integer = [&](const char* name, int64_t* out) {
    auto it = fields.find(name);
    return it != fields.end() && absl::SimpleAtoi(it->second, out);
  };
  auto real = [&](const char* name, double* out) {
    auto it = fields.find(name);
    return it != fields.end() && absl::SimpleAtod(it->second, out);
  };
  if (fields.size() != 4 || !integer("train_images", &t.train_images) ||
      !real("train_seconds", &t.train_seconds) ||
      !integer("path_images", &t.path_images) ||
      !real("path_seconds", &t.path_seconds)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "work tally: need train_images, train_seconds, path_images and "
        "path_seconds, each once, got '",
        text, "'"));
  }
  return t;
}

}  // namespace mmc
