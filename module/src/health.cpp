#include "sekoia/health.hpp"

#include <nlohmann/json.hpp>

namespace sekoia {

namespace {

double UnixSeconds(TimePoint time) {
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch())
                 .count()) /
         1e6;
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

void HealthState::CountError() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++error_count_;
}

std::pair<int, std::string> HealthState::Render(TimePoint now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool alive = now - last_events_time_ <= options_.seconds_without_events_threshold &&
                     now - last_heartbeat_ <= options_.last_heartbeat_threshold;
  nlohmann::ordered_json body;
  body["last_events_time"] = UnixSeconds(last_events_time_);
  body["last_heartbeat"] = UnixSeconds(last_heartbeat_);
  body["seconds_without_events_threshold"] = options_.seconds_without_events_threshold.count();
  body["last_heartbeat_threshold"] = options_.last_heartbeat_threshold.count();
  body["error_count"] = error_count_;
  return {alive ? 200 : 500, body.dump()};
}

}  // namespace sekoia
