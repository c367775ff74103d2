#include "sekoia/auth/token_cache.hpp"

#include <utility>

#include "sekoia/secret_sink.hpp"

namespace sekoia::auth {

TokenCache::TokenCache(Clock& clock, std::chrono::seconds refresh_margin)
    : clock_(clock), refresh_margin_(refresh_margin) {}

TokenCache::~TokenCache() { Wipe(token_); }

void TokenCache::Invalidate() {
  std::lock_guard<std::mutex> lock(mutex_);
  Wipe(token_);
}

std::string TokenCache::Get(const Fetch& fetch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!token_.empty() && clock_.Now() < expires_at_ - refresh_margin_) return token_;
  AccessToken issued = fetch();
  Wipe(token_);
  token_ = std::move(issued.token);
  expires_at_ = issued.expires_at;
  return token_;
}

}  // namespace sekoia::auth
