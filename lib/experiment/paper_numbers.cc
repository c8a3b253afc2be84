// Implementation of lib/experiment/paper_numbers.h. Numbers transcribed from
// Table 3 of the paper (ResNet-18).
#include "lib/experiment/paper_numbers.h"

#include <cmath>
#include <map>
#include <utility>

namespace mmc {
namespace {

// method -> four proportions (60, 70, 80, 90%) x (NC, C, RC, RI).
using Table = std::map<std::string, std::array<PaperRow, 4>>;

const Table& Cifar10() {
  static const Table* t = new Table{
      {"FT_M",
       {{{75.7, 98.4, 23.6, 83.4},
         {75.8, 98.6, 27.7, 78.6},
         {71.3, 97.7, 37.6, 63.6},
         {67.2, 95.4, 49.6, 46.6}}}},
      {"FT_S",
       {{{75.8, 98.7, 17.5, 90.1},
         {74.9, 98.8, 16.3, 91.1},
         {69.9, 98.4, 15.7, 90.9},
         {64.7, 97.9, 15.3, 90.7}}}},
      {"LLR",
       {{{71.6, 95.1, 36.3, 57.1},
         {70.9, 95.8, 29.9, 65.8},
         {65.1, 81.8, 27.0, 53.2},
         {59.3, 70.7, 24.6, 40.7}}}},
      {"LPFT",
       {{{70.6, 88.1, 21.0, 70.7},
         {69.6, 87.3, 18.7, 72.5},
         {64.4, 63.8, 18.8, 48.0},
         {59.7, 56.6, 19.8, 37.8}}}},
      {"CBFT",
       {{{74.1, 71.5, 73.4, 8.75},
         {73.2, 69.2, 72.3, 8.60},
         {70.0, 70.0, 69.5, 9.68},
         {67.9, 72.5, 68.1, 13.1}}}},
  };
  return *t;
}

const Table& Cifar100() {
  static const Table* t = new Table{
      {"FT_M",
       {{{44.4, 99.2, 12.8, 85.3},
         {40.3, 99.6, 12.3, 89.8},
         {33.6, 99.0, 11.4, 90.5},
         {25.2, 79.2, 9.79, 57.9}}}},
      {"FT_S",
       {{{43.1, 99.6, 10.3, 93.6},
         {38.2, 99.7, 10.5, 95.7},
         {32.5, 99.6, 10.4, 97.0},
         {24.5, 39.4, 4.87, 30.9}}}},
      {"LLR",
       {{{35.5, 99.2, 12.1, 89.0},
         {31.5, 98.6, 11.3, 89.6},
         {25.3, 96.7, 10.6, 89.4},
         {18.9, 75.1, 9.1, 58.7}}}},
      {"LPFT",
       {{{35.1, 93.2, 10.3, 82.3},
         {31.1, 90.2, 9.89, 78.5},
         {25.6, 89.6, 9.70, 80.8},
         {18.7, 28.6, 4.42, 19.6}}}},
      {"CBFT",
       {{{42.7, 65.0, 36.4, 14.6},
         {38.5, 66.7, 34.7, 21.2},
         {34.6, 69.3, 23.0, 27.9},
         {28.5, 72.9, 23.2, 46.0}}}},
  };
  return *t;
}

const Table& Dominoes() {
  static const Table* t = new Table{
      {"FT_M",
       {{{77.4, 96.8, 43.8, 56.1},
         {76.6, 96.6, 42.7, 58.7},
         {74.1, 95.7, 41.7, 61.3},
         {68.8, 95.1, 40.0, 57.5}}}},
      {"FT_S",
       {{{76.4, 96.9, 37.5, 62.4},
         {76.8, 96.6, 32.5, 66.5},
         {73.2, 96.4, 30.8, 67.7},
         {67.3, 95.2, 31.2, 65.6}}}},
      {"LLR",
       {{{74.6, 94.4, 39.8, 53.0},
         {73.9, 93.2, 36.3, 54.7},
         {70.8, 84.8, 33.1, 46.6},
         {63.3, 77.0, 31.2, 39.0}}}},
      {"LPFT",
       {{{73.2, 92.5, 38.0, 51.8},
         {72.7, 88.0, 34.8, 50.9},
         {69.4, 34.8, 33.1, 39.1},
         {61.2, 60.8, 31.2, 26.6}}}},
      {"CBFT",
       {{{72.0, 64.9, 67.5, 9.9},
         {71.5, 70.0, 59.2, 12.1},
         {70.8, 69.7, 65.9, 11.9},
         {67.2, 68.7, 61.5, 14.9}}}},
  };
  return *t;
}

}  // namespace

std::optional<PaperRow> PaperTable3(DatasetSpec::Kind kind,
                                    const ModelSpec& model,
                                    const std::string& method, double c) {
  if (model.arch() != ModelSpec::RESNET18 || model.width() != 1.0) {
    return std::nullopt;
  }
  const Table* table = nullptr;
  switch (kind) {
    case DatasetSpec::CIFAR10_BOX:
      table = &Cifar10();
      break;
    case DatasetSpec::CIFAR100_BOX:
      table = &Cifar100();
      break;
    case DatasetSpec::DOMINOES_FASHION_CIFAR10:
      table = &Dominoes();
      break;
    default:
      return std::nullopt;
  }
  auto it = table->find(method);
  if (it == table->end()) return std::nullopt;
  const int column = static_cast<int>(std::lround(c * 10)) - 6;
  if (column < 0 || column > 3 || std::abs(c * 10 - (column + 6)) > 1e-6) {
    return std::nullopt;
  }
  return it->second[column];
}

}  // namespace mmc
