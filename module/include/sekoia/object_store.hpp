#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sekoia {

/**
 * Whole named objects (`context.json`, `forwarded_keys.txt`) where the trigger keeps its state:
 * a directory, or a bucket of an object storage. Not thread-safe (one thread uses it).
 */
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  /** The object's content; nullopt when there is no such object. Throws StorageError when it
   *  exists but cannot be read, or the store cannot be reached. */
  virtual std::optional<std::string> Read(const std::string& name) = 0;
  /** Replaces the object as a whole: afterwards it holds `content` or, on failure, what it
   *  held before (never a part). Throws StorageError. */
  virtual void Write(const std::string& name, std::string_view content) = 0;
  /** Adds `content` at the end of the object, durably. Returns false, having done nothing, when
   *  the store cannot append (object storage): the caller then writes the whole object. Throws
   *  StorageError. */
  virtual bool Append(const std::string& name, std::string_view content) = 0;
  /** Where the object lives, for messages (a path, or `s3://bucket/key`). */
  virtual std::string Where(const std::string& name) const = 0;
};

/** Objects as files of one directory, written with WriteFileDurably. */
class DirectoryObjectStore final : public ObjectStore {
 public:
  explicit DirectoryObjectStore(std::filesystem::path directory)
      : directory_(std::move(directory)) {}
  std::optional<std::string> Read(const std::string& name) override;
  void Write(const std::string& name, std::string_view content) override;
  bool Append(const std::string& name, std::string_view content) override;
  std::string Where(const std::string& name) const override;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path directory_;
};

/**
 * Replaces `path` durably: writes `<path>.tmp` (created exclusively, O_EXCL | O_NOFOLLOW, so a
 * symbolic link planted there is never followed: a leftover is unlinked, not written through),
 * fsyncs it, renames it over `path` and fsyncs the directory. After a crash `path` holds the old
 * or the new content, whole. Every step's result is checked; throws StorageError naming the
 * file, the step and the system's reason.
 */
void WriteFileDurably(const std::filesystem::path& path, std::string_view content);

/** Appends to `path` (created 0600 when missing, never through a symbolic link), fsyncs it and
 *  its directory. Throws StorageError. */
void AppendFileDurably(const std::filesystem::path& path, std::string_view content);

/** The content of the regular file `path`; nullopt when it does not exist. Throws StorageError
 *  when it exists but cannot be read (permissions, an I/O error, a directory in its place). */
std::optional<std::string> ReadFileIfExists(const std::filesystem::path& path);

/**
 * An exclusive `flock` on `<directory>/trigger.lock`, held while the object lives (and released
 * by the kernel when the process ends, however it ends), so two triggers never write the same
 * checkpoint. Throws StorageError when another process holds it or it cannot be taken.
 */
class DirectoryLock final {
 public:
  explicit DirectoryLock(const std::filesystem::path& directory);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace sekoia
