// Implementation of lib/models/state_dict.h.
#include "lib/models/state_dict.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <exception>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/models/torch_save_reader.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

constexpr char kBatchesTracked[] = "num_batches_tracked";

std::string ShapeText(const torch::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

// First line of a LibTorch exception (the rest is a C++ backtrace).
std::string FirstLine(const char* what) {
  const std::string text(what);
  return text.substr(0, text.find('\n'));
}

bool IsInteger(absl::string_view s) {
  int value;
  return absl::SimpleAtoi(s, &value) && value >= 0;
}

}  // namespace

absl::StatusOr<std::string> EncodeTorchSave(const c10::IValue& value) {
  // torch::pickle_save would tag containers with their C++ type
  // (torch.jit._pickle.restore_type_tag), a global that torch.load's
  // weights_only mode (and ReadTorchSaveDict) rejects; pickled without type
  // tags, a dict of tensors is exactly what torch.save writes.
  std::string bytes;
  try {
    std::string pickle;
    torch::jit::Pickler pickler(
        [&pickle](const char* data, size_t size) { pickle.append(data, size); },
        /*tensor_table=*/nullptr, /*type_renamer=*/nullptr,
        /*memoized_class_types=*/nullptr, /*get_tensor_id=*/nullptr,
        /*tag_aggregates=*/false);
    pickler.protocol();
    pickler.pushIValue(value);
    pickler.stop();
    caffe2::serialize::PyTorchStreamWriter writer(
        [&bytes](const void* data, size_t size) {
          bytes.append(static_cast<const char*>(data), size);
          return size;
        });
    torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(),
                                       pickler.tensorData(), writer);
    writer.writeEndOfFile();
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("cannot encode for torch.load: ", FirstLine(e.what())));
  }
  return bytes;
}

absl::Status SaveStateDict(const std::string& path, const ParamMap& params) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : params) {
    dict.insert(name, tensor.detach().to(torch::kCPU).contiguous());
    if (absl::EndsWith(name, ".bn.running_var")) {
      dict.insert(
          absl::StrCat(absl::StripSuffix(name, "running_var"), kBatchesTracked),
          torch::zeros({}, torch::dtype(torch::kLong).device(torch::kCPU)));
    }
  }
  ASSIGN_OR_RETURN(const std::string bytes, EncodeTorchSave(c10::IValue(dict)));
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<ParamMap> LoadStateDict(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  absl::StatusOr<std::vector<TorchSaveEntry>> entries =
      ReadTorchSaveDict(contents);
  if (!entries.ok()) {
    return absl::Status(entries.status().code(),
                        absl::StrCat(path, ": ", entries.status().message()));
  }
  ParamMap params;
  for (const TorchSaveEntry& entry : *entries) {
    if (!entry.key_type.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": a key is a ", entry.key_type, ", not a name"));
    }
    if (!entry.tensor.defined()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": entry '", entry.key, "' is a ", entry.value_type,
          ", not a tensor (a training checkpoint? save its state_dict() "
          "alone)"));
    }
    if (absl::EndsWith(entry.key, kBatchesTracked)) continue;
    if (!entry.tensor.is_floating_point()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tensor '", entry.key, "' has dtype ",
                       std::string(c10::toString(entry.tensor.scalar_type())),
                       ", expected floating point"));
    }
    params[entry.key] = entry.tensor.to(torch::kFloat).contiguous();
  }
  if (params.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the state dict holds no tensors"));
  }
  // nn.DataParallel prefixes every name with "module.".
  bool all_prefixed = true;
  for (const auto& [name, tensor] : params) {
    all_prefixed = all_prefixed && absl::StartsWith(name, "module.");
  }
  if (all_prefixed) {
    ParamMap stripped;
    for (auto& [name, tensor] : params) {
      stripped[std::string(absl::StripPrefix(name, "module."))] = tensor;
    }
    params = std::move(stripped);
  }
  return params;
}

absl::StatusOr<StateDictNaming> ParseStateDictNaming(absl::string_view name) {
  if (name == "ours") return StateDictNaming::kOurs;
  if (name == "authors") return StateDictNaming::kAuthors;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown state dict naming '", name, "' (expected ours or authors)"));
}

absl::StatusOr<ParamMap> FromAuthorsNames(const ParamMap& params) {
  ParamMap out;
  for (const auto& [name, tensor] : params) {
    const std::vector<std::string> parts = absl::StrSplit(name, '.');
    std::string renamed;
    const size_t n = parts.size();
    if (n == 2 && parts[0] == "linear") {
      renamed = absl::StrCat("head.", parts[1]);
    } else if (n == 2 && (parts[0] == "conv1" || parts[0] == "bn1")) {
      renamed = absl::StrCat("stem.", parts[0] == "conv1" ? "conv." : "bn.",
                             parts[1]);
    } else if (n == 4 && parts[0] == "layers" && IsInteger(parts[1]) &&
               (parts[2] == "conv1" || parts[2] == "bn1")) {
      renamed = absl::StrCat("features.", parts[1], ".",
                             parts[2] == "conv1" ? "conv." : "bn.", parts[3]);
    } else if (n == 4 && absl::StartsWith(parts[0], "layer") &&
               IsInteger(parts[0].substr(5)) && IsInteger(parts[1])) {
      const std::string block = absl::StrCat(parts[0], ".", parts[1], ".");
      const std::string& module = parts[2];
      if (module == "conv1" || module == "conv2") {
        renamed = absl::StrCat(block, module, ".conv.", parts[3]);
      } else if (module == "bn1" || module == "bn2") {
        renamed =
            absl::StrCat(block, "conv", module.substr(2), ".bn.", parts[3]);
      } else if (module == "shortcut_conv") {
        renamed = absl::StrCat(block, "shortcut.conv.", parts[3]);
      } else if (module == "shortcut_bn") {
        renamed = absl::StrCat(block, "shortcut.bn.", parts[3]);
      }
    }
    if (renamed.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", name,
          "' does not follow the authors' naming (EkdeepSLubana/MMC "
          "models.py: VGG-13 or ResNet-18)"));
    }
    out[renamed] = tensor;
  }
  return out;
}

absl::StatusOr<InferredModel> InferModel(const ParamMap& params) {
  InferredModel inferred;
  std::string first;
  int64_t base = 64;  // Both architectures' first conv: 64 x width.
  if (params.count("features.0.conv.weight")) {
    inferred.spec.set_arch(ModelSpec::VGG13);
    first = "features.0.conv.weight";
  } else if (params.count("stem.conv.weight")) {
    inferred.spec.set_arch(ModelSpec::RESNET18);
    first = "stem.conv.weight";
  } else {
    return absl::InvalidArgumentError(
        "neither VGG-13 (features.0.conv.weight) nor ResNet-18 "
        "(stem.conv.weight): is the state dict named as ours? (the authors' "
        "checkpoints need --naming=authors)");
  }
  auto head = params.find("head.weight");
  if (head == params.end()) {
    return absl::InvalidArgumentError("missing tensor 'head.weight'");
  }
  const torch::Tensor& conv = params.at(first);
  if (conv.dim() != 4 || head->second.dim() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", first, "' has shape ", ShapeText(conv), " and 'head.weight' ",
        ShapeText(head->second), ": expected a 4-d conv and a 2-d head"));
  }
  inferred.spec.set_width(static_cast<double>(conv.size(0)) / base);
  inferred.in_channels = static_cast<int>(conv.size(1));
  inferred.num_classes = static_cast<int>(head->second.size(0));
  return inferred;
}

absl::Status CheckMatchesModel(const Model& model, const ParamMap& params) {
  const ParamMap expected = model.Init(0);
  for (const auto& [name, tensor] : expected) {
    auto it = params.find(name);
    if (it == params.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing tensor '", name, "' (", model.Describe(),
                       " has shape ", ShapeText(tensor), ")"));
    }
    if (!it->second.sizes().equals(tensor.sizes())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", name, "' has shape ", ShapeText(it->second), ", but ",
          model.Describe(), " needs ", ShapeText(tensor)));
    }
  }
  for (const auto& [name, tensor] : params) {
    if (!expected.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected tensor '", name, "' (not in ", model.Describe(), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mmc
