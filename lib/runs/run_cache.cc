// Implementation of lib/runs/run_cache.h.
#include "lib/runs/run_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/text_format.h"
#include "lib/models/param_io.h"
#include "lib/spec/spec_io.h"
#include "lib/util/files.h"
#include "lib/util/fnv.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// An exclusive flock held for the object's lifetime. The kernel drops it
// when the process dies, so a killed run never blocks the next one.
class FileLock {
 public:
  static absl::StatusOr<FileLock> Acquire(const std::string& path) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot open lock file ", path));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      std::cerr << "cache: another process is training this model (" << path
                << "); waiting for it\n";
      flock(fd, LOCK_EX);
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) {
      flock(fd_, LOCK_UN);
      close(fd_);
    }
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

ParamMap ToDevice(const ParamMap& params, torch::Device device) {
  ParamMap out;
  for (const auto& [name, t] : params) out[name] = t.to(device);
  return out;
}

}  // namespace

std::string CacheKeyHash(const RunKey& key) {
  const std::string text = CanonicalText(key);
  return absl::StrFormat("%016x", Fnv1a64(text.data(), text.size()));
}

std::string RunCache::ModelPath(const std::string& hash) const {
  return JoinPath(dir_, absl::StrCat("models/", hash, ".ckpt"));
}

std::string RunCache::PartialPath(const std::string& hash) const {
  return JoinPath(dir_, absl::StrCat("partial/", hash, ".ckpt"));
}

RunKey KeyOnDevice(RunKey key, torch::Device device) {
  if (!device.is_cpu()) key.set_device(device.str());
  return key;
}

RunKey RunCache::OnDevice(const RunKey& key) const {
  return KeyOnDevice(key, key_device_);
}

bool RunCache::Contains(const RunKey& key) const {
  return FileExists(ModelPath(CacheKeyHash(OnDevice(key))));
}

absl::StatusOr<TrainedModel> RunCache::Load(const RunKey& requested) {
  const RunKey key = OnDevice(requested);
  const std::string hash = CacheKeyHash(key);
  const std::string path = ModelPath(hash);
  ASSIGN_OR_RETURN(Checkpoint checkpoint, LoadCheckpoint(path));
  if (checkpoint.metadata["key"] != CanonicalText(key)) {
    return absl::DataLossError(
        absl::StrCat(path, ": stored key differs from the requested one"));
  }
  TrainedModel model;
  model.params = ToDevice(checkpoint.sections["params"], device_);
  model.hash = hash;
  model.from_cache = true;
  absl::SimpleAtod(checkpoint.metadata["train_seconds"], &model.train_seconds);
  return model;
}

std::string RunCache::KeyPath(const std::string& hash) const {
  return JoinPath(dir_, absl::StrCat("models/", hash, ".key.txt"));
}

absl::StatusOr<std::vector<RunKey>> RunCache::CachedKeys() const {
  namespace fs = std::filesystem;
  const std::string models = JoinPath(dir_, "models");
  std::vector<std::string> paths;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(models, error)) {
    if (absl::EndsWith(entry.path().filename().string(), ".key.txt")) {
      paths.push_back(entry.path().string());
    }
  }
  if (error) {
    return absl::NotFoundError(
        absl::StrCat("no run cache at ", models, ": ", error.message()));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<RunKey> keys;
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
    if (!google::protobuf::TextFormat::ParseFromString(text,
                                                       &keys.emplace_back())) {
      return absl::DataLossError(absl::StrCat(path, ": not a RunKey"));
    }
  }
  return keys;
}

absl::StatusOr<TrainedModel> RunCache::SaveModel(const RunKey& key,
                                                 const ParamMap& params,
                                                 double train_seconds) {
  TrainedModel model;
  model.hash = CacheKeyHash(key);
  model.params = ToDevice(params, device_);
  model.train_seconds = train_seconds;
  Checkpoint checkpoint;
  checkpoint.metadata["key"] = CanonicalText(key);
  checkpoint.metadata["train_seconds"] = absl::StrCat(train_seconds);
  checkpoint.sections["params"] = params;
  RETURN_IF_ERROR(MakeDirs(JoinPath(dir_, "models")));
  RETURN_IF_ERROR(SaveCheckpoint(ModelPath(model.hash), checkpoint));
  RETURN_IF_ERROR(WriteFileAtomically(KeyPath(model.hash), PrettyText(key)));
  return model;
}

absl::StatusOr<TrainedModel> RunCache::Store(const RunKey& key,
                                             const ParamMap& params) {
  return SaveModel(OnDevice(key), params, /*train_seconds=*/0.0);
}

absl::StatusOr<TrainedModel> RunCache::TrainOrLoad(
    const TrainRequest& request) {
  const RunKey key = OnDevice(request.key);
  const std::string hash = CacheKeyHash(key);
  const std::string key_text = CanonicalText(key);
  const std::string model_path = ModelPath(hash);
  const std::string partial_path = PartialPath(hash);
  if (!training_enabled_) {
    absl::StatusOr<TrainedModel> cached = Load(request.key);
    if (cached.ok()) return cached;
    return absl::FailedPreconditionError(absl::StrCat(
        "training is disabled and ", request.loop.label, " (", hash,
        ") cannot be loaded from ", dir_, ": ", cached.status().message()));
  }
  RETURN_IF_ERROR(MakeDirs(JoinPath(dir_, "locks")));
  ASSIGN_OR_RETURN(
      FileLock lock,
      FileLock::Acquire(JoinPath(dir_, absl::StrCat("locks/", hash, ".lock"))));
  if (FileExists(model_path)) {
    absl::StatusOr<TrainedModel> cached = Load(request.key);
    if (cached.ok()) return cached;
    std::cerr << "cache: warning: " << cached.status().message()
              << "; discarding it and retraining\n";
    std::remove(model_path.c_str());
  }

  ParamMap params = request.init();
  LoopState state;
  double previous_seconds = 0.0;
  if (FileExists(partial_path)) {
    absl::StatusOr<Checkpoint> partial = LoadCheckpoint(partial_path);
    // A partial checkpoint resumes only with its own key and a readable
    // epoch count within the run; anything else restarts from scratch (a
    // count read as 0 would retrain already-trained parameters).
    int epochs_done = -1;
    std::string problem;
    if (!partial.ok()) {
      problem = std::string(partial.status().message());
    } else if (partial->metadata["key"] != key_text) {
      problem = "partial checkpoint has another key";
    } else if (!absl::SimpleAtoi(partial->metadata["epochs_done"],
                                 &epochs_done) ||
               epochs_done < 1 || epochs_done >= request.loop.train.epochs()) {
      problem = absl::StrCat("partial checkpoint has an invalid epochs_done '",
                             partial->metadata["epochs_done"], "'");
    }
    if (problem.empty()) {
      params = ToDevice(partial->sections["params"], device_);
      state.momentum = ToDevice(partial->sections["momentum"], device_);
      state.epochs_done = epochs_done;
      if (!absl::SimpleAtod(partial->metadata["train_seconds"],
                            &previous_seconds)) {
        previous_seconds = 0.0;  // Only the reported training time.
      }
      std::cerr << "cache: resuming " << request.loop.label << " after epoch "
                << state.epochs_done << " from " << partial_path << "\n";
    } else {
      std::cerr << "cache: warning: " << problem << "; starting "
                << request.loop.label << " from scratch\n";
      std::remove(partial_path.c_str());
    }
  }

  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&start, previous_seconds] {
    return previous_seconds + std::chrono::duration<double>(
                                  std::chrono::steady_clock::now() - start)
                                  .count();
  };
  auto save_partial = [&](const LoopState& s, const ParamMap& p) {
    if (s.epochs_done >= request.loop.train.epochs()) return absl::OkStatus();
    Checkpoint checkpoint;
    checkpoint.metadata["key"] = key_text;
    checkpoint.metadata["epochs_done"] = absl::StrCat(s.epochs_done);
    checkpoint.metadata["train_seconds"] = absl::StrCat(elapsed());
    checkpoint.sections["params"] = p;
    checkpoint.sections["momentum"] = s.momentum;
    return SaveCheckpoint(partial_path, checkpoint);
  };
  absl::Status trained =
      RunSgdLoop(request.loop, request.loss, &params, &state, save_partial);
  if (!trained.ok()) {
    std::remove(partial_path.c_str());
    return trained;
  }
  ASSIGN_OR_RETURN(TrainedModel model, SaveModel(key, params, elapsed()));
  std::remove(partial_path.c_str());
  return model;
}

}  // namespace mmc
