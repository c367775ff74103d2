#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtsim {

/** What an intake batch `{"intake_key": "...", "jsons": ["<event>", ...]}` carried. */
struct IntakeBatch {
  std::optional<std::string> intake_key;
  std::vector<std::uint64_t> event_hashes;  ///< EventHash of each decoded event string
};

/**
 * Parses and validates an intake batch body (strict JSON, nesting up to 256 levels).
 * Members other than `intake_key` and `jsons` are validated and ignored. Returns nullopt
 * and sets `error` when the body is not JSON, not an object, lacks `jsons`, or `jsons`
 * holds anything but strings.
 *
 * Hand-written rather than nlohmann's SAX parser: that one decodes strings a character at
 * a time, and the intake must keep up with a trigger forwarding a million events.
 */
std::optional<IntakeBatch> ParseIntakeBatch(std::string_view body, std::string& error);

}  // namespace mtsim
