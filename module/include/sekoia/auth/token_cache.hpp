#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "sekoia/clock.hpp"

namespace sekoia::auth {

/** An access token as a token endpoint issued it. */
struct AccessToken final {
  std::string token;     ///< secret: never logged
  TimePoint expires_at;  ///< wall clock: the answer's expires_in after the request was sent
};

/**
 * The one cached access token of a credential: handed out until `refresh_margin` before it
 * expires, then fetched again; Invalidate() drops it (after a 401). Thread-safe: the lock is held
 * while fetching, so concurrent callers wait for one request instead of sending one each. A
 * token is wiped from memory when it is replaced, dropped, or the cache destroyed. Logs nothing.
 */
class TokenCache final {
 public:
  /** Sends the token request; throws what the request throws. */
  using Fetch = std::function<AccessToken()>;

  /** `clock` is borrowed and must outlive the cache. */
  TokenCache(Clock& clock, std::chrono::seconds refresh_margin);
  ~TokenCache();
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  /** The cached token while Now() < expires_at - refresh_margin; otherwise fetch()'s, cached.
   *  When fetch throws, the exception propagates and the next call fetches again. */
  std::string Get(const Fetch& fetch);
  /** Drops the cached token, so the next Get fetches a new one. */
  void Invalidate();

 private:
  Clock& clock_;
  const std::chrono::seconds refresh_margin_;
  std::mutex mutex_;
  std::string token_;
  TimePoint expires_at_{};
};

}  // namespace sekoia::auth
