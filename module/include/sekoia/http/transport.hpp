#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sekoia/http/proxy.hpp"
#include "sekoia/stop_signal.hpp"

namespace sekoia::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest final {
  std::string method;  ///< "GET", "POST"
  std::string url;     ///< absolute
  std::string body;
  Headers headers;
};

struct HttpResponse final {
  int status = 0;
  std::string body;
  Headers headers;
  /** The first header named `name` (case-insensitive), or "". */
  std::string Header(std::string_view name) const;
};

/**
 * Sends one request and returns the answer, whatever its status.
 * Throws TransportError when no answer arrived, StopRequested when stopped while waiting.
 * Implementations are thread-safe.
 */
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResponse Send(const HttpRequest& request, const StopSignal& stop) = 0;
};

struct CpprestTransportOptions final {
  std::chrono::seconds timeout{120};  ///< whole request, from send to the last byte of the answer
  std::string user_agent;             ///< default User-Agent, unless the request sets one
  std::string ca_bundle;              ///< PEM authorities trusted besides the system's (a TLS proxy's)
  ProxySettings proxy;                ///< how https requests leave; default: directly
};

/**
 * The real transport, over cpprestsdk; keeps one client (connection pool) per origin. Server
 * certificates are always verified (chain and host name). Redirects are not followed: a 3xx is
 * returned to the caller, so credentials never travel to the host a Location names.
 * Throws std::invalid_argument when ca_bundle holds no valid PEM certificate.
 */
std::unique_ptr<HttpTransport> MakeCpprestTransport(const CpprestTransportOptions& options);

/** Throws std::invalid_argument unless `pem` holds at least one PEM certificate. The message
 *  never quotes the text. */
void CheckCaBundle(const std::string& pem);

}  // namespace sekoia::http

namespace sekoia::http {

/** Sizes the HTTP library's shared thread pool (clients and servers). Call once, first thing
 *  in main, before any transport or server exists; the library's default is 40 threads. */
void InitializeHttpThreads(std::size_t threads);

}  // namespace sekoia::http
