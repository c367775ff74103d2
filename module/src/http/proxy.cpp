#include "sekoia/http/proxy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"

namespace sekoia::http {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

const char* Env(const char* upper, const char* lower) {
  const char* value = std::getenv(upper);
  if (value == nullptr || *value == '\0') value = std::getenv(lower);
  return value == nullptr ? "" : value;
}

}  // namespace

ProxyAddress SplitProxyUrl(const std::string& proxy_url) {
  std::string text(Trim(proxy_url));
  if (text.find("://") == std::string::npos) text = "http://" + text;
  const std::size_t authority = text.find("://") + 3;
  const std::size_t slash = text.find('/', authority);
  const std::size_t at = text.rfind('@', slash == std::string::npos ? std::string::npos : slash);
  ProxyAddress out;
  std::string without = text;
  if (at != std::string::npos && at >= authority) {
    const std::string userinfo = text.substr(authority, at - authority);
    const std::size_t colon = userinfo.find(':');
    out.user = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string::npos) out.password = PercentDecode(userinfo.substr(colon + 1));
    without = text.substr(0, authority) + text.substr(at + 1);
  }
  auto url = ParseUrl(without);
  if (!url) return ProxyAddress{};
  const std::string host =
      url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  out.url = url->scheme + "://" + host + ":" + std::to_string(url->port);
  return out;
}

ProxySettings ProxyFromEnvironment() {
  ProxySettings settings;
  settings.https_proxy = Trim(Env("HTTPS_PROXY", "https_proxy"));
  settings.http_proxy = Trim(Env("HTTP_PROXY", "http_proxy"));
  settings.no_proxy = Env("NO_PROXY", "no_proxy");
  // The values are not quoted: they may hold the proxy's password.
  if (!settings.https_proxy.empty() && SplitProxyUrl(settings.https_proxy).url.empty()) {
    throw ConfigError(
        "HTTPS_PROXY: not a proxy URL; give http://host:port (user:password@ allowed)");
  }
  if (!settings.http_proxy.empty() && SplitProxyUrl(settings.http_proxy).url.empty()) {
    throw ConfigError(
        "HTTP_PROXY: not a proxy URL; give http://host:port (user:password@ allowed)");
  }
  return settings;
}

bool BypassesProxy(std::string_view host, std::string_view no_proxy) {
  std::string name = Lower(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  if (IsLoopbackHost(name)) return true;
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    std::size_t comma = no_proxy.find(',', start);
    if (comma == std::string_view::npos) comma = no_proxy.size();
    std::string entry = Lower(Trim(no_proxy.substr(start, comma - start)));
    start = comma + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    // A port in an entry ("host:8443") is ignored: the whole host goes direct.
    if (std::count(entry.begin(), entry.end(), ':') == 1) entry = entry.substr(0, entry.find(':'));
    if (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (name == entry) return true;
    if (name.size() > entry.size() &&
        name.compare(name.size() - entry.size(), entry.size(), entry) == 0 &&
        name[name.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace sekoia::http
