#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

namespace sekoia {

/** Where a trigger keeps its cursor between runs. */
class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;
  /** The saved object; nullopt when there is none. Throws ParseError when the file exists but
   *  is not a JSON object (the caller warns and starts afresh). */
  virtual std::optional<nlohmann::json> Load() = 0;
  /** Saves atomically; throws std::runtime_error (with the path and errno text) on failure. */
  virtual void Save(const nlohmann::json& checkpoint) = 0;
};

/** A JSON file (the SDK's `context.json`), written to a temporary file, fsynced and renamed. */
class FileCheckpointStore final : public CheckpointStore {
 public:
  explicit FileCheckpointStore(std::filesystem::path path) : path_(std::move(path)) {}
  std::optional<nlohmann::json> Load() override;
  void Save(const nlohmann::json& checkpoint) override;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sekoia
