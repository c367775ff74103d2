// Sekoia.io side: POST .../batch (intake) and POST .../logs (platform logs).
#include <chrono>
#include <vector>

#include "http_text.hpp"
#include "json_text.hpp"
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

// Streams `{"intake_key": "...", "jsons": ["...", ...]}` without building a DOM: a 10 MiB
// batch holds ~20,000 events and only their hashes are kept.
class BatchReader final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::optional<std::string> intake_key;
  bool has_jsons = false;
  std::vector<std::uint64_t> hashes;
  std::string error;

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }

  bool string(string_t& value) override {
    if (depth_ == 1 && key_ == "intake_key") {
      intake_key = value;
      return true;
    }
    if (InEvents()) {
      hashes.push_back(EventHash(value));
      return true;
    }
    return Scalar();
  }

  bool start_object(std::size_t) override {
    if (InEvents()) return Fail(kEventsMustBeStrings);
    ++depth_;
    return true;
  }
  bool key(string_t& value) override {
    if (depth_ == 1) key_ = value;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return Fail("the batch must be a JSON object");
    if (InEvents()) return Fail(kEventsMustBeStrings);
    if (depth_ == 1 && key_ == "jsons") {
      if (has_jsons) return Fail("\"jsons\" appears twice");
      in_jsons_ = true;
      has_jsons = true;
    }
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    if (depth_ == 1) in_jsons_ = false;
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& e) override {
    return Fail(e.what());
  }

 private:
  static constexpr const char* kEventsMustBeStrings =
      "\"jsons\" must hold strings (one JSON text per event)";

  bool InEvents() const { return in_jsons_ && depth_ == 2; }
  // Members other than intake_key and jsons are ignored, whatever they hold.
  bool Scalar() {
    if (depth_ == 0) return Fail("the batch must be a JSON object");
    if (InEvents()) return Fail(kEventsMustBeStrings);
    return true;
  }
  bool Fail(const std::string& message) {
    if (error.empty()) error = message;
    return false;
  }

  int depth_ = 0;
  bool in_jsons_ = false;
  std::string key_;
};

bool IsStringMember(const Json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string();
}

}  // namespace

Reply Simulator::HandleIntake(const Request& request) {
  Count(Counter::kIntakeRequests);
  const double since_start =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (faults_.InIntakeOutage(since_start) || faults_.DrawIntake503()) {
    return SekoiaMessage(503, "Service Unavailable");
  }
  if (request.body_too_large || request.body.size() > options_.max_intake_body) {
    return SekoiaMessage(413, "Request Entity Too Large: a batch is limited to " +
                                std::to_string(options_.max_intake_body) + " bytes");
  }
  BatchReader batch;
  if (!nlohmann::json::sax_parse(request.body, &batch) || !batch.has_jsons) {
    return SekoiaMessage(400, "Invalid batch: " +
                                (batch.error.empty() ? std::string("\"jsons\" is missing")
                                                     : batch.error));
  }
  if (!batch.intake_key || *batch.intake_key != options_.intake_key) {
    return SekoiaMessage(401, "Invalid intake key");
  }
  if (request.Header("user-agent") != "sekoiaio-connector-" + options_.intake_key) {
    Count(Counter::kBadUserAgent);
  }
  tenant_.RecordReceived(batch.hashes);

  Reply reply;
  reply.body.reserve(batch.hashes.size() * 39 + 16);
  reply.body += R"({"event_ids":[)";
  for (std::size_t i = 0; i < batch.hashes.size(); ++i) {
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
