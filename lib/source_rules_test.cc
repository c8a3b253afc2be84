// Source rules for lib/ that the compiler cannot enforce, checked on every
// `bazel test //...` (each lib package exports its sources as :source_files):
//  1. Every tensor factory (torch::zeros, at::empty, torch::tensor, ...)
//     names its device: a device in its options (x.options(), .device(d),
//     an options value whose name says device) or torch::kCPU written out
//     for the CPU-side code (data loading, checkpoints, permutation
//     matching). A factory without one lands on the CPU by default and, on
//     a GPU run, meets CUDA tensors in the first operation (issue 17).
//  2. The per-step training code reads nothing back from the device: no
//     .item(), .cpu(), .to(torch::kCPU) or nonzero() (each waits for every
//     queued GPU kernel). The loop's once-per-epoch read carries the marker
//     "host read:" on its line with the reason.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

namespace fs = std::filesystem;

// Files run once per training step (their host reads are per-step syncs).
const std::set<std::string>& PerStepFiles() {
  static const auto* files =
      new std::set<std::string>{"lib/train/train_loop.cc",
                                "lib/train/sgd.cc",
                                "lib/paths/quadratic.cc",
                                "lib/finetune/cbft_loss.cc",
                                "lib/finetune/finetune_common.cc",
                                "lib/finetune/ft.cc",
                                "lib/finetune/llr.cc",
                                "lib/finetune/lpft.cc",
                                "lib/finetune/cbft.cc"};
  return *files;
}

std::vector<std::string> LibSources() {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator("lib")) {
    const std::string path = entry.path().string();
    const std::string ext = entry.path().extension().string();
    if (ext != ".cc" && ext != ".h") continue;
    if (path.size() > 8 && (path.rfind("_test.cc") == path.size() - 8)) {
      continue;
    }
    if (path.find(".pb.") != std::string::npos) continue;
    out.push_back(path);
  }
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// `text` with comments and string/char literals blanked out (newlines kept,
// so offsets still map to lines).
std::string CodeOnly(const std::string& text) {
  std::string out = text;
  enum { kCode, kLine, kBlock, kString, kChar } state = kCode;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (state) {
      case kCode:
        if (c == '/' && next == '/')
          state = kLine, out[i] = ' ';
        else if (c == '/' && next == '*')
          state = kBlock, out[i] = ' ';
        else if (c == '"')
          state = kString;
        else if (c == '\'')
          state = kChar;
        break;
      case kLine:
        if (c == '\n')
          state = kCode;
        else
          out[i] = ' ';
        break;
      case kBlock:
        if (c == '*' && next == '/') {
          out[i] = out[i + 1] = ' ';
          ++i;
          state = kCode;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      case kString:
      case kChar:
        if (c == '\\') {
          out[i] = ' ';
          if (i + 1 < out.size()) out[++i] = ' ';
        } else if (c == (state == kString ? '"' : '\'')) {
          state = kCode;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
    }
  }
  return out;
}

int LineOf(const std::string& text, size_t offset) {
  return 1 + static_cast<int>(
                 std::count(text.begin(), text.begin() + offset, '\n'));
}

std::string LineText(const std::string& text, int line) {
  std::istringstream in(text);
  std::string s;
  for (int i = 0; i < line && std::getline(in, s); ++i) {
  }
  return s;
}

// The factory calls of `code` that name no device, as "file:line: call".
std::vector<std::string> FactoriesWithoutDevice(const std::string& path,
                                                const std::string& code) {
  static const std::regex kFactory(
      R"(\b(torch|at)::(zeros|ones|empty|empty_strided|full|arange|rand|randn|randint|randperm|tensor|scalar_tensor|eye|linspace|logspace|from_blob)\s*\()");
  static const std::regex kDevice(R"(device|Device|options|kCPU|kCUDA)");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kFactory);
       it != std::sregex_iterator(); ++it) {
    const size_t open = it->position() + it->length() - 1;
    int depth = 0;
    size_t close = open;
    for (; close < code.size(); ++close) {
      if (code[close] == '(') ++depth;
      if (code[close] == ')' && --depth == 0) break;
    }
    const std::string args = code.substr(open, close - open + 1);
    if (!std::regex_search(args, kDevice)) {
      out.push_back(path + ":" + std::to_string(LineOf(code, it->position())) +
                    ": " + it->str() + args.substr(1) + " names no device");
    }
  }
  return out;
}

std::vector<std::string> HostReads(const std::string& path,
                                   const std::string& text,
                                   const std::string& code) {
  static const std::regex kRead(
      R"(\.item\s*[<(]|\.cpu\s*\(|\.to\s*\(\s*torch::kCPU|\bnonzero\s*\()");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kRead);
       it != std::sregex_iterator(); ++it) {
    const int line = LineOf(code, it->position());
    if (LineText(text, line).find("host read:") != std::string::npos) {
      continue;
    }
    out.push_back(path + ":" + std::to_string(line) + ": " + it->str() +
                  " reads the device back in per-step code");
  }
  return out;
}

TEST(SourceRulesTest, SeesEveryPackagesSources) {
  // The rules are vacuous if the sources are not in the runfiles: every
  // lib package must export them (:source_files, listed in lib/BUILD).
  std::set<std::string> packages;
  for (const std::string& path : LibSources()) {
    packages.insert(fs::path(path).parent_path().string());
  }
  for (const char* package :
       {"lib/data", "lib/experiment", "lib/experiment/artifacts",
        "lib/finetune", "lib/models", "lib/paths", "lib/paths/kinds",
        "lib/report", "lib/runs", "lib/spec", "lib/train", "lib/util"}) {
    EXPECT_EQ(packages.count(package), 1) << package << " not visible";
  }
  for (const std::string& file : PerStepFiles()) {
    EXPECT_TRUE(fs::exists(file)) << file;
  }
}

TEST(SourceRulesTest, TensorFactoriesNameTheirDevice) {
  std::vector<std::string> problems;
  for (const std::string& path : LibSources()) {
    for (std::string& p : FactoriesWithoutDevice(path, CodeOnly(Read(path)))) {
      problems.push_back(std::move(p));
    }
  }
  for (const std::string& p : problems) ADD_FAILURE() << p;
}

TEST(SourceRulesTest, PerStepCodeDoesNotReadTheDevice) {
  for (const std::string& path : PerStepFiles()) {
    const std::string text = Read(path);
    for (const std::string& p : HostReads(path, text, CodeOnly(text))) {
      ADD_FAILURE() << p;
    }
  }
}

// The checkers themselves, on snippets.
TEST(SourceRulesTest, CheckersCatchWhatTheyShould) {
  const std::string bad =
      "auto a = torch::zeros({3});\n"
      "auto b = at::empty({2,\n  2}, torch::kFloat);\n";
  EXPECT_EQ(FactoriesWithoutDevice("x.cc", CodeOnly(bad)).size(), 2);
  const std::string good =
      "auto a = torch::zeros({3}, x.options());\n"
      "auto b = torch::full({}, -1, on_device.dtype(torch::kLong));\n"
      "auto c = torch::empty({2}, "
      "torch::TensorOptions().device(torch::kCPU));\n"
      "// torch::zeros({3}) in a comment\n"
      "auto s = \"torch::ones({1})\";\n";
  EXPECT_TRUE(FactoriesWithoutDevice("x.cc", CodeOnly(good)).empty());
  const std::string reads =
      "double l = loss.item<double>();\n"
      "auto i = mask.nonzero();\n"
      "auto h = t.cpu(); // host read: counted\n";
  EXPECT_EQ(HostReads("x.cc", reads, CodeOnly(reads)).size(), 2);
}

}  // namespace
}  // namespace mmc
