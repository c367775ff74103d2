#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

}  // namespace sekoia::http
