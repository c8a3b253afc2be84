// Implementation of lib/experiment/interop.h.
#include "lib/experiment/interop.h"

#include <cmath>
#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "lib/experiment/table2.h"
#include "lib/runs/endpoints.h"
#include "lib/spec/spec_io.h"
#include "lib/util/files.h"
#include "lib/util/fnv.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// FNV-1a over every tensor's name, shape and float32 bytes, in name order.
std::string Fingerprint(const ParamMap& params) {
  uint64_t h = kFnv1a64Offset;
  for (const auto& [name, tensor] : params) {
    h = Fnv1a64(name.data(), name.size(), h);
    for (int64_t d : tensor.sizes()) h = Fnv1a64(&d, sizeof(d), h);
    const torch::Tensor t = tensor.to(torch::kCPU, torch::kFloat).contiguous();
    h = Fnv1a64(t.data_ptr(), t.numel() * sizeof(float), h);
  }
  return absl::StrFormat("%016x", h);
}

// Widths are not always recoverable from channel counts (they are
// rounded), so the file is described by what it holds.
std::string Describe(const InferredModel& m) {
  return absl::StrFormat(
      "%s with %d channels in its first conv, %d input channels, %d classes",
      m.spec.arch() == ModelSpec::VGG13 ? "VGG-13" : "ResNet-18",
      static_cast<int>(std::lround(m.spec.width() * 64)), m.in_channels,
      m.num_classes);
}

}  // namespace

std::string PythonArchName(ModelSpec::Arch arch) {
  return arch == ModelSpec::RESNET18 ? "resnet18" : "vgg13";
}

absl::StatusOr<TrainedModel> ImportModel(const ExperimentContext& ctx,
                                         const std::string& path,
                                         StateDictNaming naming) {
  ASSIGN_OR_RETURN(ParamMap params, LoadStateDict(path));
  if (naming == StateDictNaming::kAuthors) {
    absl::StatusOr<ParamMap> renamed = FromAuthorsNames(params);
    if (!renamed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", renamed.status().message()));
    }
    params = *std::move(renamed);
  }
  if (absl::Status s = CheckMatchesModel(*ctx.model, params); !s.ok()) {
    absl::StatusOr<InferredModel> held = InferModel(params);
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", s.message(), "; the spec's model is ",
        ctx.model->Describe(), ", the file holds ",
        held.ok() ? Describe(*held) : std::string(held.status().message())));
  }
  RunKey key;
  key.set_format_version(kTrainingFormatVersion);
  key.set_role("imported");
  // The spec's dataset and model (as run keys hold them): an import
  // belongs to the spec it was made for, like every other cached model.
  const RunKey base = BaseRunKey(*ctx.spec, "", TrainSpec(), 0);
  *key.mutable_dataset() = base.dataset();
  *key.mutable_model() = base.model();
  key.set_extra(absl::StrCat("weights fnv1a64:", Fingerprint(params)));
  if (ctx.cache->Contains(key)) return ctx.cache->Load(key);
  return ctx.cache->Store(key, params);
}

absl::StatusOr<PairResults> RunImportedPair(const ExperimentContext& ctx,
                                            const TrainedModel& a,
                                            const TrainedModel& b, double c,
                                            const std::string& data) {
  if (data != "trC" && data != "trNC") {
    return absl::InvalidArgumentError(absl::StrCat(
        "connectivity data must be trC or trNC, got '", data, "'"));
  }
  if (!(c > 0.0 && c <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the cue proportion of the quadratic paths' training data must be in "
        "(0, 1], got ",
        c));
  }
  const Spec& spec = *ctx.spec;
  const int64_t seed = spec.seeds_size() > 0 ? spec.seeds(0) : 0;
  PairResults results;
  *results.add_endpoints() = EvaluateModel(ctx, a, "theta_a", c, seed);
  *results.add_endpoints() = EvaluateModel(ctx, b, "theta_b", c, seed);
  Fig3Results paths;
  RETURN_IF_ERROR(
      RunPairPaths(ctx, a, b, "theta_a-theta_b", c, c, seed, &paths));
  for (const PathResult& p : paths.paths()) *results.add_paths() = p;
  auto path = [&results](const char* name) -> const PathResult* {
    for (const PathResult& p : results.paths()) {
      if (p.path() == name) return &p;
    }
    return nullptr;
  };
  *results.mutable_assessment() = AssessPair(
      "theta_a-theta_b", "pair", results.endpoints(0), results.endpoints(1),
      data, path(kLinear), path(kLinearPermuted),
      path(data == "trC" ? kQuadraticCue : kQuadraticNoCue), spec.claims());
  return results;
}

absl::StatusOr<ExportManifest> ExportCachedModels(const ExperimentContext& ctx,
                                                  const std::string& out_dir) {
  using google::protobuf::util::MessageDifferencer;
  RETURN_IF_ERROR(MakeDirs(out_dir));
  absl::StatusOr<std::vector<RunKey>> keys = ctx.cache->CachedKeys();
  if (!keys.ok()) {
    return absl::Status(
        keys.status().code(),
        absl::StrCat(keys.status().message(),
                     " (run the experiments first, or pass --cache_dir)"));
  }
  // The spec's dataset and model as run keys hold them.
  const RunKey reference = BaseRunKey(*ctx.spec, "", TrainSpec(), 0);
  ExportManifest manifest;
  int skipped = 0;
  for (const RunKey& key : *keys) {
    if (!MessageDifferencer::Equals(key.dataset(), reference.dataset()) ||
        !MessageDifferencer::Equals(key.model(), reference.model())) {
      ++skipped;
      continue;
    }
    ASSIGN_OR_RETURN(TrainedModel model, ctx.cache->Load(key));
    ExportedModel& m = *manifest.add_models();
    m.set_file(absl::StrCat(model.hash, ".pt"));
    RETURN_IF_ERROR(SaveStateDict(JoinPath(out_dir, m.file()), model.params));
    m.set_cache_key(model.hash);
    m.set_role(key.role());
    m.set_cue_proportion(key.cue_proportion());
    m.set_seed(key.seed());
    m.set_data_view(key.data_view());
    for (const std::string& parent : key.parents()) m.add_parents(parent);
    m.set_arch(PythonArchName(ctx.spec->model().arch()));
    m.set_width(ctx.spec->model().width());
    m.set_in_channels(ctx.model->in_channels());
    m.set_num_classes(ctx.model->num_classes());
    for (const SetMetrics& s :
         ctx.sets->EvaluateAll(*ctx.model, model.params)) {
      *m.add_metrics() = s;
    }
    m.set_key(CanonicalText(key));
    if (ctx.progress) {
      std::cerr << absl::StrFormat("export: %s %s c=%g seed=%d -> %s\n",
                                   key.role(), key.data_view(),
                                   key.cue_proportion(), key.seed(), m.file());
    }
  }
  if (ctx.progress) {
    std::cerr << absl::StrFormat(
        "export: %d models written to %s (%d cached models of other specs "
        "skipped)\n",
        manifest.models_size(), out_dir, skipped);
  }
  return manifest;
}

}  // namespace mmc
