#include "sekoia/object_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "sekoia/errors.hpp"

namespace sekoia {
namespace {

[[noreturn]] void Fail(const std::string& step, const std::filesystem::path& path, int error) {
  throw StorageError("cannot " + step + " " + path.string() + ": " +
                     std::generic_category().message(error));
}

// Closes once; Close() reports the result, which on some file systems (NFS) is where a failed
// write shows.
class Descriptor final {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  int Close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

void WriteAll(int fd, std::string_view content, const std::filesystem::path& path) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail("write", path, errno);
    written += static_cast<std::size_t>(n);
  }
}

void SyncDirectory(const std::filesystem::path& file) {
  const std::filesystem::path directory = file.parent_path().empty() ? "." : file.parent_path();
  Descriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) Fail("open the directory", directory, errno);
  // EINVAL: a file system that cannot sync a directory (it has nothing more to write).
  if (::fsync(dir.get()) != 0 && errno != EINVAL) Fail("sync the directory", directory, errno);
}

// A path's file descriptor, checked to be a regular file.
void RequireRegular(int fd, const std::filesystem::path& path) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) Fail("examine", path, errno);
  if (S_ISDIR(status.st_mode))
    throw StorageError("cannot use " + path.string() + ": a directory is in its place");
  if (!S_ISREG(status.st_mode))
    throw StorageError("cannot use " + path.string() + ": it is not a regular file");
}

}  // namespace

void WriteFileDurably(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::open(temporary.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST) {
    // The leftover of a crash, or something planted there: removed (unlink removes a symbolic
    // link itself, never its target), then the file is created anew, exclusively.
    if (::unlink(temporary.c_str()) != 0 && errno != ENOENT)
      Fail("remove the leftover", temporary, errno);
    fd = ::open(temporary.c_str(), flags, 0600);
  }
  if (fd < 0) Fail("create", temporary, errno);
  Descriptor file(fd);
  try {
    WriteAll(file.get(), content, temporary);
    // Synced before the rename: after a crash the file is the old or the new content, whole.
    if (::fsync(file.get()) != 0) Fail("sync", temporary, errno);
    if (file.Close() != 0) Fail("close", temporary, errno);
    if (::rename(temporary.c_str(), path.c_str()) != 0) Fail("rename onto", path, errno);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  // The rename itself is durable only once the directory is.
  SyncDirectory(path);
}

void AppendFileDurably(const std::filesystem::path& path, std::string_view content) {
  Descriptor file(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (file.get() < 0) Fail("open", path, errno);
  RequireRegular(file.get(), path);
  WriteAll(file.get(), content, path);
  if (::fsync(file.get()) != 0) Fail("sync", path, errno);
  if (file.Close() != 0) Fail("close", path, errno);
  SyncDirectory(path);  // the file may have just been created
}

std::optional<std::string> ReadFileIfExists(const std::filesystem::path& path) {
  // O_NONBLOCK: a FIFO planted there must not block the open; it is then refused as not a file.
  Descriptor file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    Fail("read", path, errno);
  }
  RequireRegular(file.get(), path);
  std::string content;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(file.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail("read", path, errno);
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

std::optional<std::string> DirectoryObjectStore::Read(const std::string& name) {
  return ReadFileIfExists(directory_ / name);
}

void DirectoryObjectStore::Write(const std::string& name, std::string_view content) {
  WriteFileDurably(directory_ / name, content);
}

bool DirectoryObjectStore::Append(const std::string& name, std::string_view content) {
  AppendFileDurably(directory_ / name, content);
  return true;
}

std::string DirectoryObjectStore::Where(const std::string& name) const {
  return (directory_ / name).string();
}

DirectoryLock::DirectoryLock(const std::filesystem::path& directory) {
  const std::filesystem::path path = directory / "trigger.lock";
  Descriptor file(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (file.get() < 0) Fail("open the lock file", path, errno);
  if (::flock(file.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) Fail("lock", path, errno);
    char holder[32] = {};
    const ssize_t n = ::pread(file.get(), holder, sizeof holder - 1, 0);
    std::string pid = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() < '0' || pid.back() > '9'))
      pid.pop_back();
    throw StorageError(
        "another trigger is using " + directory.string() + " (lock held on " + path.string() +
        (pid.empty() ? "" : " by process " + pid) +
        "): stop it first, or give each trigger its own data directory (or sub_folder)");
  }
  // For the message above, in the next process that finds the lock held.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(file.get(), 0) == 0) {
    const ssize_t ignored = ::pwrite(file.get(), pid.data(), pid.size(), 0);
    (void)ignored;  // the pid is only a hint; the lock is the flock
  }
  fd_ = file.Release();
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace sekoia
