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
  std::size_t marked = 0;  ///< events holding the `marker` given to ParseIntakeBatch
};

/**
 * Parses and validates an intake batch body (strict JSON, nesting up to 256 levels, strings of
 * well-formed UTF-8: the real intake answers 400 to a body it cannot decode).
 * Members other than `intake_key` and `jsons` are validated and ignored. Returns nullopt
 * and sets `error` when the body is not JSON, not an object, lacks `jsons`, or `jsons`
 * holds anything but strings.
 *
 * Hand-written rather than nlohmann's SAX parser: that one decodes strings a character at
 * a time, and the intake must keep up with a trigger forwarding a million events.
 */
std::optional<IntakeBatch> ParseIntakeBatch(std::string_view body, std::string& error,
                                            std::string_view marker = {});

/** Events holding this text are refused by the intake (400) with --intake-rejects. */
constexpr std::string_view kIntakeRejectMarker = "sim-intake-refuses-this-event";

}  // namespace mtsim
