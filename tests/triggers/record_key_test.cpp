#include "record_key.hpp"

#include <gtest/gtest.h>

namespace message_trace {
namespace {

TEST(RecordKey, DiffersByStatusAndBySeparation) {
  EXPECT_NE(RecordKey("\"id\"", "\"a@x\"", "\"pending\""),
            RecordKey("\"id\"", "\"a@x\"", "\"delivered\""));
  EXPECT_NE(RecordKey("ab", "c", "d"), RecordKey("a", "bc", "d"));
  EXPECT_EQ(RecordKey("id", "r", "s"), RecordKey("id", "r", "s"));
  EXPECT_NE(RecordKey("", "", ""), 0u);
}

// forwarded_keys.txt holds these values: a different hash after an upgrade would forward every
// record of the re-read horizon once more.
TEST(RecordKey, IsTheSameFromVersionToVersion) {
  EXPECT_EQ(RecordKey("\"id\"", "\"a@x\"", "\"delivered\""), 0xe42c7ba1c2cd72acULL);
}

}  // namespace
}  // namespace message_trace
