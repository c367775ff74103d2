#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sekoia {

struct Url final {
  std::string scheme;  ///< lower case: "https", "http"
  std::string host;    ///< lower case, without brackets for IPv6
  int port = 0;        ///< explicit or the scheme's default
  std::string path_and_query;  ///< starts with '/'
};

/** Parses an absolute http(s) URL; nullopt when it is not one. */
std::optional<Url> ParseUrl(std::string_view text);

/** 127.0.0.0/8, ::1 and localhost. */
bool IsLoopbackHost(std::string_view host);

/** True for https URLs, and http URLs whose host is loopback (local fakes in tests). */
bool IsSecureOrLoopback(const Url& url);

/** Percent-encodes for a query value (RFC 3986 unreserved characters kept). */
std::string PercentEncode(std::string_view text);

}  // namespace sekoia
