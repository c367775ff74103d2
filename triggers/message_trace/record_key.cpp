#include "record_key.hpp"

namespace message_trace {

std::uint64_t RecordKey(std::string_view trace_id, std::string_view recipient,
                        std::string_view status) {
  std::uint64_t hash = 14695981039346656037ULL;
  auto mix = [&](std::string_view part) {
    for (unsigned char c : part) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    hash ^= 0x1f;  // a separator, so ("ab","c") and ("a","bc") differ
    hash *= 1099511628211ULL;
  };
  mix(trace_id);
  mix(recipient);
  mix(status);
  return hash == 0 ? 1 : hash;
}

}  // namespace message_trace
