// For tests: GET /stats[?until=<ISO>][&after=<ISO>[&skip=N]], GET /logs-received, GET /requests,
// POST /control/intake-outage?seconds=S (an intake outage from now), POST /control/fault?kind=K
// (the next eligible request gets that fault).
#include <cmath>
#include <cstdlib>

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
  std::optional<Micros> after;
  std::size_t skip = 0;
  if (const QueryParam* after_param = query.Find("after")) {
    after = ParseIsoTime(after_param->value);
    if (!after) {
      return GraphError(400, "BadRequest",
                        "Invalid after '" + after_param->value + "': expected ISO 8601.");
    }
    if (const QueryParam* skip_param = query.Find("skip")) {
      char* end = nullptr;
      const unsigned long long value = std::strtoull(skip_param->value.c_str(), &end, 10);
      if (skip_param->value.empty() || *end != '\0') {
        return GraphError(400, "BadRequest", "Invalid skip '" + skip_param->value + "'.");
      }
      skip = static_cast<std::size_t>(value);
    }
  }
  // Late publication: the records whose receivedDateTime is at least `since`, and the states
  // published at most `delay_at_most` (unscaled minutes) after it.
  std::optional<Micros> since;
  if (const QueryParam* since_param = query.Find("since")) {
    since = ParseIsoTime(since_param->value);
    if (!since) {
      return GraphError(400, "BadRequest",
                        "Invalid since '" + since_param->value + "': expected ISO 8601.");
    }
  }
  std::optional<double> delay_at_most;
  if (const QueryParam* delay_param = query.Find("delay_at_most")) {
    char* end = nullptr;
    const double minutes = std::strtod(delay_param->value.c_str(), &end);
    if (delay_param->value.empty() || *end != '\0' || !(minutes >= 0)) {
      return GraphError(400, "BadRequest",
                        "Invalid delay_at_most '" + delay_param->value + "': expected minutes.");
    }
    delay_at_most = minutes;
  }
  const Micros now = NowMicros();
  const LedgerStats ledger = tenant_.Stats(until, now, since);
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
  if (until && tenant_.late_publication()) {
    const PublicationStats late = tenant_.Publication(since, *until, now, delay_at_most);
    stats["delay_scale"] = tenant_.delay_scale();
    stats["published"] = late.published;
    stats["published_received"] = late.published_received;
    stats["received_states"] = late.received_states;
    stats["recall"] = late.published == 0 ? 1.0
                                          : static_cast<double>(late.published_received) /
                                                static_cast<double>(late.published);
    stats["unpublished"] = late.unpublished;
    stats["status_changes_published"] = late.status_changes_published;
    stats["status_changes_received"] = late.status_changes_received;
    stats["pending_published"] = late.pending_published;
    stats["pending_received"] = late.pending_received;
    stats["stale"] = late.stale;
    if (late.freshness_median) {
      stats["freshness_minutes"] = {{"median", *late.freshness_median},
                                    {"p99", *late.freshness_p99}};
    }
    Json buckets = Json::array();
    for (const DelayBucket& bucket : late.by_delay) {
      Json entry = {{"from_minutes", bucket.from_minutes}};
      if (std::isfinite(bucket.to_minutes)) entry["to_minutes"] = bucket.to_minutes;
      entry["published"] = bucket.published;
      entry["received"] = bucket.received;
      buckets.push_back(std::move(entry));
    }
    stats["by_delay"] = std::move(buckets);
    if (delay_at_most) {
      stats["within_delay"] = {{"delay_at_most", *delay_at_most},
                               {"published", *late.within_published},
                               {"received", *late.within_received},
                               {"status_changes_published", *late.within_status_changes_published},
                               {"status_changes_received", *late.within_status_changes_received}};
    }
  }
  stats["elapsed_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (after) stats["received_after"] = tenant_.ReceivedAfter(*after, skip);
  stats["faults"] = faults_.Counts();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto counter = [&](Counter c) {
    const auto it = counters_.find(c);
    return it == counters_.end() ? std::uint64_t{0} : it->second;
  };
  stats["graph_requests"] = counter(Counter::kGraphRequests);
  stats["graph_records_served"] = counter(Counter::kGraphRecordsServed);
  stats["graph_requests_without_prefer"] = counter(Counter::kGraphWithoutPrefer);
  stats["graph_requests_without_client_request_id"] =
      counter(Counter::kGraphWithoutClientRequestId);
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

Reply Simulator::HandleOutageControl(const Request& request) {
  const QueryParams query(request.raw_query);
  const QueryParam* seconds_param = query.Find("seconds");
  char* end = nullptr;
  const double seconds =
      seconds_param == nullptr ? -1 : std::strtod(seconds_param->value.c_str(), &end);
  if (seconds_param == nullptr || seconds_param->value.empty() || *end != '\0' ||
      !(seconds >= 0 && seconds <= 86400)) {
    return GraphError(400, "BadRequest", "Expected ?seconds=<0 to 86400>.");
  }
  const double now =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  faults_.ScheduleIntakeOutage(now, seconds);
  Reply reply;
  reply.body = Dump({{"intake_outage_from", now}, {"intake_outage_for", seconds}});
  return reply;
}

Reply Simulator::HandleFaultControl(const Request& request) {
  const QueryParams query(request.raw_query);
  const QueryParam* kind = query.Find("kind");
  if (kind == nullptr || !faults_.Force(kind->value)) {
    return GraphError(400, "BadRequest",
                      "Expected ?kind=<500|503|429_seconds|429_date|close|bad_json|401|slow|"
                      "token_503|intake_503|logs_503>.");
  }
  Reply reply;
  reply.body = Dump({{"forced", kind->value}});
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
