// Sekoia.io side: POST .../batch (intake) and POST .../logs (platform logs).
#include <chrono>
#include <vector>

#include "http_text.hpp"
#include "intake_batch.hpp"
#include "simulator.hpp"

namespace mtsim {
namespace {

constexpr std::size_t kKeptLogs = 10000;

Reply SekoiaMessage(int status, const std::string& message) {
  Reply reply;
  reply.status = status;
  reply.body = Dump({{"message", message}});
  return reply;
}

bool IsStringMember(const Json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string();
}

}  // namespace

Reply Simulator::HandleIntake(const Request& request) {
  Reply reply = IntakeAnswer(request);
  reply.delay = options_.intake_latency;
  return reply;
}

Reply Simulator::IntakeAnswer(const Request& request) {
  Count(Counter::kIntakeRequests);
  const double since_start =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (faults_.InIntakeOutage(since_start) || faults_.DrawIntake503()) {
    return SekoiaMessage(503, "Service Unavailable");
  }
  if (request.body_too_large || request.body.size() > options_.max_intake_body) {
    faults_.Count("intake_413");
    return SekoiaMessage(413, "Request Entity Too Large: a batch is limited to " +
                                  std::to_string(options_.max_intake_body) + " bytes");
  }
  std::string error;
  const std::optional<IntakeBatch> batch = ParseIntakeBatch(
      request.body, error, options_.intake_rejects ? kIntakeRejectMarker : std::string_view());
  if (!batch) {
    faults_.Count("intake_400");
    return SekoiaMessage(400, "Invalid batch: " + error);
  }
  if (!batch->intake_key || *batch->intake_key != options_.intake_key) {
    return SekoiaMessage(401, "Invalid intake key");
  }
  if (batch->marked > 0) {
    // --intake-rejects: the whole batch is refused for one event, as the intake does for an
    // event it cannot take.
    faults_.Count("intake_400");
    return SekoiaMessage(400, "Invalid event: the batch holds " + std::to_string(batch->marked) +
                                  " event(s) the intake refuses");
  }
  if (request.Header("user-agent") != "sekoiaio-connector-" + options_.intake_key) {
    Count(Counter::kBadUserAgent);
  }
  tenant_.RecordReceived(batch->event_hashes, NowMicros());

  Reply reply;
  reply.body.reserve(batch->event_hashes.size() * 39 + 16);
  reply.body += R"({"event_ids":[)";
  for (std::size_t i = 0; i < batch->event_hashes.size(); ++i) {
    if (i > 0) reply.body += ',';
    reply.body += '"';
    reply.body += NewGuid();
    reply.body += '"';
  }
  reply.body += "]}";
  return reply;
}

Reply Simulator::HandleLogs(const Request& request) {
  if (BearerToken(request) != options_.platform_token) {
    return SekoiaMessage(401, "Invalid or missing platform token");
  }
  if (faults_.DrawLogs503()) return SekoiaMessage(503, "Service Unavailable");
  const Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("logs") ||
      !body["logs"].is_array()) {
    return SekoiaMessage(400, "Expected {\"logs\": [{\"date\", \"level\", \"message\"}, ...]}");
  }
  for (const Json& entry : body["logs"]) {
    if (!entry.is_object() || !IsStringMember(entry, "date") || !IsStringMember(entry, "level") ||
        !IsStringMember(entry, "message")) {
      return SekoiaMessage(400, "Each log needs string \"date\", \"level\" and \"message\"");
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  counters_[Counter::kLogsReceived] += body["logs"].size();
  for (const Json& entry : body["logs"]) {
    logs_.push_back(entry);
    if (logs_.size() > kKeptLogs) logs_.pop_front();
  }
  return SekoiaMessage(200, "ok");
}

}  // namespace mtsim
