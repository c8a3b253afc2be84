// State dicts: our own round trip, the authors' names, architecture
// inference, and a clear error for every kind of bad file. (The round trip
// through Python's torch.load / torch.save is
// tests/pytorch/state_dict_roundtrip_test.sh.)
#include "lib/models/state_dict.h"

#include <torch/torch.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Model> MakeModel(ModelSpec::Arch arch, double width = 0.125) {
  ModelSpec spec;
  spec.set_arch(arch);
  spec.set_width(width);
  return std::move(*Model::Create(spec, 3, 10));
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(StateDictTest, RoundTripIsBitExactAndAddsBatchCounters) {
  for (auto arch : {ModelSpec::VGG13, ModelSpec::RESNET18}) {
    auto model = MakeModel(arch);
    ParamMap params = model->Init(3);
    params.begin()->second.add_(0.5);  // Not just the initialisation.
    const std::string path = TestTmpPath("round_trip.pt");
    ASSERT_TRUE(SaveStateDict(path, params).ok());
    auto loaded = LoadStateDict(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_TRUE(ParamsEqual(params, *loaded));
    EXPECT_TRUE(CheckMatchesModel(*model, *loaded).ok());
    auto inferred = InferModel(*loaded);
    ASSERT_TRUE(inferred.ok()) << inferred.status();
    EXPECT_EQ(inferred->spec.arch(), arch);
    EXPECT_DOUBLE_EQ(inferred->spec.width(), 0.125);
    EXPECT_EQ(inferred->in_channels, 3);
    EXPECT_EQ(inferred->num_classes, 10);
  }
}

TEST(StateDictTest, AuthorsNamesMapToOurs) {
  ParamMap authors;
  const auto t = torch::zeros({1});
  for (const char* name :
       {"layers.3.conv1.weight", "layers.3.bn1.running_var", "linear.bias",
        "conv1.weight", "bn1.weight", "layer2.0.conv1.weight",
        "layer2.0.bn2.running_mean", "layer2.0.shortcut_conv.weight",
        "layer2.0.shortcut_bn.bias"}) {
    authors[name] = t;
  }
  auto ours = FromAuthorsNames(authors);
  ASSERT_TRUE(ours.ok()) << ours.status();
  for (const char* name :
       {"features.3.conv.weight", "features.3.bn.running_var", "head.bias",
        "stem.conv.weight", "stem.bn.weight", "layer2.0.conv1.conv.weight",
        "layer2.0.conv2.bn.running_mean", "layer2.0.shortcut.conv.weight",
        "layer2.0.shortcut.bn.bias"}) {
    EXPECT_EQ(ours->count(name), 1u) << name;
  }
  EXPECT_EQ(ours->size(), authors.size());
  auto bad = FromAuthorsNames({{"layers.x.conv1.weight", t}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(Message(bad.status()), HasSubstr("layers.x.conv1.weight"));
  EXPECT_FALSE(ParseStateDictNaming("theirs").ok());
  EXPECT_EQ(*ParseStateDictNaming("authors"), StateDictNaming::kAuthors);
}

TEST(StateDictTest, WrongArchitectureMissingKeyAndWrongShapeNameTheTensor) {
  auto vgg = MakeModel(ModelSpec::VGG13);
  auto resnet = MakeModel(ModelSpec::RESNET18);
  const ParamMap vgg_params = vgg->Init(0);
  absl::Status s = CheckMatchesModel(*resnet, vgg_params);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("missing tensor"));

  ParamMap missing = vgg_params;
  missing.erase("features.4.bn.running_mean");
  s = CheckMatchesModel(*vgg, missing);
  EXPECT_THAT(Message(s),
              HasSubstr("missing tensor 'features.4.bn.running_mean'"));

  ParamMap reshaped = vgg_params;
  reshaped["features.2.conv.weight"] = torch::zeros({3, 3, 3, 3});
  s = CheckMatchesModel(*vgg, reshaped);
  EXPECT_THAT(Message(s), HasSubstr("tensor 'features.2.conv.weight' has shape "
                                    "[3, 3, 3, 3]"));

  ParamMap extra = vgg_params;
  extra["features.10.conv.weight"] = torch::zeros({1});
  s = CheckMatchesModel(*vgg, extra);
  EXPECT_THAT(Message(s),
              HasSubstr("unexpected tensor 'features.10.conv.weight'"));

  // A wider network than the spec: caught by shape.
  auto wide = MakeModel(ModelSpec::VGG13, 0.25);
  EXPECT_THAT(Message(CheckMatchesModel(*wide, vgg_params)),
              HasSubstr("has shape"));
  EXPECT_THAT(
      Message(InferModel({{"conv.weight", torch::zeros({1})}}).status()),
      HasSubstr("neither VGG-13"));
}

TEST(StateDictTest, BadFilesAreClearErrors) {
  auto model = MakeModel(ModelSpec::VGG13);
  const std::string good = TestTmpPath("good.pt");
  ASSERT_TRUE(SaveStateDict(good, model->Init(0)).ok());
  const std::string bytes = *ReadFileToString(good);

  const std::string truncated = TestTmpPath("truncated.pt");
  ASSERT_TRUE(
      WriteFileAtomically(truncated, bytes.substr(0, bytes.size() / 2)).ok());
  auto r = LoadStateDict(truncated);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(r.status()), HasSubstr("zip archive"));  // LibTorch's.

  const std::string text = TestTmpPath("text.pt");
  ASSERT_TRUE(WriteFileAtomically(text, "not a checkpoint\n").ok());
  r = LoadStateDict(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(r.status()), HasSubstr("not a ZIP archive"));

  // Our own checkpoint format is not a state dict either.
  const std::string missing = TestTmpPath("does_not_exist.pt");
  EXPECT_FALSE(LoadStateDict(missing).ok());

  // A list of tensors; a dict with a non-tensor entry (a training
  // checkpoint).
  const std::string list = TestTmpPath("list.pt");
  c10::impl::GenericList names(c10::StringType::get());
  names.push_back(c10::IValue("head.weight"));
  ASSERT_TRUE(
      WriteFileAtomically(list, *EncodeTorchSave(c10::IValue(names))).ok());
  r = LoadStateDict(list);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(Message(r.status()), HasSubstr("holds a list, not a state dict"));

  c10::impl::GenericDict checkpoint(c10::StringType::get(),
                                    c10::AnyType::get());
  checkpoint.insert("epoch", c10::IValue(int64_t{7}));
  checkpoint.insert("head.weight", c10::IValue(torch::zeros({1})));
  const std::string bundled = TestTmpPath("checkpoint.pt");
  ASSERT_TRUE(
      WriteFileAtomically(bundled, *EncodeTorchSave(c10::IValue(checkpoint)))
          .ok());
  r = LoadStateDict(bundled);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(Message(r.status()), HasSubstr("entry 'epoch' is a int"));

  // LibTorch's own pickle_save tags containers with a global that is not a
  // tensor or a plain container: refused, never called.
  const std::string tagged = TestTmpPath("tagged.pt");
  const std::vector<char> tagged_bytes =
      torch::pickle_save(c10::IValue(c10::Dict<std::string, torch::Tensor>()));
  ASSERT_TRUE(WriteFileAtomically(
                  tagged, std::string(tagged_bytes.begin(), tagged_bytes.end()))
                  .ok());
  r = LoadStateDict(tagged);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(Message(r.status()), HasSubstr("refusing to load it"));
}

TEST(StateDictTest, DataParallelPrefixIsRemoved) {
  auto model = MakeModel(ModelSpec::VGG13);
  ParamMap prefixed;
  for (const auto& [name, t] : model->Init(0)) prefixed["module." + name] = t;
  const std::string path = TestTmpPath("data_parallel.pt");
  ASSERT_TRUE(SaveStateDict(path, prefixed).ok());
  auto loaded = LoadStateDict(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(CheckMatchesModel(*model, *loaded).ok());
}

}  // namespace
}  // namespace mmc
