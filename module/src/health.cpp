#include "sekoia/health.hpp"

#include <nlohmann/json.hpp>

#include "sekoia/time_format.hpp"

namespace sekoia {

namespace {

// The SDK's _events_alive / _heartbeat_alive: a threshold of 0 or less disables the check, and
// the elapsed time must stay strictly below it.
bool Within(TimePoint now, TimePoint since, std::chrono::seconds threshold) {
  return threshold.count() <= 0 || now - since < threshold;
}

}  // namespace

HealthState::HealthState(const HealthOptions& options, TimePoint start)
    : options_(options), last_events_time_(start), last_heartbeat_(start) {}

void HealthState::Heartbeat(TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_heartbeat_ = now;
}

void HealthState::EventsForwarded(TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_events_time_ = now;
}

void HealthState::SetPermanentFailure(bool failing) {
  std::lock_guard<std::mutex> lock(mutex_);
  permanent_failure_ = failing;
}

void HealthState::CountError() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++error_count_;
}

void HealthState::ResetErrors(TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  error_count_ = 0;
  last_events_time_ = now;
}

std::pair<int, std::string> HealthState::Render(TimePoint now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool alive = Within(now, last_events_time_, options_.seconds_without_events_threshold) &&
                     Within(now, last_heartbeat_, options_.last_heartbeat_threshold);
  // The SDK's liveness_context: naive UTC datetimes in isoformat().
  nlohmann::ordered_json body;
  body["last_events_time"] = FormatNaiveIso(last_events_time_);
  body["last_heartbeat"] = FormatNaiveIso(last_heartbeat_);
  body["seconds_without_events_threshold"] = options_.seconds_without_events_threshold.count();
  body["last_heartbeat_threshold"] = options_.last_heartbeat_threshold.count();
  body["error_count"] = error_count_;
  // Not the SDK's (extra keys are fine): a failure that needs a person, said in a critical log.
  body["permanent_failure"] = permanent_failure_;
  return {alive ? 200 : 500, body.dump()};
}

}  // namespace sekoia
