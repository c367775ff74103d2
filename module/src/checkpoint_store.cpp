#include "sekoia/checkpoint_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sekoia/errors.hpp"

namespace sekoia {
namespace {

[[noreturn]] void Fail(const std::string& what, const std::filesystem::path& path) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

std::optional<nlohmann::json> FileCheckpointStore::Load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    throw ParseError("cannot read " + path_.string() + ": " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw ParseError(path_.string() + " is empty");
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) throw ParseError(path_.string() + " is not valid JSON (truncated or corrupted)");
  if (!value.is_object()) throw ParseError(path_.string() + " does not hold a JSON object");
  return value;
}

void FileCheckpointStore::Save(const nlohmann::json& checkpoint) {
  const std::string text = checkpoint.dump() + "\n";
  std::filesystem::path temporary = path_;
  temporary += ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) Fail("cannot create", temporary);
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      errno = saved;
      Fail("cannot write", temporary);
    }
    written += static_cast<std::size_t>(n);
  }
  // fsync before rename: after a crash the file is either the old or the new content, whole.
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    Fail("cannot sync", temporary);
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path_.c_str()) != 0) Fail("cannot rename onto", path_);
  int dir = ::open(path_.parent_path().empty() ? "." : path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace sekoia
