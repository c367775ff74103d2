#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sekoia/checkpoint_store.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/intake/intake_batcher.hpp"

namespace sekoia::testing {

/** A checkpoint kept in memory; can be made to fail. */
class FakeCheckpointStore final : public CheckpointStore {
 public:
  std::optional<nlohmann::json> Load() override {
    if (corrupt) throw ParseError("context.json is not valid JSON (truncated or corrupted)");
    return saved;
  }
  void Save(const nlohmann::json& checkpoint) override {
    if (fail_saves) throw std::runtime_error("cannot create /data/context.json.tmp: Read-only file system");
    saved = checkpoint;
    ++saves;
  }
  std::optional<nlohmann::json> saved;
  bool corrupt = false;
  bool fail_saves = false;
  int saves = 0;
};

/** Keeps forwarded events; answers with a scripted result. */
class FakeIntake final : public intake::IntakeSink {
 public:
  intake::ForwardResult Forward(const std::vector<std::string_view>& events, const StopSignal&) override {
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
  std::vector<std::string> received;
  std::vector<intake::ForwardResult> results;  ///< consumed one per call; then acknowledged
  std::function<void()> on_forward;
  int calls = 0;

 private:
  std::mutex mutex_;
};

}  // namespace sekoia::testing
