#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sekoia/object_store.hpp"

namespace sekoia {

/** Where a trigger keeps its cursor between runs. */
class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;
  /** The saved object; nullopt when there is none. Throws ParseError when it exists but is not
   *  a JSON object (the caller warns and starts afresh), StorageError when it exists but cannot
   *  be read or the store cannot be reached (the caller must not start afresh over it). */
  virtual std::optional<nlohmann::json> Load() = 0;
  /** Saves atomically; throws (StorageError, with the place and the reason) on failure. */
  virtual void Save(const nlohmann::json& checkpoint) = 0;
};

/** A JSON document (the SDK's `context.json`) as one object of an ObjectStore. */
class ObjectCheckpointStore final : public CheckpointStore {
 public:
  /** `objects` is borrowed. */
  ObjectCheckpointStore(ObjectStore& objects, std::string name)
      : objects_(objects), name_(std::move(name)) {}
  std::optional<nlohmann::json> Load() override;
  void Save(const nlohmann::json& checkpoint) override;

 private:
  ObjectStore& objects_;
  std::string name_;
};

/** A JSON file, written with WriteFileDurably (temporary file, fsync, rename, directory fsync). */
class FileCheckpointStore final : public CheckpointStore {
 public:
  explicit FileCheckpointStore(std::filesystem::path path)
      : path_(std::move(path)),
        directory_(path_.parent_path()),
        store_(directory_, path_.filename().string()) {}
  std::optional<nlohmann::json> Load() override { return store_.Load(); }
  void Save(const nlohmann::json& checkpoint) override { store_.Save(checkpoint); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  DirectoryObjectStore directory_;
  ObjectCheckpointStore store_;
};

}  // namespace sekoia
