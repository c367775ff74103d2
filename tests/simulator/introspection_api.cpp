// For tests: GET /stats[?until=<ISO>], GET /logs-received, GET /requests.
#include "http_text.hpp"
#include "simulator.hpp"
#include "time_text.hpp"

namespace mtsim {

Reply Simulator::HandleStats(const Request& request) {
  const QueryParams query(request.raw_query);
  std::optional<Micros> until;
  if (const QueryParam* until_param = query.Find("until")) {
    until = ParseIsoTime(until_param->value);
    if (!until) {
      return GraphError(400, "BadRequest",
                        "Invalid until '" + until_param->value + "': expected ISO 8601.");
    }
  }
  const LedgerStats ledger = tenant_.Stats(until, NowMicros());
  Json stats = {
      {"tenant_records", ledger.tenant_records},
      {"served_distinct", ledger.served_distinct},
      {"received_total", ledger.received_total},
      {"received_distinct", ledger.received_distinct},
      {"duplicates", ledger.received_total - ledger.received_distinct},
      {"unknown", ledger.unknown},
      {"served_not_received", ledger.served_not_received},
  };
  if (until) {
    stats["expected"] = *ledger.expected;
    stats["missing"] = *ledger.missing;
  }
  stats["faults"] = faults_.Counts();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto counter = [&](Counter c) {
    const auto it = counters_.find(c);
    return it == counters_.end() ? std::uint64_t{0} : it->second;
  };
  stats["graph_requests"] = counter(Counter::kGraphRequests);
  stats["reporting_requests"] = counter(Counter::kReportingRequests);
  stats["token_requests"] = counter(Counter::kTokenRequests);
  stats["token_client_assertions"] = counter(Counter::kTokenClientAssertions);
  stats["throttled"] = counter(Counter::kThrottled);
  stats["peak_requests_in_window"] = throttle_.peak();
  stats["intake_requests"] = counter(Counter::kIntakeRequests);
  stats["bad_user_agent"] = counter(Counter::kBadUserAgent);
  stats["logs_received"] = counter(Counter::kLogsReceived);
  Reply reply;
  reply.body = Dump(stats);
  return reply;
}

Reply Simulator::HandleLogsReceived() {
  std::lock_guard<std::mutex> lock(mutex_);
  Reply reply;
  reply.body = Dump(Json(logs_));
  return reply;
}

Reply Simulator::HandleRequests() {
  std::lock_guard<std::mutex> lock(mutex_);
  Reply reply;
  reply.body = Dump(Json(request_log_));
  return reply;
}

}  // namespace mtsim
