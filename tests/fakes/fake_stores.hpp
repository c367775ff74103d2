#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sekoia/checkpoint_store.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/intake/intake_batcher.hpp"
#include "sekoia/object_store.hpp"

namespace sekoia::testing {

/** A checkpoint kept in memory; can be made to fail. */
class FakeCheckpointStore final : public CheckpointStore {
 public:
  std::optional<nlohmann::json> Load() override {
    if (corrupt) throw ParseError("context.json is not valid JSON (truncated or corrupted)");
    if (unreadable) throw StorageError("cannot read /data/context.json: Input/output error");
    return saved;
  }
  void Save(const nlohmann::json& checkpoint) override {
    if (fail_saves)
      throw std::runtime_error("cannot create /data/context.json.tmp: Read-only file system");
    saved = checkpoint;
    ++saves;
  }
  std::optional<nlohmann::json> saved;
  bool corrupt = false;
  bool unreadable = false;
  bool fail_saves = false;
  int saves = 0;
};

/** Objects in memory, as an object storage keeps them: no append, whole writes; can fail. */
class FakeObjectStore final : public ObjectStore {
 public:
  std::optional<std::string> Read(const std::string& name) override {
    if (fail) throw StorageError("object storage 127.0.0.1:9: unreachable when reading " + name);
    auto it = objects.find(name);
    if (it == objects.end()) return std::nullopt;
    return it->second;
  }
  void Write(const std::string& name, std::string_view content) override {
    if (fail) throw StorageError("object storage 127.0.0.1:9: unreachable when writing " + name);
    objects[name] = std::string(content);
    ++writes;
  }
  bool Append(const std::string&, std::string_view) override { return false; }
  std::string Where(const std::string& name) const override { return "s3://bucket/" + name; }
  std::map<std::string, std::string> objects;
  bool fail = false;
  int writes = 0;
};

/** Keeps forwarded events; answers with a scripted result. */
class FakeIntake final : public intake::IntakeSink {
 public:
  intake::ForwardResult Forward(const std::vector<std::string_view>& events,
                                const StopSignal&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls;
    if (!results.empty()) {
      auto result = results.front();
      results.erase(results.begin());
      if (result != intake::ForwardResult::kAcknowledged) return result;
    }
    for (auto e : events) received.emplace_back(e);
    if (on_forward) on_forward();
    return intake::ForwardResult::kAcknowledged;
  }
  void ReleaseMemory() override {
    ++releases;
    if (on_release) on_release();
  }
  std::vector<std::string> received;
  std::vector<intake::ForwardResult> results;  ///< consumed one per call; then acknowledged
  std::function<void()> on_forward;
  int calls = 0;
  int releases = 0;                  ///< ReleaseMemory calls
  std::function<void()> on_release;  ///< called by each of them

 private:
  std::mutex mutex_;
};

}  // namespace sekoia::testing
