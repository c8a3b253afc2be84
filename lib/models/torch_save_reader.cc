// Implementation of lib/models/torch_save_reader.h.
#include "lib/models/torch_save_reader.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// Values live in the unpickler's arena and point at each other with raw
// pointers: freeing them is one flat loop, however deeply a (malicious) file
// nests its containers (shared_ptr chains would recurse and overflow the
// stack).
struct PyValue;
using PyRef = PyValue*;
struct PyValue {
  enum Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kTensor,
    kMark
  };
  Kind kind = kNone;
  int64_t i = 0;
  double f = 0.0;
  std::string s;                              // kString; kGlobal "mod.name"
  std::vector<PyRef> items;                   // kTuple, kList
  std::vector<std::pair<PyRef, PyRef>> dict;  // kDict, in insertion order
  torch::Tensor tensor;                       // kTensor (storages too)
};

const char* KindName(PyValue::Kind k) {
  static const char* const kNames[] = {"None",   "bool",   "int",  "float",
                                       "str",    "tuple",  "list", "dict",
                                       "global", "tensor", "mark"};
  return kNames[k];
}

const std::map<std::string, torch::ScalarType>& StorageTypes() {
  static const auto* types = new std::map<std::string, torch::ScalarType>{
      {"torch.FloatStorage", torch::kFloat},
      {"torch.DoubleStorage", torch::kDouble},
      {"torch.HalfStorage", torch::kHalf},
      {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kLong},
      {"torch.IntStorage", torch::kInt},
      {"torch.ShortStorage", torch::kShort},
      {"torch.CharStorage", torch::kChar},
      {"torch.ByteStorage", torch::kByte},
      {"torch.BoolStorage", torch::kBool}};
  return *types;
}

class Unpickler {
 public:
  Unpickler(const std::string& pickle,
            caffe2::serialize::PyTorchStreamReader* archive)
      : p_(pickle), archive_(archive) {}

  // The root stays valid as long as the unpickler.

  absl::StatusOr<PyRef> Run() {
    while (true) {
      if (pos_ >= p_.size()) return Error("the pickle ends without STOP");
      const unsigned char op = p_[pos_++];
      RETURN_IF_ERROR(Step(op));
      if (op == '.') break;
    }
    if (stack_.size() != 1) return Error("malformed pickle (stack)");
    return stack_.back();
  }

 private:
  PyRef Make(PyValue::Kind kind) {
    arena_.push_back(std::make_unique<PyValue>());
    arena_.back()->kind = kind;
    return arena_.back().get();
  }

  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " (at byte ", pos_, " of the pickle)"));
  }
  absl::Status Need(size_t n) const {
    return pos_ + n <= p_.size() ? absl::OkStatus()
                                 : Error("the pickle is truncated");
  }
  uint64_t ReadLE(size_t n) {
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(p_[pos_ + k]))
           << (8 * k);
    }
    pos_ += n;
    return v;
  }
  std::string ReadLine() {
    const size_t end = p_.find('\n', pos_);
    const size_t stop = end == std::string::npos ? p_.size() : end;
    std::string line = p_.substr(pos_, stop - pos_);
    pos_ = end == std::string::npos ? p_.size() : end + 1;
    return line;
  }
  absl::StatusOr<PyRef> Pop() {
    if (stack_.empty()) return Error("malformed pickle (empty stack)");
    PyRef v = stack_.back();
    stack_.pop_back();
    return v;
  }
  // Everything above the topmost mark, which is removed.
  absl::StatusOr<std::vector<PyRef>> PopToMark() {
    size_t mark = stack_.size();
    while (mark > 0 && stack_[mark - 1]->kind != PyValue::kMark) --mark;
    if (mark == 0) return Error("malformed pickle (no mark)");
    std::vector<PyRef> items(stack_.begin() + mark, stack_.end());
    stack_.resize(mark - 1);
    return items;
  }
  void Push(PyRef v) { stack_.push_back(v); }
  void PushInt(int64_t v) {
    PyRef r = Make(PyValue::kInt);
    r->i = v;
    Push(r);
  }
  void PushTuple(std::vector<PyRef> items) {
    PyRef r = Make(PyValue::kTuple);
    r->items = std::move(items);
    Push(r);
  }
  absl::Status PushString(size_t length) {
    RETURN_IF_ERROR(Need(length));
    PyRef r = Make(PyValue::kString);
    r->s = p_.substr(pos_, length);
    pos_ += length;
    Push(r);
    return absl::OkStatus();
  }
  absl::Status Memoize(uint64_t index) {
    if (stack_.empty()) return Error("malformed pickle (memo)");
    memo_[index] = stack_.back();
    return absl::OkStatus();
  }
  absl::Status Recall(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Error("malformed pickle (memo miss)");
    Push(it->second);
    return absl::OkStatus();
  }
  absl::Status SetItems(const std::vector<PyRef>& items) {
    if (stack_.empty() || stack_.back()->kind != PyValue::kDict ||
        items.size() % 2 != 0) {
      return Error("SETITEMS outside a dict");
    }
    for (size_t k = 0; k < items.size(); k += 2) {
      stack_.back()->dict.emplace_back(items[k], items[k + 1]);
    }
    return absl::OkStatus();
  }
  absl::Status Append(const std::vector<PyRef>& items) {
    if (stack_.empty() || stack_.back()->kind != PyValue::kList) {
      return Error("APPENDS outside a list");
    }
    for (const PyRef& item : items) stack_.back()->items.push_back(item);
    return absl::OkStatus();
  }

  absl::Status Global(const std::string& module, const std::string& name) {
    const std::string full = absl::StrCat(module, ".", name);
    if (full != "collections.OrderedDict" &&
        full != "torch._utils._rebuild_tensor_v2" &&
        full != "torch._utils._rebuild_parameter" &&
        StorageTypes().count(full) == 0) {
      return Error(absl::StrCat(
          "the file refers to the Python object ", full,
          ", which a state dict of tensors never needs; refusing to load it "
          "(only tensors and plain containers are read, no code runs)"));
    }
    PyRef g = Make(PyValue::kGlobal);
    g->s = full;
    Push(g);
    return absl::OkStatus();
  }

  // BINPERSID with ('storage', torch.<Type>Storage, key, location, numel):
  // the tensor data of record data/<key>, read once per key.
  absl::Status PersistentLoad() {
    ASSIGN_OR_RETURN(PyRef pid, Pop());
    if (pid->kind != PyValue::kTuple || pid->items.size() < 5 ||
        pid->items[0]->s != "storage" ||
        pid->items[1]->kind != PyValue::kGlobal ||
        pid->items[2]->kind != PyValue::kString) {
      return Error("unsupported persistent id (not a tensor storage)");
    }
    const std::string& key = pid->items[2]->s;
    auto cached = storages_.find(key);
    if (cached == storages_.end()) {
      auto dtype = StorageTypes().find(pid->items[1]->s);
      if (dtype == StorageTypes().end()) {
        return Error("unknown storage type " + pid->items[1]->s);
      }
      const std::string record = "data/" + key;
      if (!archive_->hasRecord(record)) {
        return Error("the archive lacks the tensor data " + record);
      }
      auto [data, size] = archive_->getRecord(record);
      const int64_t element = torch::elementSize(dtype->second);
      torch::Tensor storage =
          torch::from_blob(
              data.get(), {static_cast<int64_t>(size) / element},
              torch::TensorOptions().dtype(dtype->second).device(torch::kCPU))
              .clone();
      storage_elements_ += storage.numel();
      cached = storages_.emplace(key, storage).first;
    }
    PyRef r = Make(PyValue::kTensor);
    r->tensor = cached->second;
    Push(r);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int64_t>> Ints(const PyRef& tuple) const {
    if (tuple->kind != PyValue::kTuple) return Error("expected ints");
    std::vector<int64_t> out;
    for (const PyRef& v : tuple->items) {
      if (v->kind != PyValue::kInt) return Error("expected ints");
      out.push_back(v->i);
    }
    return out;
  }

  absl::Status Reduce() {
    ASSIGN_OR_RETURN(PyRef args, Pop());
    ASSIGN_OR_RETURN(PyRef callable, Pop());
    if (callable->kind != PyValue::kGlobal || args->kind != PyValue::kTuple) {
      return Error("REDUCE on something other than an allowed global");
    }
    const std::vector<PyRef>& a = args->items;
    if (callable->s == "collections.OrderedDict") {
      if (!a.empty()) return Error("OrderedDict with arguments");
      Push(Make(PyValue::kDict));
    } else if (callable->s == "torch._utils._rebuild_tensor_v2") {
      if (a.size() < 4 || a[0]->kind != PyValue::kTensor ||
          a[1]->kind != PyValue::kInt) {
        return Error("malformed _rebuild_tensor_v2 arguments");
      }
      ASSIGN_OR_RETURN(std::vector<int64_t> size, Ints(a[2]));
      ASSIGN_OR_RETURN(std::vector<int64_t> stride, Ints(a[3]));
      if (size.size() != stride.size()) return Error("size/stride mismatch");
      const torch::Tensor& storage = a[0]->tensor;
      const int64_t offset = a[1]->i;
      // The last element's index and the element count, overflow-checked: a
      // tensor must lie inside its storage and hold no more elements than
      // it (state dicts hold no expanded views), and the file may not make
      // us clone more than a few times its stored data.
      int64_t last = offset, numel = 1;
      bool bad = offset < 0;
      for (size_t d = 0; d < size.size() && !bad; ++d) {
        int64_t span = 0;
        bad = size[d] < 0 || stride[d] < 0 ||
              __builtin_mul_overflow(size[d] > 0 ? size[d] - 1 : 0, stride[d],
                                     &span) ||
              __builtin_add_overflow(last, span, &last) ||
              __builtin_mul_overflow(numel, size[d], &numel);
      }
      if (bad ||
          (numel > 0 && (last >= storage.numel() || numel > storage.numel()))) {
        return Error("a tensor reaches beyond its storage");
      }
      cloned_elements_ += numel;
      if (cloned_elements_ > 4 * storage_elements_ + 1024) {
        return Error("the file rebuilds far more tensor data than it stores");
      }
      PyRef r = Make(PyValue::kTensor);
      r->tensor = storage.as_strided(size, stride, offset).clone();
      Push(r);
    } else if (callable->s == "torch._utils._rebuild_parameter") {
      if (a.empty() || a[0]->kind != PyValue::kTensor) {
        return Error("malformed _rebuild_parameter arguments");
      }
      Push(a[0]);
    } else {
      return Error("cannot call " + callable->s);
    }
    return absl::OkStatus();
  }

  absl::Status Step(unsigned char op) {
    switch (op) {
      case 0x80:  // PROTO
        RETURN_IF_ERROR(Need(1));
        ++pos_;
        return absl::OkStatus();
      case 0x95:  // FRAME
        RETURN_IF_ERROR(Need(8));
        pos_ += 8;
        return absl::OkStatus();
      case '.':  // STOP
        return absl::OkStatus();
      case '(':  // MARK
        Push(Make(PyValue::kMark));
        return absl::OkStatus();
      case 'N':
        Push(Make(PyValue::kNone));
        return absl::OkStatus();
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        PyRef r = Make(PyValue::kBool);
        r->i = op == 0x88;
        Push(r);
        return absl::OkStatus();
      }
      case 'K':
        RETURN_IF_ERROR(Need(1));
        PushInt(static_cast<int64_t>(ReadLE(1)));
        return absl::OkStatus();
      case 'M':
        RETURN_IF_ERROR(Need(2));
        PushInt(static_cast<int64_t>(ReadLE(2)));
        return absl::OkStatus();
      case 'J':
        RETURN_IF_ERROR(Need(4));
        PushInt(static_cast<int32_t>(ReadLE(4)));
        return absl::OkStatus();
      case 0x8a: {  // LONG1
        RETURN_IF_ERROR(Need(1));
        const size_t n = ReadLE(1);
        if (n > 8) return Error("integer too large");
        RETURN_IF_ERROR(Need(n));
        uint64_t v = ReadLE(n);
        if (n > 0 && n < 8 && ((v >> (8 * n - 1)) & 1)) v |= ~0ULL << (8 * n);
        PushInt(static_cast<int64_t>(v));
        return absl::OkStatus();
      }
      case 'G': {  // BINFLOAT, big-endian
        RETURN_IF_ERROR(Need(8));
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) {
          bits = (bits << 8) | static_cast<unsigned char>(p_[pos_ + k]);
        }
        pos_ += 8;
        PyRef r = Make(PyValue::kFloat);
        std::memcpy(&r->f, &bits, sizeof(bits));
        Push(r);
        return absl::OkStatus();
      }
      case 'X':  // BINUNICODE
      case 'T':  // BINSTRING
        RETURN_IF_ERROR(Need(4));
        return PushString(ReadLE(4));
      case 0x8c:  // SHORT_BINUNICODE
      case 'U':   // SHORT_BINSTRING
        RETURN_IF_ERROR(Need(1));
        return PushString(ReadLE(1));
      case 'c': {  // GLOBAL
        const std::string module = ReadLine();
        const std::string name = ReadLine();
        return Global(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        ASSIGN_OR_RETURN(PyRef name, Pop());
        ASSIGN_OR_RETURN(PyRef module, Pop());
        return Global(module->s, name->s);
      }
      case 'q':  // BINPUT
        RETURN_IF_ERROR(Need(1));
        return Memoize(ReadLE(1));
      case 'r':  // LONG_BINPUT
        RETURN_IF_ERROR(Need(4));
        return Memoize(ReadLE(4));
      case 0x94:  // MEMOIZE
        return Memoize(memo_.size());
      case 'h':  // BINGET
        RETURN_IF_ERROR(Need(1));
        return Recall(ReadLE(1));
      case 'j':  // LONG_BINGET
        RETURN_IF_ERROR(Need(4));
        return Recall(ReadLE(4));
      case ')':
        PushTuple({});
        return absl::OkStatus();
      case 0x85:    // TUPLE1
      case 0x86:    // TUPLE2
      case 0x87: {  // TUPLE3
        const size_t n = op - 0x84;
        if (stack_.size() < n) return Error("malformed pickle (tuple)");
        std::vector<PyRef> items(stack_.end() - n, stack_.end());
        stack_.resize(stack_.size() - n);
        PushTuple(std::move(items));
        return absl::OkStatus();
      }
      case 't': {
        ASSIGN_OR_RETURN(std::vector<PyRef> items, PopToMark());
        PushTuple(std::move(items));
        return absl::OkStatus();
      }
      case ']':
        Push(Make(PyValue::kList));
        return absl::OkStatus();
      case 'a': {
        ASSIGN_OR_RETURN(PyRef item, Pop());
        return Append({item});
      }
      case 'e': {
        ASSIGN_OR_RETURN(std::vector<PyRef> items, PopToMark());
        return Append(items);
      }
      case '}':
        Push(Make(PyValue::kDict));
        return absl::OkStatus();
      case 's': {
        ASSIGN_OR_RETURN(PyRef value, Pop());
        ASSIGN_OR_RETURN(PyRef key, Pop());
        return SetItems({key, value});
      }
      case 'u': {
        ASSIGN_OR_RETURN(std::vector<PyRef> items, PopToMark());
        return SetItems(items);
      }
      case 'Q':
        return PersistentLoad();
      case 'R':
        return Reduce();
      case 'b': {  // BUILD: only an OrderedDict's state (its _metadata).
        ASSIGN_OR_RETURN(PyRef state, Pop());
        if (stack_.empty() || stack_.back()->kind != PyValue::kDict) {
          return Error("BUILD on something other than a dict");
        }
        return absl::OkStatus();
      }
      default:
        return Error(absl::StrFormat("unsupported pickle opcode 0x%02x", op));
    }
  }

  const std::string& p_;
  caffe2::serialize::PyTorchStreamReader* archive_;
  size_t pos_ = 0;
  std::vector<PyRef> stack_;
  std::map<uint64_t, PyRef> memo_;
  std::map<std::string, torch::Tensor> storages_;
  int64_t storage_elements_ = 0;  // Of every storage read.
  int64_t cloned_elements_ = 0;   // Of every tensor rebuilt.
  std::vector<std::unique_ptr<PyValue>> arena_;
};

std::string FirstLine(const char* what) {
  const std::string text(what);
  return text.substr(0, text.find('\n'));
}

}  // namespace

absl::StatusOr<std::vector<TorchSaveEntry>> ReadTorchSaveDict(
    const std::string& bytes) {
  std::vector<TorchSaveEntry> entries;
  try {
    std::istringstream stream(bytes);
    caffe2::serialize::PyTorchStreamReader archive(&stream);
    if (!archive.hasRecord("data.pkl")) {
      return absl::DataLossError(
          "a zip archive without data.pkl, not a torch.save file");
    }
    if (archive.hasRecord("byteorder")) {
      auto [order, order_size] = archive.getRecord("byteorder");
      const std::string text(static_cast<const char*>(order.get()), order_size);
      if (text != "little") {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensors stored in ", text,
            "-endian byte order; only little-endian files are read"));
      }
    }
    auto [data, size] = archive.getRecord("data.pkl");
    const std::string pickle(static_cast<const char*>(data.get()), size);
    Unpickler unpickler(pickle, &archive);
    ASSIGN_OR_RETURN(PyRef root, unpickler.Run());
    if (root->kind != PyValue::kDict) {
      return absl::InvalidArgumentError(
          absl::StrCat("holds a ", KindName(root->kind),
                       ", not a state dict (a dict from name to tensor)"));
    }
    for (const auto& [key, value] : root->dict) {
      TorchSaveEntry& e = entries.emplace_back();
      if (key->kind == PyValue::kString) {
        e.key = key->s;
      } else {
        e.key_type = KindName(key->kind);
      }
      if (value->kind == PyValue::kTensor) {
        e.tensor = value->tensor;
      } else {
        e.value_type = KindName(value->kind);
      }
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(
        "not a torch.save file (the zip format of PyTorch >= 1.6), or "
        "truncated: ",
        FirstLine(e.what())));
  }
  return entries;
}

}  // namespace mmc
