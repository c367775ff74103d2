#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "faults.hpp"
#include "tenant.hpp"
#include "throttle.hpp"
#include "token_store.hpp"

namespace mtsim {

/** JSON that keeps members in insertion order, as Microsoft's and Sekoia's answers do. */
using Json = nlohmann::ordered_json;

/** An HTTP request, independent of the HTTP library. */
struct Request {
  std::string method;
  std::string path;                            ///< percent-decoded
  std::string raw_path;                        ///< as sent
  std::string raw_query;                       ///< as sent, without `?`
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  bool body_too_large = false;  ///< Content-Length over the limit: body left unread

  /** Header value, or "" when absent. `name` in lower case. */
  const std::string& Header(const std::string& name) const;
};

/** An HTTP answer, plus how to misbehave while sending it. */
struct Reply {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  ///< sent this late (slow fault)
  bool cut_connection = false;         ///< announce the full length, send half, close
};

struct SimulatorOptions {
  std::string tenant_id = "00000000-0000-0000-0000-0000000000aa";
  std::string client_id = "11111111-2222-3333-4444-555555555555";
  std::string client_secret = "sim-secret";
  std::string intake_key = "sim-intake-key";
  std::string platform_token = "sim-platform-token";
  std::string account_name = "reporter@contoso.onmicrosoft.com";
  std::string account_password = "sim-password";
  std::string
      client_certificate_pem;  ///< the application's certificate (PEM); empty: none registered
  std::chrono::seconds token_ttl{3599};
  std::chrono::seconds token_valid{0};  ///< > 0: tokens die this soon, whatever expires_in says
  std::size_t throttle_limit = 100;     ///< requests per rolling window
  std::chrono::microseconds throttle_window{300 * 1000000LL};
  std::size_t reporting_page = 2000;  ///< rows per Reporting page
  bool reporting_next_link = true;    ///< false: full pages carry no next link
  bool unprovisioned = false;         ///< Graph: first-party app not provisioned
  bool no_permission = false;         ///< Graph: ExchangeMessageTrace.Read.All missing
  bool basic_retired = false;         ///< Reporting: Basic auth refused
  std::string next_link_base;  ///< non-empty: next links name this origin (a hostile service)
  std::chrono::seconds reporting_processing{
      0};  ///< Reporting: last step this long after Received; windows select by it
  std::chrono::milliseconds intake_latency{0};  ///< every intake answer sent this late
  std::size_t max_intake_body =
      10 * 1024 * 1024;         ///< bytes; larger batches get 413 (counted as a fault when lowered)
  bool intake_rejects = false;  ///< the intake answers 400 to a batch holding kIntakeRejectMarker
  FaultOptions faults;
  std::uint64_t seed = 1;  ///< fault draws
};

/**
 * Microsoft's side (token endpoint, Graph messageTraces, Reporting Web Service) and
 * Sekoia's side (intake, logs) of the trigger's world, plus introspection for tests.
 * Handle() is thread-safe.
 */
class Simulator final {
 public:
  /** `base_url` (`http://127.0.0.1:PORT`) prefixes the next links it hands out. */
  Simulator(const SimulatorOptions& options, Tenant& tenant, std::string base_url);

  Reply Handle(const Request& request);

 private:
  enum class Counter {
    kGraphRequests,
    kGraphRecordsServed,
    kReportingRequests,
    kTokenRequests,
    kTokenClientAssertions,
    kGraphWithoutPrefer,
    kGraphWithoutClientRequestId,
    kThrottled,
    kIntakeRequests,
    kBadUserAgent,
    kLogsReceived,
  };

  Reply Route(const Request& request);
  Reply HandleToken(const Request& request, const std::string& tenant);
  Reply HandleGraph(const Request& request);
  Reply HandleReporting(const Request& request);
  Reply HandleIntake(const Request& request);
  Reply IntakeAnswer(const Request& request);  // HandleIntake without the latency
  Reply HandleLogs(const Request& request);
  Reply HandleStats(const Request& request);
  Reply HandleOutageControl(const Request& request);
  Reply HandleFaultControl(const Request& request);
  Reply HandleLogsReceived();
  Reply HandleRequests();

  /** The origin next links name: ours, or --next-link-base's. */
  const std::string& NextLinkBase() const {
    return options_.next_link_base.empty() ? base_url_ : options_.next_link_base;
  }
  /** Shared message-trace throttle: a 429 reply when over the limit. */
  std::optional<Reply> Throttle();
  /** The error reply for an injected message-trace fault, or nullopt (none, or not an error). */
  std::optional<Reply> TraceFaultReply(TraceFault fault);
  /** Timed tenants, Reporting: the visibility time of the query `filter`; a first page
   *  (`first`) pins it to `now`, later pages reuse it. */
  Micros ReportingSnapshot(const std::string& filter, bool first, Micros now);
  /** Records a client assertion's jti until `expires` (epoch seconds); false when it was used
   *  before (a replay, which Entra refuses). */
  bool RememberJti(const std::string& jti, long long expires);
  /** A 401 for a Bearer token that TokenStore did not accept. */
  static Reply BadTokenReply(TokenCheck check, bool empty);
  /** Counts a refusal of a token that expired before the lifetime it was issued with. */
  void CountEarlyExpiry(TokenCheck check);
  void Count(Counter counter, std::uint64_t n = 1);
  void LogRequest(const Request& request, int status);

  SimulatorOptions options_;
  Tenant& tenant_;
  std::string base_url_;
  std::string process_epoch_;  // prefix of Graph skip tokens: older processes' links fail
  std::chrono::steady_clock::time_point started_;
  TokenStore tokens_;
  FaultInjector faults_;

  std::mutex mutex_;  // guards everything below
  RollingThrottle throttle_;
  std::map<Counter, std::uint64_t> counters_;
  std::deque<Json> logs_;
  std::deque<Json> request_log_;
  std::map<std::string, Micros> reporting_snapshots_;  // Reporting filter -> first page's time
  std::map<std::string, long long> used_jtis_;         // client assertion jti -> until (epoch s)
};

/** A random version-4 GUID (request ids, event ids). Thread-safe. */
std::string NewGuid();

/** The credential of an `Authorization: Bearer <token>` header, or "". */
std::string BearerToken(const Request& request);

/** Compact JSON text; invalid UTF-8 from client input is replaced, never thrown on. */
std::string Dump(const Json& value);

/** Retry-After seconds as Microsoft writes them: whole, or with three decimals ("2.128"). */
std::string RetryAfterText(double seconds);

/** Microsoft Graph error body: `{"error":{"code","message","innerError":{...}}}`. */
Reply GraphError(int status, const std::string& code, const std::string& message);

}  // namespace mtsim
