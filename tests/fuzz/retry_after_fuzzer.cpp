// libFuzzer target: a Retry-After header value (whole or decimal seconds, or an HTTP date).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sekoia/http/retrying_transport.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  const sekoia::TimePoint now = sekoia::TimePoint(std::chrono::seconds(1767225600));  // 2026-01-01
  auto wait = sekoia::http::ParseRetryAfter(value, now);
  if (wait && wait->count() < 0) __builtin_trap();          // a wait is never negative
  if (wait && wait->count() % 1000 != 0) __builtin_trap();  // whole seconds: a fraction rounds up
  return 0;
}
