#include "forwarded_keys.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <set>

#include "fake_stores.hpp"
#include "keys_file.hpp"
#include "sekoia/errors.hpp"
#include "test_dir.hpp"

namespace message_trace {
namespace {

using sekoia::TimePoint;
using std::chrono::seconds;

TEST(ForwardedKeys, SurviveARestart) {
  sekoia::testing::TestDir dir;
  {
    KeysFile keys_file(dir.path() / "keys.txt");
    ForwardedKeys& keys = keys_file.keys;
    EXPECT_EQ(keys.Load(), "");
    keys.Add({{11, 1000}, {12, 1001}});
    keys.Persist();
    keys.Add({{13, 1002}});
    keys.Persist();
  }
  KeysFile restarted_file(dir.path() / "keys.txt");
  ForwardedKeys& restarted = restarted_file.keys;
  EXPECT_EQ(restarted.Load(), "");
  EXPECT_EQ(restarted.size(), 3u);
  EXPECT_TRUE(restarted.Contains(11));
  EXPECT_TRUE(restarted.Contains(13));
  EXPECT_FALSE(restarted.Contains(14));
}

TEST(ForwardedKeys, ExpiredKeysAreDroppedAndTheFileStaysBounded) {
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  keys.Load();
  // A long run: each cycle adds 100 keys and expires those older than 10 cycles.
  for (std::int64_t cycle = 0; cycle < 500; ++cycle) {
    std::vector<std::pair<std::uint64_t, std::int64_t>> batch;
    for (std::uint64_t i = 0; i < 100; ++i) batch.emplace_back(cycle * 1000 + i + 1, cycle);
    keys.Add(batch);
    keys.Expire(TimePoint(seconds(cycle - 10)));
    keys.Persist();
    ASSERT_LE(keys.size(), 1100u);
  }
  EXPECT_FALSE(keys.Contains(1));      // cycle 0: long expired
  EXPECT_TRUE(keys.Contains(499001));  // the last cycle
  std::ifstream in(dir.path() / "keys.txt");
  std::size_t lines =
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  EXPECT_LE(lines, 2 * keys.size() + 1024 + 100);  // compacted, not growing without end
  KeysFile reloaded_file(dir.path() / "keys.txt");
  ForwardedKeys& reloaded = reloaded_file.keys;
  reloaded.Load();
  reloaded.Expire(TimePoint(seconds(499 - 10)));
  EXPECT_EQ(reloaded.size(), keys.size());
}

TEST(ForwardedKeys, ManyPagesOfKeysAnswerAsASetWouldAndSurviveARestart) {
  // Enough keys for the index and for several folds of the recent keys into the others; each
  // page repeats some keys already known and some of its own.
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  keys.Load();
  std::mt19937_64 random(7);
  std::map<std::uint64_t, std::int64_t> model;  // key -> the time of its first Add
  std::vector<std::uint64_t> known;
  for (std::int64_t page = 0; page < 30; ++page) {
    std::vector<std::pair<std::uint64_t, std::int64_t>> batch;
    for (int i = 0; i < 1000; ++i) {
      std::uint64_t key = random() | 1;
      if (i % 10 == 0 && !known.empty()) key = known[random() % known.size()];
      if (i % 50 == 1 && !batch.empty()) key = batch.front().first;
      batch.emplace_back(key, page);
    }
    for (const auto& [key, time] : batch) {
      if (model.emplace(key, time).second) known.push_back(key);
    }
    keys.Add(batch);
    keys.Persist();
    ASSERT_EQ(keys.size(), model.size());
  }
  for (std::uint64_t key : known) ASSERT_TRUE(keys.Contains(key)) << key;
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t key = random() & ~std::uint64_t{1};  // even: never added
    ASSERT_FALSE(keys.Contains(key));
  }
  EXPECT_FALSE(keys.Contains(0));
  EXPECT_FALSE(keys.Contains(~std::uint64_t{0} - 1));
  // Expiry by time, in both the recent keys and the others.
  keys.Expire(TimePoint(seconds(15)));
  std::size_t live = 0;
  for (const auto& [key, time] : model) {
    ASSERT_EQ(keys.Contains(key), time >= 15) << key;
    live += time >= 15;
  }
  EXPECT_EQ(keys.size(), live);
  keys.Persist();
  KeysFile reloaded_file(dir.path() / "keys.txt");
  ForwardedKeys& reloaded = reloaded_file.keys;
  EXPECT_EQ(reloaded.Load(), "");
  reloaded.Expire(TimePoint(seconds(15)));
  EXPECT_EQ(reloaded.size(), live);
  for (const auto& [key, time] : model) ASSERT_EQ(reloaded.Contains(key), time >= 15) << key;
}

TEST(ForwardedKeys, LinesAreSixteenHexDigitsAndTheSignedSeconds) {
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  keys.Load();
  keys.Add({{0xfedcba9876543210ULL, 1769000000}, {1, -5}, {0xa0, 0}});
  keys.Persist();
  std::ifstream in(dir.path() / "keys.txt");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "0000000000000001 -5\n00000000000000a0 0\nfedcba9876543210 1769000000\n");
}

TEST(ForwardedKeys, KeepsTheFirstOfAddedDuplicatesAndTheLastLineOfTheFile) {
  sekoia::testing::TestDir dir;
  dir.Write("keys.txt", "000000000000000b 1000\n000000000000000b 2000\n");
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  EXPECT_EQ(keys.Load(), "");
  EXPECT_EQ(keys.size(), 1u);
  keys.Add({{12, 10}, {12, 5000}});
  EXPECT_EQ(keys.size(), 2u);
  keys.Expire(
      TimePoint(seconds(1500)));  // 11 is kept by its last line, 12 goes with its first time
  EXPECT_TRUE(keys.Contains(11));
  EXPECT_FALSE(keys.Contains(12));
}

TEST(ForwardedKeys, AnswersAsASetDoes) {
  sekoia::testing::TestDir dir;
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  keys.Load();
  std::set<std::uint64_t> expected;
  std::mt19937_64 random(5);
  for (int page = 0; page < 50; ++page) {
    std::vector<std::pair<std::uint64_t, std::int64_t>> batch;
    for (int i = 0; i < 200; ++i) {
      const std::uint64_t key = random() % 20000 + 1;
      batch.emplace_back(key, page);
      expected.insert(key);
    }
    keys.Add(batch);
    ASSERT_EQ(keys.size(), expected.size()) << page;
  }
  for (std::uint64_t key = 0; key <= 20001; ++key)
    ASSERT_EQ(keys.Contains(key), expected.count(key) == 1) << key;
}

TEST(ForwardedKeys, ALineCutByACrashIsReportedAndTheRestKept) {
  sekoia::testing::TestDir dir;
  dir.Write("keys.txt", "000000000000000b 1000\n000000000000000c 10");
  dir.Write("keys2.txt", "000000000000000b 1000\n00000000000");
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  EXPECT_EQ(keys.Load(), "");
  EXPECT_TRUE(keys.Contains(11));
  KeysFile cut_file(dir.path() / "keys2.txt");
  ForwardedKeys& cut = cut_file.keys;
  EXPECT_NE(cut.Load().find("1 unreadable line"), std::string::npos);
  EXPECT_TRUE(cut.Contains(11));
  cut.Persist();  // rewrites the file clean
  KeysFile again_file(dir.path() / "keys2.txt");
  ForwardedKeys& again = again_file.keys;
  EXPECT_EQ(again.Load(), "");
}

TEST(ForwardedKeys, OverAStoreThatCannotAppendTheWholeSetIsWrittenEachTime) {
  sekoia::testing::FakeObjectStore bucket;
  {
    ForwardedKeys keys(bucket, "forwarded_keys.txt");
    EXPECT_EQ(keys.Load(), "");
    EXPECT_FALSE(keys.found());
    keys.Add({{11, 1000}});
    keys.Persist();
    keys.Add({{12, 1001}});
    keys.Persist();
    keys.Persist();  // nothing new: nothing written
  }
  EXPECT_EQ(bucket.writes, 2);
  EXPECT_EQ(bucket.objects.at("forwarded_keys.txt"),
            "000000000000000b 1000\n000000000000000c 1001\n");
  ForwardedKeys restarted(bucket, "forwarded_keys.txt");
  EXPECT_EQ(restarted.Load(), "");
  EXPECT_TRUE(restarted.found());
  EXPECT_TRUE(restarted.Contains(11));
  EXPECT_TRUE(restarted.Contains(12));
  bucket.fail = true;
  restarted.Add({{13, 1002}});
  EXPECT_THROW(restarted.Persist(), sekoia::StorageError);
  bucket.fail = false;
  restarted.Persist();  // kept, and written once the store answers
  EXPECT_NE(bucket.objects.at("forwarded_keys.txt").find("000000000000000d 1002"),
            std::string::npos);
}

TEST(ForwardedKeys, AnUnreadableFileIsAnErrorNotAnEmptySet) {
  sekoia::testing::TestDir dir;
  std::filesystem::create_directory(dir.path() / "keys.txt");
  KeysFile keys_file(dir.path() / "keys.txt");
  ForwardedKeys& keys = keys_file.keys;
  EXPECT_THROW(keys.Load(), sekoia::StorageError);
  sekoia::testing::FakeObjectStore bucket;
  bucket.fail = true;
  ForwardedKeys remote(bucket, "forwarded_keys.txt");
  EXPECT_THROW(remote.Load(), sekoia::StorageError);
}

}  // namespace
}  // namespace message_trace
