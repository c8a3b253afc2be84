// `bazel run //tasks:data_samples -- [--spec=S] [--data_dir=D] [--out_dir=O]`
//
// Writes a grid of samples like the paper's Fig. 5 (right): rows NC, C, RC,
// RI; one column per class (at most 10); and a Markdown page describing the
// dataset (sizes, cue proportion, clean hold-out).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/data/cue_dataset.h"
#include "lib/report/png_writer.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "tasks/task_common.h"

ABSL_FLAG(std::string, spec, mmc::kDefaultSpec, "experiment spec (textproto)");
ABSL_FLAG(std::string, data_dir, "",
          "dataset directory (required for CIFAR); overrides the spec");
ABSL_FLAG(std::string, out_dir, "", "output directory (default: reports/)");
ABSL_FLAG(int, scale, 0, "pixel upscaling of the grid (0: automatic)");

namespace mmc {
namespace {

std::string Stem(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  return base.substr(0, base.find('.'));
}

absl::Status Run() {
  std::string spec_path;
  ASSIGN_OR_RETURN(Spec spec,
                   LoadSpecFlag(absl::GetFlag(FLAGS_spec), &spec_path));
  ASSIGN_OR_RETURN(std::string out_dir,
                   PrepareOutDir(absl::GetFlag(FLAGS_out_dir)));
  std::cerr << "data_samples: loading "
            << DatasetSpec::Kind_Name(spec.dataset().kind()) << " (spec "
            << spec_path << ")\n";
  ASSIGN_OR_RETURN(
      std::shared_ptr<const CueDataset> dataset,
      CueDataset::Load(spec.dataset(),
                       ResolveUserPath(absl::GetFlag(FLAGS_data_dir))));

  // One column per class: the first test sample of classes spread over the
  // label range (all classes when there are at most 10).
  const int classes = dataset->num_classes();
  const int columns = std::min(classes, 10);
  std::vector<int64_t> picks;
  for (int col = 0; col < columns; ++col) {
    const int wanted = col * classes / columns;
    for (int64_t i = 0; i < dataset->Size(View::kTestNoCue); ++i) {
      if (dataset->Label(View::kTestNoCue, i) == wanted) {
        picks.push_back(i);
        break;
      }
    }
  }
  const auto [channels, height, width] = dataset->shape();
  const int scale = absl::GetFlag(FLAGS_scale) > 0 ? absl::GetFlag(FLAGS_scale)
                                                   : (height <= 32 ? 4 : 3);
  constexpr int kGap = 4;
  const int rows = static_cast<int>(kCounterfactualViews.size());
  const int cell_w = static_cast<int>(width) * scale;
  const int cell_h = static_cast<int>(height) * scale;
  const int grid_w = static_cast<int>(picks.size()) * (cell_w + kGap) + kGap;
  const int grid_h = rows * (cell_h + kGap) + kGap;
  std::vector<uint8_t> grid(static_cast<size_t>(grid_w) * grid_h * channels,
                            128);
  for (int r = 0; r < rows; ++r) {
    Batch batch = dataset->Get(kCounterfactualViews[r], picks);
    torch::Tensor pixels = dataset->ToPixels(batch.x).contiguous();
    const uint8_t* p = pixels.data_ptr<uint8_t>();
    for (size_t col = 0; col < picks.size(); ++col) {
      const int x0 = kGap + static_cast<int>(col) * (cell_w + kGap);
      const int y0 = kGap + r * (cell_h + kGap);
      for (int y = 0; y < cell_h; ++y) {
        for (int x = 0; x < cell_w; ++x) {
          for (int c = 0; c < channels; ++c) {
            const int64_t src =
                ((static_cast<int64_t>(col) * channels + c) * height +
                 y / scale) *
                    width +
                x / scale;
            grid[(static_cast<size_t>(y0 + y) * grid_w + x0 + x) * channels +
                 c] = p[src];
          }
        }
      }
    }
  }
  const std::string stem = absl::StrCat("data_samples_", Stem(spec_path));
  const std::string png_path = JoinPath(out_dir, stem + ".png");
  RETURN_IF_ERROR(
      WritePng(png_path, grid_w, grid_h, static_cast<int>(channels), grid));

  std::string md;
  absl::StrAppendFormat(&md, "# Data samples: %s\n\n", spec.name());
  absl::StrAppendFormat(&md, "Spec: `%s`\n\n", spec_path);
  absl::StrAppendFormat(
      &md,
      "![samples](%s.png)\n\nRows, top to bottom: NC (no cue), C "
      "(cue of the true class), RC (cue of a uniformly drawn "
      "class), RI (image of another class, cue of the true "
      "class). Columns: the first test image of classes %s.\n\n",
      stem, absl::StrJoin(picks, ", ", [&](std::string* out, int64_t i) {
        absl::StrAppend(out, dataset->Label(View::kTestNoCue, i));
      }));
  md += dataset->Describe();
  std::vector<std::string> proportions;
  for (double c : spec.cue_proportions()) {
    const int cued = static_cast<int>(std::llround(c * dataset->TrainCount(0)));
    proportions.push_back(absl::StrFormat(
        "%.0f%% (%d of %d in class 0)", 100 * c, cued, dataset->TrainCount(0)));
  }
  absl::StrAppendFormat(
      &md, "| cue proportions (first c of each class cued) | %s |\n",
      absl::StrJoin(proportions, "; "));
  const std::string md_path = JoinPath(out_dir, stem + ".md");
  RETURN_IF_ERROR(WriteFileAtomically(md_path, md));
  std::cout << "wrote " << png_path << "\nwrote " << md_path << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mmc::RunTask("data_samples", mmc::Run);
}
