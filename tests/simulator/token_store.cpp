#include "token_store.hpp"

#include <random>

namespace mtsim {
namespace {

// Tokens must differ from one simulator process to the next, so no fixed seed here.
std::uint64_t UnpredictableSeed() {
  std::random_device device;
  const auto now = static_cast<std::uint64_t>(
      std::chrono::high_resolution_clock::now().time_since_epoch().count());
  return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ now;
}

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

TokenStore::TokenStore() : random_(UnpredictableSeed()) {}

std::string TokenStore::Issue(TokenScope scope, std::chrono::seconds ttl) {
  // Shaped like a JWT (three base64url parts) but opaque: clients must not parse it.
  std::string token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6InNpbXVsYXRvciJ9.";
  std::lock_guard<std::mutex> lock(mutex_);
  for (int i = 0; i < 86; ++i) {
    if (i == 43) token += '.';
    token += kBase64Url[random_.Below(64)];
  }
  const Clock::time_point now = Clock::now();
  // Forget long-expired tokens now and then so a token-hungry client cannot grow the map.
  if (tokens_.size() > 100000) {
    for (auto it = tokens_.begin(); it != tokens_.end();) {
      it = it->second.expires < now ? tokens_.erase(it) : std::next(it);
    }
  }
  tokens_[token] = {scope, now + ttl, false};
  return token;
}

TokenCheck TokenStore::Check(const std::string& token, TokenScope scope) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tokens_.find(token);
  if (it == tokens_.end()) return TokenCheck::kUnknown;
  if (it->second.revoked) return TokenCheck::kRevoked;
  if (it->second.expires <= Clock::now()) return TokenCheck::kExpired;
  if (it->second.scope != scope) return TokenCheck::kWrongAudience;
  return TokenCheck::kValid;
}

void TokenStore::Revoke(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tokens_.find(token);
  if (it != tokens_.end()) it->second.revoked = true;
}

}  // namespace mtsim
