#include "sekoia/url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

namespace sekoia {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// An IPv6 literal as RFC 3986 allows it, without a zone id ("%25eth0" would name an interface),
// in its canonical text (RFC 5952: "0:0::1" is "::1"), so that origins compare equal; nullopt
// when it is none.
std::optional<std::string> CanonicalIpv6(std::string_view host) {
  if (host.size() < 2 || host.size() > 45) return std::nullopt;
  if (!std::all_of(host.begin(), host.end(),
                   [](char c) { return IsHex(c) || c == ':' || c == '.'; })) {
    return std::nullopt;
  }
  in6_addr address{};
  if (::inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) return std::nullopt;
  char text[INET6_ADDRSTRLEN];
  if (::inet_ntop(AF_INET6, &address, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

// A host name or IPv4 address: letters, digits, '-', '.', '_' (no percent-encoding, no spaces,
// nothing a request line or a Host header could be broken with).
bool IsRegisteredName(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

// The scheme://authority part of `text`, or "" when there is none.
std::string_view Authority(std::string_view text) {
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = text.substr(scheme_end + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

}  // namespace

std::optional<Url> ParseUrl(std::string_view text) {
  // A CR or LF in a URL would end the request line: a request injected into the connection.
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return std::nullopt;
  }
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = Lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(scheme_end + 3);
  std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no user info in URLs
  std::string_view host;
  std::string_view port;
  std::optional<std::string> canonical;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    canonical = CanonicalIpv6(host);
    if (!canonical) return std::nullopt;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  if (authority.front() != '[' && !IsRegisteredName(host)) return std::nullopt;
  url.host = canonical ? *canonical : Lower(host);
  if (port.empty()) {
    url.port = url.scheme == "https" ? 443 : 80;
  } else {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    url.port = std::stoi(std::string(port));
    if (url.port < 1 || url.port > 65535) return std::nullopt;
  }
  url.path_and_query =
      tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
  return url;
}

std::string Origin(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return url.scheme + "://" + (v6 ? "[" + url.host + "]" : url.host) + ":" +
         std::to_string(url.port);
}

bool HasOrigin(std::string_view text, const std::string& origin) {
  auto url = ParseUrl(text);
  return url && Origin(*url) == origin;
}

std::string BaseUrlProblem(std::string_view text) {
  if (Authority(text).find('@') != std::string_view::npos) {
    return "holds user information (user:password@): give credentials in their own arguments, "
           "never in a URL";
  }
  if (!ParseUrl(text))
    return "is not an absolute http(s) URL; give the service's root, e.g. https://host";
  if (text.find('?') != std::string_view::npos)
    return "holds a query ('?...'): give the service's root URL only";
  if (text.find('#') != std::string_view::npos)
    return "holds a fragment ('#...'): give the service's root URL only";
  return "";
}

std::string DisplayUrl(std::string_view text) {
  std::string out(text);
  const std::string_view authority = Authority(text);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::size_t start = static_cast<std::size_t>(authority.data() - text.data());
    out.replace(start, at + 1, "***@");
  }
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 written as a dotted quad.
  if (host.substr(0, 4) != "127.") return false;
  int parts = 0;
  std::size_t pos = 0;
  while (pos <= host.size()) {
    std::size_t dot = host.find('.', pos);
    std::string_view part =
        host.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(part)) > 255)
      return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return parts == 4;
}

bool IsSecureOrLoopback(const Url& url) {
  return url.scheme == "https" || (url.scheme == "http" && IsLoopbackHost(url.host));
}

std::string PercentEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace sekoia
