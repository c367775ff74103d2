#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtsim {

/** Decodes `%XX` escapes (a malformed escape stays literal); `+` becomes a space if asked. */
std::string PercentDecode(std::string_view text, bool plus_is_space);

/** Percent-encodes everything outside RFC 3986 unreserved characters. */
std::string PercentEncode(std::string_view text);

/** One `key=value` pair of a query string or an url-encoded form. */
struct QueryParam {
  std::string key;        ///< decoded
  std::string value;      ///< decoded, `+` as space
  std::string raw_value;  ///< exactly as sent, to echo into next links
};

/**
 * Parsed `a=1&b=2` (a query string without `?`, or an application/x-www-form-urlencoded body).
 * Key lookup is case-insensitive, as OData's system query options are.
 */
class QueryParams final {
 public:
  explicit QueryParams(std::string_view raw);
  /** The first parameter named `key`, or nullptr. */
  const QueryParam* Find(std::string_view key) const;
  const std::vector<QueryParam>& all() const { return params_; }

 private:
  std::vector<QueryParam> params_;
};

std::string ToLower(std::string_view text);
bool IEquals(std::string_view a, std::string_view b);
bool IStartsWith(std::string_view text, std::string_view prefix);

/** Standard base64 (with or without padding); nullopt on a character outside the alphabet. */
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace mtsim
