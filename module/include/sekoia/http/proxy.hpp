#pragma once

#include <string>
#include <string_view>

namespace sekoia::http {

/** The outgoing proxy, as HTTPS_PROXY, HTTP_PROXY and NO_PROXY give it (the conventions of curl).
 */
struct ProxySettings final {
  std::string https_proxy;  ///< http://[user:password@]host:port for https requests; empty: direct
  std::string
      http_proxy;        ///< the same for plain http requests (an in-cluster intake); empty: direct
  std::string no_proxy;  ///< comma-separated hosts, domains (`example.com` or `.example.com`
                         ///< also match their subdomains) and IPs reached directly; `*`: all
};

/** Reads HTTPS_PROXY (else https_proxy), HTTP_PROXY (else http_proxy) and NO_PROXY (else
 *  no_proxy). A proxy without a scheme is read as http://. Throws ConfigError naming the variable
 *  when it is not an http(s) URL. */
ProxySettings ProxyFromEnvironment();

/** True when requests to `host` go directly: it matches an entry of `no_proxy`, or it is a
 *  loopback host (a proxy cannot reach this machine's loopback). */
bool BypassesProxy(std::string_view host, std::string_view no_proxy);

/** A proxy URL split into its address and its credentials (percent-decoded). */
struct ProxyAddress final {
  std::string url;  ///< scheme://host:port, without user information
  std::string user;
  std::string password;  ///< secret
};

/** Splits `[scheme://][user[:password]@]host[:port][/]`; nullopt-like empty url when invalid. */
ProxyAddress SplitProxyUrl(const std::string& proxy_url);

}  // namespace sekoia::http
