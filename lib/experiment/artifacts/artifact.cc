// Implementation of lib/experiment/artifacts/artifact.h.
#include "lib/experiment/artifacts/artifact.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mmc {

absl::Status Artifact::RunUnit(const ExperimentContext& context) const {
  return absl::InvalidArgumentError(
      absl::StrCat(name(), " has no work units of its own"));
}

ArtifactSummary SummaryOf(const Artifact& artifact, const RunInfo& info) {
  ArtifactSummary s;
  s.name = artifact.name();
  s.title = artifact.title();
  s.report = s.name + ".md";
  s.seconds = info.wall_seconds();
  return s;
}

std::vector<std::string> ThroughputCells(const ArtifactSummary& s) {
  const WorkTally& w = s.work;
  const int64_t images = w.train_images + w.path_images;
  auto share = [&s](double seconds) {
    return s.seconds > 0
               ? absl::StrFormat("%.0f%%", 100.0 * seconds / s.seconds)
               : std::string("n/a");
  };
  auto rate = [](int64_t n, double seconds) {
    return seconds > 0 ? absl::StrFormat("%.0f", n / seconds)
                       : std::string("-");
  };
  return {absl::StrFormat("%.0f s", s.seconds),
          absl::StrFormat("%.2fM", images / 1e6), rate(images, s.seconds),
          absl::StrFormat("%s (%s img/s)", share(w.train_seconds),
                          rate(w.train_images, w.train_seconds)),
          absl::StrFormat("%s (%s img/s)", share(w.path_seconds),
                          rate(w.path_images, w.path_seconds)),
          // Parallel children's seconds add up to more than the wall time.
          s.seconds >= w.train_seconds + w.path_seconds
              ? share(s.seconds - w.train_seconds - w.path_seconds)
              : std::string("-")};
}

}  // namespace mmc
