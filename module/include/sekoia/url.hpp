#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sekoia {

struct Url final {
  std::string scheme;          ///< lower case: "https", "http"
  std::string host;            ///< lower case, without brackets for IPv6
  int port = 0;                ///< explicit or the scheme's default
  std::string path_and_query;  ///< starts with '/'
};

/** Parses an absolute http(s) URL; nullopt when it is not one: user information, a control
 *  character or a space anywhere, an IPv6 literal that is not hexadecimal groups, or a zone id. */
std::optional<Url> ParseUrl(std::string_view text);

/** `scheme://host:port`, IPv6 hosts in brackets, the port always given: two URLs share an
 *  origin (RFC 6454) when these are equal. */
std::string Origin(const Url& url);

/** True when `text` parses and has the origin `origin` (from Origin()). */
bool HasOrigin(std::string_view text, const std::string& origin);

/**
 * Why `text` cannot be a base URL (a service's root, given in the configuration): "" when it can.
 * Refused: not an absolute http(s) URL, user information (`user:password@`), a query, a
 * fragment. The reason never quotes the text, which may hold a password.
 */
std::string BaseUrlProblem(std::string_view text);

/** `text` fit to print: user information replaced by `***@`, control characters by '?'. */
std::string DisplayUrl(std::string_view text);

/** 127.0.0.0/8, ::1 and localhost. */
bool IsLoopbackHost(std::string_view host);

/** True for https URLs, and http URLs whose host is loopback (local fakes in tests). */
bool IsSecureOrLoopback(const Url& url);

/** Percent-encodes for a query value (RFC 3986 unreserved characters kept). */
std::string PercentEncode(std::string_view text);

}  // namespace sekoia
