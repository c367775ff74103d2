#include "sekoia/auth/token_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fake_clock.hpp"

namespace sekoia::auth {
namespace {

using std::chrono::seconds;
using testing::FakeClock;

/** Issues "token-1", "token-2", ... each valid for `life` from the clock's now. */
class CountingFetch {
 public:
  CountingFetch(Clock& clock, seconds life) : clock_(clock), life_(life) {}
  TokenCache::Fetch operator()() {
    return [this] { return AccessToken{"token-" + std::to_string(++calls), clock_.Now() + life_}; };
  }
  int calls = 0;

 private:
  Clock& clock_;
  seconds life_;
};

TEST(TokenCache, KeepsATokenUntilTheRefreshMarginBeforeItsExpiry) {
  FakeClock clock;
  TokenCache cache(clock, seconds(300));
  CountingFetch fetch(clock, seconds(3600));
  EXPECT_EQ(cache.Get(fetch()), "token-1");
  clock.Advance(seconds(3299));
  EXPECT_EQ(cache.Get(fetch()), "token-1");
  clock.Advance(seconds(1));  // 300 s before expiry: refreshed
  EXPECT_EQ(cache.Get(fetch()), "token-2");
  EXPECT_EQ(fetch.calls, 2);
}

TEST(TokenCache, InvalidateDropsTheToken) {
  FakeClock clock;
  TokenCache cache(clock, seconds(300));
  CountingFetch fetch(clock, seconds(3600));
  EXPECT_EQ(cache.Get(fetch()), "token-1");
  cache.Invalidate();
  EXPECT_EQ(cache.Get(fetch()), "token-2");
  EXPECT_EQ(cache.Get(fetch()), "token-2");
}

TEST(TokenCache, AFailedFetchPropagatesAndTheNextGetFetchesAgain) {
  FakeClock clock;
  TokenCache cache(clock, seconds(300));
  CountingFetch fetch(clock, seconds(3600));
  EXPECT_EQ(cache.Get(fetch()), "token-1");
  clock.Advance(seconds(3400));
  EXPECT_THROW(cache.Get([]() -> AccessToken { throw std::runtime_error("token service down"); }),
               std::runtime_error);
  EXPECT_EQ(cache.Get(fetch()), "token-2");  // the stale token is not handed out
}

TEST(TokenCache, ConcurrentCallersShareOneFetch) {
  FakeClock clock;
  TokenCache cache(clock, seconds(300));
  constexpr int kCallers = 8;
  std::mutex mutex;
  std::condition_variable cv;
  int started = 0;
  std::atomic<int> fetches{0};
  // The fetch lasts until every caller has started (or a second has passed): without the cache's
  // lock, each caller would find no token and fetch one of its own.
  const TokenCache::Fetch fetch = [&] {
    ++fetches;
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, seconds(1), [&] { return started == kCallers; });
    return AccessToken{"shared", clock.Now() + seconds(3600)};
  };
  std::vector<std::string> tokens(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++started;
      }
      cv.notify_all();
      tokens[static_cast<std::size_t>(i)] = cache.Get(fetch);
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(fetches.load(), 1);
  EXPECT_EQ(tokens, std::vector<std::string>(kCallers, "shared"));
}

}  // namespace
}  // namespace sekoia::auth
