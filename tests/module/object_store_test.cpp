#include "sekoia/object_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sekoia/checkpoint_store.hpp"
#include "sekoia/errors.hpp"
#include "test_dir.hpp"

namespace sekoia {
namespace {

namespace fs = std::filesystem;

std::string Content(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string ErrorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const StorageError& error) {
    return error.what();
  }
  return "(no StorageError)";
}

TEST(WriteFileDurably, ASymlinkPlantedAtTheTemporaryPathIsNotFollowed) {
  testing::TestDir dir;
  dir.Write("victim", "precious");
  fs::create_symlink(dir.path() / "victim", dir.path() / "context.json.tmp");
  WriteFileDurably(dir.path() / "context.json", "{\"a\":1}\n");
  EXPECT_EQ(Content(dir.path() / "victim"), "precious");  // the link's target untouched
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.path() / "context.json")));
  EXPECT_EQ(Content(dir.path() / "context.json"), "{\"a\":1}\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path() / "context.json.tmp")));
}

TEST(WriteFileDurably, ASymlinkAtTheTargetIsReplacedNotWrittenThrough) {
  testing::TestDir dir;
  dir.Write("victim", "precious");
  fs::create_symlink(dir.path() / "victim", dir.path() / "context.json");
  WriteFileDurably(dir.path() / "context.json", "new");
  EXPECT_EQ(Content(dir.path() / "victim"), "precious");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.path() / "context.json")));
}

TEST(WriteFileDurably, ALeftoverOfACrashIsReplacedAndTheFileIsPrivate) {
  testing::TestDir dir;
  dir.Write("context.json.tmp", "half a checkp");
  WriteFileDurably(dir.path() / "context.json", "whole");
  EXPECT_EQ(Content(dir.path() / "context.json"), "whole");
  EXPECT_FALSE(fs::exists(dir.path() / "context.json.tmp"));
  struct stat status {};
  ASSERT_EQ(::stat((dir.path() / "context.json").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
}

TEST(WriteFileDurably, AFailureNamesTheFileAndKeepsTheOldContent) {
  testing::TestDir dir;
  dir.Write("context.json", "old");
  // A directory at the temporary path: it cannot be unlinked nor created over.
  fs::create_directory(dir.path() / "context.json.tmp");
  const std::string error = ErrorOf([&] { WriteFileDurably(dir.path() / "context.json", "new"); });
  EXPECT_NE(error.find("context.json.tmp"), std::string::npos) << error;
  EXPECT_EQ(Content(dir.path() / "context.json"), "old");
}

TEST(AppendFileDurably, AppendsCreatesPrivatelyAndRefusesASymlink) {
  testing::TestDir dir;
  AppendFileDurably(dir.path() / "keys.txt", "a\n");
  AppendFileDurably(dir.path() / "keys.txt", "b\n");
  EXPECT_EQ(Content(dir.path() / "keys.txt"), "a\nb\n");
  struct stat status {};
  ASSERT_EQ(::stat((dir.path() / "keys.txt").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  dir.Write("victim", "precious");
  fs::create_symlink(dir.path() / "victim", dir.path() / "linked.txt");
  const std::string error = ErrorOf([&] { AppendFileDurably(dir.path() / "linked.txt", "x\n"); });
  EXPECT_NE(error.find("linked.txt"), std::string::npos) << error;
  EXPECT_EQ(Content(dir.path() / "victim"), "precious");
}

TEST(ReadFileIfExists, MissingIsNoneAndUnreadableIsAnError) {
  testing::TestDir dir;
  EXPECT_FALSE(ReadFileIfExists(dir.path() / "context.json"));
  dir.Write("context.json", "{}");
  EXPECT_EQ(ReadFileIfExists(dir.path() / "context.json"), "{}");

  fs::create_directory(dir.path() / "directory.json");
  EXPECT_NE(ErrorOf([&] {
              ReadFileIfExists(dir.path() / "directory.json");
            }).find("a directory is in its place"),
            std::string::npos);
  // A FIFO would block a plain open; it is refused at once.
  ASSERT_EQ(::mkfifo((dir.path() / "fifo.json").c_str(), 0600), 0);
  EXPECT_NE(ErrorOf([&] { ReadFileIfExists(dir.path() / "fifo.json"); }).find("not a regular file"),
            std::string::npos);
  // A parent that is a file (ENOTDIR): it is not "absent".
  dir.Write("file", "x");
  EXPECT_NE(
      ErrorOf([&] { ReadFileIfExists(dir.path() / "file" / "context.json"); }).find("cannot read"),
      std::string::npos);
}

TEST(FileCheckpointStore, AnUnreadableCheckpointIsAStorageErrorNotAFreshStart) {
  testing::TestDir dir;
  fs::create_directory(dir.path() / "context.json");
  FileCheckpointStore store(dir.path() / "context.json");
  EXPECT_THROW(store.Load(), StorageError);
  // Damaged content stays a ParseError: the collector warns and replaces it.
  testing::TestDir other;
  other.Write("context.json", "{\"most_recent");
  FileCheckpointStore damaged(other.path() / "context.json");
  EXPECT_THROW(damaged.Load(), ParseError);
}

TEST(DirectoryLock, ASecondHolderIsRefusedUntilTheFirstIsGone) {
  testing::TestDir dir;
  {
    DirectoryLock first(dir.path());
    const std::string error = ErrorOf([&] { DirectoryLock second(dir.path()); });
    EXPECT_NE(error.find("another trigger is using " + dir.path().string() + " (lock held"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("by process " + std::to_string(::getpid())), std::string::npos) << error;
  }
  DirectoryLock again(dir.path());  // released with the first
}

TEST(DirectoryLock, AMissingDirectoryIsAnErrorNamingIt) {
  testing::TestDir dir;
  const std::string error = ErrorOf([&] { DirectoryLock lock(dir.path() / "missing"); });
  EXPECT_NE(error.find("missing/trigger.lock"), std::string::npos) << error;
}

}  // namespace
}  // namespace sekoia
