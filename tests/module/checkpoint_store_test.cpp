#include "sekoia/checkpoint_store.hpp"

#include <gtest/gtest.h>

#include "sekoia/errors.hpp"
#include "test_dir.hpp"

namespace sekoia {
namespace {

TEST(FileCheckpointStore, MissingFileIsNoCheckpoint) {
  testing::TestDir dir;
  FileCheckpointStore store(dir.path() / "context.json");
  EXPECT_FALSE(store.Load());
}

TEST(FileCheckpointStore, SavesAtomicallyAndLoadsBack) {
  testing::TestDir dir;
  FileCheckpointStore store(dir.path() / "context.json");
  store.Save({{"most_recent_date_requested", "2026-01-21T14:12:34Z"}});
  store.Save({{"most_recent_date_requested", "2026-01-21T15:00:00Z"}});
  EXPECT_EQ(store.Load()->at("most_recent_date_requested"), "2026-01-21T15:00:00Z");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "context.json.tmp"));
}

TEST(FileCheckpointStore, UnusableFilesAreParseErrors) {
  testing::TestDir dir;
  FileCheckpointStore store(dir.path() / "context.json");
  for (const char* content :
       {"", "  \n", "{\"most_recent_date_requested\": \"2026-", "not json", "[1, 2]"}) {
    dir.Write("context.json", content);
    EXPECT_THROW(store.Load(), ParseError) << content;
  }
}

TEST(FileCheckpointStore, UnwritableLocationFailsWithThePath) {
  testing::TestDir dir;
  // A parent that is a file: refused even to root, unlike directory permissions.
  dir.Write("not-a-directory", "x");
  FileCheckpointStore store(dir.path() / "not-a-directory" / "context.json");
  try {
    store.Save({{"a", 1}});
    FAIL() << "saved under a file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("context.json.tmp"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace sekoia
