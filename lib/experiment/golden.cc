// Implementation of lib/experiment/golden.h.
#include "lib/experiment/golden.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "lib/report/markdown.h"
#include "lib/util/files.h"

namespace mmc {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Text of a non-message, non-double field value (repeated: entry k).
std::string ScalarText(const Message& m, const FieldDescriptor* f, int k) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, k) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, k) : r->GetBool(m, f)) ? "true"
                                                                    : "false";
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, k)
                              : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, k)
                              : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_ENUM:
      return absl::StrCat(rep ? r->GetRepeatedEnumValue(m, f, k)
                              : r->GetEnumValue(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(rep ? r->GetRepeatedFloat(m, f, k)
                              : r->GetFloat(m, f));
    default:
      return "?";
  }
}

void Compare(const Message& a, const Message& g, const std::string& path,
             const GoldenTolerances& tol, std::vector<std::string>* out) {
  const Reflection* ra = a.GetReflection();
  const Reflection* rg = g.GetReflection();
  const auto* descriptor = a.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (tol.ignored.count(f->name())) continue;
    const std::string name =
        path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    const int na = f->is_repeated() ? ra->FieldSize(a, f) : 1;
    const int ng = f->is_repeated() ? rg->FieldSize(g, f) : 1;
    if (na != ng) {
      out->push_back(absl::StrCat(name, ": ", na, " entries, golden has ", ng));
      continue;
    }
    for (int k = 0; k < na; ++k) {
      const std::string at =
          f->is_repeated() ? absl::StrCat(name, "[", k, "]") : name;
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_MESSAGE:
          Compare(f->is_repeated() ? ra->GetRepeatedMessage(a, f, k)
                                   : ra->GetMessage(a, f),
                  f->is_repeated() ? rg->GetRepeatedMessage(g, f, k)
                                   : rg->GetMessage(g, f),
                  at, tol, out);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE: {
          const double x = f->is_repeated() ? ra->GetRepeatedDouble(a, f, k)
                                            : ra->GetDouble(a, f);
          const double y = f->is_repeated() ? rg->GetRepeatedDouble(g, f, k)
                                            : rg->GetDouble(g, f);
          auto it = tol.by_field.find(f->name());
          double limit = it == tol.by_field.end() ? 1e-9 : it->second;
          if (auto rel = tol.relative_by_field.find(f->name());
              rel != tol.relative_by_field.end()) {
            limit += rel->second * std::abs(y);
          }
          if (!(std::abs(x - y) <= limit)) {
            out->push_back(absl::StrCat(at, ": got ", x, ", golden ", y,
                                        " (tolerance ", limit, ")"));
          }
          break;
        }
        default: {
          const std::string x = ScalarText(a, f, k);
          const std::string y = ScalarText(g, f, k);
          if (x != y) {
            out->push_back(
                absl::StrCat(at, ": got '", x, "', golden '", y, "'"));
          }
        }
      }
    }
  }
}

}  // namespace

std::vector<std::string> CompareToGolden(const Message& actual,
                                         const Message& golden,
                                         const GoldenTolerances& tolerances) {
  std::vector<std::string> out;
  Compare(actual, golden, "", tolerances, &out);
  return out;
}

absl::Status ReadGolden(const std::string& path, Message* message) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  const auto status =
      google::protobuf::util::JsonStringToMessage(*text, message);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", status.ToString()));
  }
  return absl::OkStatus();
}

absl::Status WriteGolden(const std::string& path, const Message& message) {
  return WriteJson(path, message);
}

}  // namespace mmc
