#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sekoia/http/proxy.hpp"
#include "sekoia/http/transport.hpp"

namespace sekoia::http {

/// The largest answer accepted, decoded: a full Graph page (5,000 records) is about 4 MB, a
/// Reporting Web Service page (2,000 verbose rows) about 3 MB; four times that leaves room for
/// long subjects and addresses while keeping a hostile or broken service from growing the
/// process without bound (peak memory stays far under 64 MiB).
inline constexpr std::size_t kMaxAnswerBytes = 16u << 20;
/// Of an answer whose status is not 2xx only this much is read: enough for any error document.
inline constexpr std::size_t kMaxErrorBodyBytes = 64u << 10;

struct CurlTransportOptions final {
  std::chrono::seconds timeout{120};  ///< whole request, from sending to the answer's last byte
  std::chrono::seconds connect_timeout{15};  ///< TCP and TLS set-up, through the proxy if any
  std::chrono::seconds stall_timeout{
      60};  ///< this long below `min_bytes_per_second`: the transfer is lost
  long min_bytes_per_second =
      1024;  ///< the floor rate of a transfer (waiting for the answer counts)
  std::size_t max_answer_bytes =
      kMaxAnswerBytes;  ///< decoded size of a 2xx answer; larger is refused as it arrives
  std::size_t max_error_body_bytes =
      kMaxErrorBodyBytes;  ///< read of a non-2xx body, the rest is dropped
  std::string user_agent;  ///< default User-Agent, unless the request sets one
  std::string ca_bundle;   ///< PEM authorities trusted besides the system's (a TLS proxy's)
  ProxySettings proxy;     ///< how requests leave; default: directly
  /// Origin (sekoia::Origin()) -> the argument that configures it ("login_url"), so that an error
  /// names what to fix: "login_url login.microsoftonline.com:443: ...".
  std::vector<std::pair<std::string, std::string>> service_names;
};

/**
 * The real transport, over libcurl. Connections, TLS sessions and DNS answers are shared and
 * reused between requests; requests run in the calling thread (no thread of its own). Server
 * certificates are always verified (chain and host name, TLS 1.2 or later). Redirects are not
 * followed: a 3xx is returned to the caller, so credentials never travel to the host a Location
 * names. Compressed answers are offered and decoded. A stop request ends a request in flight
 * within about a second (StopRequested). Errors (TransportError) name the service and say what
 * to fix. Thread-safe.
 * Throws std::invalid_argument when ca_bundle holds no valid PEM certificate.
 */
std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options);

/** Throws std::invalid_argument unless `pem` holds at least one PEM certificate. The message
 *  never quotes the text. */
void CheckCaBundle(const std::string& pem);

}  // namespace sekoia::http
