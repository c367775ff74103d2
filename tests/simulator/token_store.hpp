#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "random.hpp"

namespace mtsim {

/** The resource a token was issued for (its audience). */
enum class TokenScope { kGraph, kOutlook };

enum class TokenCheck { kValid, kUnknown, kExpired, kRevoked, kWrongAudience };

/** Issued access tokens: opaque random strings with a scope and an expiry. Thread-safe. */
class TokenStore final {
 public:
  using Clock = std::chrono::steady_clock;

  TokenStore();

  /** A new token for `scope`, valid `ttl` from now. */
  std::string Issue(TokenScope scope, std::chrono::seconds ttl);
  TokenCheck Check(const std::string& token, TokenScope scope) const;
  /** Later checks of `token` answer kRevoked (a token revoked mid-paging). */
  void Revoke(const std::string& token);

 private:
  struct Entry {
    TokenScope scope;
    Clock::time_point expires;
    bool revoked;
  };
  mutable std::mutex mutex_;
  Random random_;
  std::unordered_map<std::string, Entry> tokens_;
};

}  // namespace mtsim
