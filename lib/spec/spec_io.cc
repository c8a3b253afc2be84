// Implementation of lib/spec/spec_io.h.
#include "lib/spec/spec_io.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "lib/util/files.h"

namespace mmc {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::TextFormat;

// Collects the text-format parser's errors as "file:line:col: message".
class CollectingErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrors(std::string filename)
      : filename_(std::move(filename)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(
        absl::StrCat(filename_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    AddError(line, column, message);
  }
  std::string Joined() const { return absl::StrJoin(errors_, "\n"); }

 private:
  std::string filename_;
  std::vector<std::string> errors_;
};

// Walks a parsed spec with reflection and reports range errors with the
// source line of the offending field (or "(default)" when it was not set).
class Validator {
 public:
  Validator(std::string filename, std::vector<std::string>* errors)
      : filename_(std::move(filename)), errors_(errors) {}

  void Walk(const Message& message, const TextFormat::ParseInfoTree* tree,
            const std::string& path) {
    const Reflection* reflection = message.GetReflection();
    const Descriptor* descriptor = message.GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      const std::string name =
          path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (field->is_repeated()) continue;
        if (!reflection->HasField(message, field)) continue;
        const TextFormat::ParseInfoTree* nested =
            tree == nullptr ? nullptr : tree->GetTreeForNested(field, -1);
        Walk(reflection->GetMessage(message, field), nested, name);
        continue;
      }
      const int count =
          field->is_repeated() ? reflection->FieldSize(message, field) : 1;
      for (int k = 0; k < count; ++k) {
        const double value = NumericValue(message, field, k);
        const std::string shown =
            field->is_repeated() ? absl::StrCat(name, "[", k, "]") : name;
        CheckValue(field, name, shown, value,
                   LineOf(tree, field, field->is_repeated() ? k : -1));
      }
    }
  }

 private:
  static double NumericValue(const Message& m, const FieldDescriptor* f,
                             int k) {
    const Reflection* r = m.GetReflection();
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return rep ? r->GetRepeatedInt32(m, f, k) : r->GetInt32(m, f);
      case FieldDescriptor::CPPTYPE_INT64:
        return rep ? r->GetRepeatedInt64(m, f, k) : r->GetInt64(m, f);
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return rep ? r->GetRepeatedDouble(m, f, k) : r->GetDouble(m, f);
      case FieldDescriptor::CPPTYPE_ENUM:
        return rep ? r->GetRepeatedEnumValue(m, f, k) : r->GetEnumValue(m, f);
      default:
        return 0.0;
    }
  }

  std::string LineOf(const TextFormat::ParseInfoTree* tree,
                     const FieldDescriptor* field, int index) const {
    if (tree == nullptr) return "(default)";
    const auto location = tree->GetLocation(field, index);
    if (location.line < 0) return "(default)";
    return absl::StrCat(location.line + 1);
  }

  void Error(const std::string& line, const std::string& field,
             const std::string& what) {
    errors_->push_back(
        absl::StrCat(filename_, ":", line, ": field ", field, " ", what));
  }

  void CheckValue(const FieldDescriptor* field, const std::string& name,
                  const std::string& shown, double value,
                  const std::string& line) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      // Kinds must be chosen explicitly where there is no sensible default.
      if (value == 0 && field->name() == "kind" && name == "dataset.kind") {
        Error(line, shown, "is required (e.g. FASHION_MNIST_BOX)");
      }
      return;
    }
    if (value != value) {
      Error(line, shown, "is NaN");
      return;
    }
    if (value < 0) {
      Error(line, shown, absl::StrCat("must be >= 0, got ", value));
      return;
    }
    if (name == "cue_proportions" && value > 1.0) {
      Error(line, shown, absl::StrCat("must be in [0, 1], got ", value));
    }
    const std::string& leaf = field->name();
    if ((leaf == "batch_size" || leaf == "box_size" ||
         leaf == "permutation_batch_size" || leaf == "width") &&
        value <= 0) {
      Error(line, shown, absl::StrCat("must be > 0, got ", value));
    }
    if (leaf == "num_points" && value < 2) {
      Error(line, shown, absl::StrCat("must be >= 2, got ", value));
    }
    if ((leaf == "validation_fraction" || leaf == "milestone_fractions") &&
        value > 1.0) {
      Error(line, shown, absl::StrCat("must be in [0, 1], got ", value));
    }
  }

  std::string filename_;
  std::vector<std::string>* errors_;
};

}  // namespace

absl::StatusOr<Spec> ParseSpecText(const std::string& text,
                                   const std::string& filename) {
  Spec spec;
  CollectingErrors errors(filename);
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  if (!parser.ParseFromString(text, &spec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad spec ", filename, ":\n", errors.Joined()));
  }
  std::vector<std::string> problems;
  Validator(filename, &problems).Walk(spec, &tree, "");
  if (!spec.has_dataset()) {
    problems.push_back(
        absl::StrCat(filename,
                     ":(default): field dataset.kind is required (e.g. "
                     "FASHION_MNIST_BOX)"));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad spec ", filename, ":\n", absl::StrJoin(problems, "\n")));
  }
  return spec;
}

absl::StatusOr<Spec> LoadSpec(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::Status(
        text.status().code(),
        absl::StrCat("cannot read spec: ", text.status().message()));
  }
  return ParseSpecText(*text, path);
}

absl::Status RequireClaims(const Spec& spec) {
  std::vector<std::string> missing;
  const google::protobuf::Descriptor* d = ClaimsSpec::descriptor();
  const google::protobuf::Reflection* r = spec.claims().GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    if (!r->HasField(spec.claims(), d->field(i))) {
      missing.push_back(absl::StrCat("claims.", d->field(i)->name()));
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("spec \"", spec.name(), "\" lacks claim thresholds (",
                   absl::StrJoin(missing, ", "),
                   "): every tier states its own, each with its source (see "
                   "specs/quick/fashion_box.textproto)"));
}

std::string CanonicalText(const Message& message) {
  TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.SetUseShortRepeatedPrimitives(true);
  std::string out;
  printer.PrintToString(message, &out);
  return out;
}

std::string PrettyText(const Message& message) {
  std::string out;
  TextFormat::PrintToString(message, &out);
  return out;
}

}  // namespace mmc
