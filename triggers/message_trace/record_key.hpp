#pragma once

#include <cstdint>
#include <string_view>

namespace message_trace {

/** The identity of one state of a record: trace id, recipient and status, hashed (64-bit FNV-1a
 *  over the three values' raw JSON bytes). A status change is a new key. 0 means "no key". */
std::uint64_t RecordKey(std::string_view trace_id, std::string_view recipient,
                        std::string_view status);

}  // namespace message_trace
