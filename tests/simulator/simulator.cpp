#include "simulator.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>

#include "http_text.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr std::size_t kRequestLogSize = 1000;

std::string ProcessEpoch() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx",
                static_cast<unsigned long long>((std::random_device{}() & 0xFFFFF) ^
                                                static_cast<std::uint64_t>(NowMicros())));
  return buf;
}

std::string AuthScheme(const Request& request) {
  const std::string& value = request.Header("authorization");
  return value.substr(0, value.find(' '));
}

}  // namespace

std::string NewGuid() {
  thread_local Random random(std::random_device{}() ^ static_cast<std::uint64_t>(NowMicros()));
  return random.Guid();
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string BearerToken(const Request& request) {
  const std::string& value = request.Header("authorization");
  if (!IStartsWith(value, "Bearer ")) return {};
  const size_t start = value.find_first_not_of(' ', 7);
  return start == std::string::npos ? std::string() : value.substr(start);
}

const std::string& Request::Header(const std::string& name) const {
  static const std::string kEmpty;
  const auto it = headers.find(name);
  return it == headers.end() ? kEmpty : it->second;
}

std::string RetryAfterText(double seconds) {
  if (seconds == std::floor(seconds)) return std::to_string(static_cast<long long>(seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

Reply GraphError(int status, const std::string& code, const std::string& message) {
  const std::string request_id = NewGuid();
  Reply reply;
  reply.status = status;
  reply.headers.emplace_back("request-id", request_id);
  reply.body = Dump({{"error",
                      {{"code", code},
                       {"message", message},
                       {"innerError",
                        {{"date", FormatIsoSeconds(NowMicros())},
                         {"request-id", request_id},
                         {"client-request-id", request_id}}}}}});
  return reply;
}

Simulator::Simulator(const SimulatorOptions& options, Tenant& tenant, std::string base_url)
    : options_(options),
      tenant_(tenant),
      base_url_(std::move(base_url)),
      process_epoch_(ProcessEpoch()),
      started_(std::chrono::steady_clock::now()),
      faults_(options.faults, options.seed),
      throttle_(options.throttle_limit, options.throttle_window) {}

Reply Simulator::Handle(const Request& request) {
  Reply reply;
  try {
    reply = Route(request);
  } catch (const std::exception& e) {
    // Bad input must never take the simulator down: whatever slipped through is a 400.
    std::cerr << "simulator: " << request.method << " " << request.raw_path << ": " << e.what()
              << std::endl;
    reply =
        GraphError(400, "BadRequest", std::string("Request could not be processed: ") + e.what());
  }
  // Microsoft echoes the client's client-request-id, in a header and in the error's innerError.
  const std::string& client_request_id = request.Header("client-request-id");
  if (!client_request_id.empty() && client_request_id.size() <= 64) {
    reply.headers.emplace_back("client-request-id", client_request_id);
    for (const auto& [name, value] : reply.headers) {
      if (name != "request-id") continue;
      const std::string ours = "\"client-request-id\":\"" + value + "\"";
      const std::size_t at = reply.body.find(ours);
      if (at != std::string::npos) {
        reply.body.replace(at, ours.size(), "\"client-request-id\":" + Dump(client_request_id));
      }
      break;
    }
  }
  const bool introspection = request.path == "/stats" || request.path == "/logs-received" ||
                             request.path == "/control/intake-outage" ||
                             request.path == "/control/fault" || request.path == "/requests";
  if (!introspection) LogRequest(request, reply.status);
  return reply;
}

Reply Simulator::Route(const Request& request) {
  const std::string& path = request.path;
  const auto method_is = [&](const char* method) { return IEquals(request.method, method); };
  const auto not_allowed = [&]() {
    Reply reply = GraphError(405, "MethodNotAllowed",
                             "Method " + request.method + " is not allowed on " + path);
    return reply;
  };
  const auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           IEquals(std::string_view(path).substr(path.size() - suffix.size()), suffix);
  };

  // /{tenant}/oauth2/v2.0/token
  constexpr std::string_view kTokenSuffix = "/oauth2/v2.0/token";
  if (ends_with(kTokenSuffix) && path.size() > kTokenSuffix.size() + 1 &&
      path.find('/', 1) == path.size() - kTokenSuffix.size()) {
    if (!method_is("POST")) return not_allowed();
    return HandleToken(request, path.substr(1, path.size() - kTokenSuffix.size() - 1));
  }
  if (IEquals(path, "/v1.0/admin/exchange/tracing/messageTraces") ||
      IEquals(path, "/beta/admin/exchange/tracing/messageTraces")) {
    if (!method_is("GET")) return not_allowed();
    return HandleGraph(request);
  }
  if (IEquals(path, "/ecp/reportingwebservice/reporting.svc/MessageTrace")) {
    if (!method_is("GET")) return not_allowed();
    return HandleReporting(request);
  }
  if (path == "/control/intake-outage" || path == "/control/fault") {
    if (!method_is("POST")) return not_allowed();
    return path == "/control/fault" ? HandleFaultControl(request) : HandleOutageControl(request);
  }
  if (path == "/stats" || path == "/logs-received" || path == "/requests") {
    if (!method_is("GET")) return not_allowed();
    if (path == "/stats") return HandleStats(request);
    return path == "/requests" ? HandleRequests() : HandleLogsReceived();
  }
  if (path == "/batch" || ends_with("/batch")) {
    if (!method_is("POST")) return not_allowed();
    return HandleIntake(request);
  }
  if (path == "/logs" || ends_with("/logs")) {
    if (!method_is("POST")) return not_allowed();
    return HandleLogs(request);
  }
  return GraphError(404, "NotFound", "No resource at " + path);
}

std::optional<Reply> Simulator::Throttle() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto wait = throttle_.Admit(std::chrono::steady_clock::now());
  if (!wait) return std::nullopt;
  ++counters_[Counter::kThrottled];
  const auto seconds = std::max<long long>(
      1, static_cast<long long>(std::ceil(static_cast<double>(wait->count()) / 1e6)));
  // The exact wait, to the millisecond, as earlier revisions of Microsoft's throttling page show
  // it ("Retry-After: 2.128"); a client that reads whole seconds only comes back too early.
  const double exact = std::max(0.001, std::ceil(static_cast<double>(wait->count()) / 1e3) / 1e3);
  const double window_seconds = static_cast<double>(options_.throttle_window.count()) / 1e6;
  char message[200];
  std::snprintf(message, sizeof message,
                "Too many requests: message trace allows %zu requests per %g seconds per "
                "tenant. Retry after %lld seconds.",
                options_.throttle_limit, window_seconds, seconds);
  Reply reply = GraphError(429, "TooManyRequests", message);
  reply.headers.emplace_back("Retry-After", RetryAfterText(exact));
  return reply;
}

std::optional<Reply> Simulator::TraceFaultReply(TraceFault fault) {
  const double retry_after = std::max(0.001, options_.faults.retry_after_seconds);
  switch (fault) {
    case TraceFault::k500:
      return GraphError(500, "InternalServerError", "An internal server error occurred.");
    case TraceFault::k503:
      return GraphError(503, "ServiceUnavailable",
                        "The service is temporarily unavailable. Please retry later.");
    case TraceFault::k429Seconds: {
      Reply reply = GraphError(429, "TooManyRequests", "Too many requests (injected).");
      reply.headers.emplace_back("Retry-After", RetryAfterText(retry_after));
      return reply;
    }
    case TraceFault::k429Date: {
      // An HTTP date has one-second resolution: one more second keeps the wait >= retry_after.
      Reply reply = GraphError(429, "TooManyRequests", "Too many requests (injected).");
      reply.headers.emplace_back(
          "Retry-After",
          FormatHttpDate(NowMicros() +
                         static_cast<Micros>(std::ceil(retry_after) + 1) * kMicrosPerSecond));
      return reply;
    }
    default:
      return std::nullopt;
  }
}

Micros Simulator::ReportingSnapshot(const std::string& filter, bool first, Micros now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!first) {
    const auto it = reporting_snapshots_.find(filter);
    if (it != reporting_snapshots_.end()) return it->second;
  }
  // Bounded: a long run asks for many windows, and only the current one's pages follow.
  if (reporting_snapshots_.size() >= 1024) reporting_snapshots_.clear();
  reporting_snapshots_[filter] = now;
  return now;
}

bool Simulator::RememberJti(const std::string& jti, long long expires) {
  std::lock_guard<std::mutex> lock(mutex_);
  const long long now = NowMicros() / 1000000;
  for (auto it = used_jtis_.begin(); it != used_jtis_.end();) {
    it = it->second < now ? used_jtis_.erase(it) : std::next(it);
  }
  return used_jtis_.emplace(jti, expires).second;
}

Reply Simulator::BadTokenReply(TokenCheck check, bool empty) {
  std::string message = "Access token validation failure. Invalid token.";
  if (empty) {
    message = "Access token is empty.";
  } else if (check == TokenCheck::kExpired) {
    message = "Lifetime validation failed, the token is expired.";
  } else if (check == TokenCheck::kWrongAudience) {
    message = "Access token validation failure. Invalid audience.";
  } else if (check == TokenCheck::kRevoked) {
    message =
        "Continuous access evaluation resulted in challenge with result: InteractionRequired and "
        "code: TokenIssuedBeforeRevocationTimestamp";
  }
  Reply reply = GraphError(401, "InvalidAuthenticationToken", message);
  reply.headers.emplace_back(
      "WWW-Authenticate",
      "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/"
      "authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"");
  return reply;
}

void Simulator::CountEarlyExpiry(TokenCheck check) {
  if (check == TokenCheck::kExpired && options_.token_valid.count() > 0 &&
      options_.token_valid < options_.token_ttl) {
    faults_.Count("token_expired_early");
  }
}

void Simulator::Count(Counter counter, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_[counter] += n;
}

void Simulator::LogRequest(const Request& request, int status) {
  Json entry = {{"time", FormatIsoMillis(NowMicros())},
                {"method", request.method},
                {"target", request.raw_query.empty() ? request.raw_path
                                                     : request.raw_path + "?" + request.raw_query},
                {"auth", AuthScheme(request)},
                {"status", status}};
  std::lock_guard<std::mutex> lock(mutex_);
  request_log_.push_back(std::move(entry));
  if (request_log_.size() > kRequestLogSize) request_log_.pop_front();
}

}  // namespace mtsim
