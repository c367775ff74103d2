#include "faults.hpp"

namespace mtsim {

FaultInjector::FaultInjector(const FaultOptions& options, std::uint64_t seed)
    : options_(options), random_(seed ^ 0xFA017FA017ULL) {
  for (const char* kind : {"500", "503", "429_seconds", "429_date", "close", "bad_json", "401",
                           "slow", "token_503", "intake_503", "intake_outage"}) {
    counts_[kind] = 0;
  }
}

bool FaultInjector::Draw(double rate, const char* kind) {
  if (rate <= 0 || !random_.Chance(rate)) return false;
  ++counts_[kind];
  return true;
}

TraceFault FaultInjector::DrawTraceFault(bool can_revoke) {
  std::lock_guard<std::mutex> lock(mutex_);
  // One uniform draw split into consecutive slices, so the rates stay exact and exclusive.
  const double x = random_.Unit();
  double edge = 0;
  const struct {
    double rate;
    TraceFault fault;
    const char* kind;
  } slices[] = {{options_.http_500, TraceFault::k500, "500"},
                {options_.http_503, TraceFault::k503, "503"},
                {options_.http_429_seconds, TraceFault::k429Seconds, "429_seconds"},
                {options_.http_429_date, TraceFault::k429Date, "429_date"},
                {options_.close, TraceFault::kClose, "close"},
                {options_.bad_json, TraceFault::kBadJson, "bad_json"},
                {can_revoke ? options_.revoke_401 : 0, TraceFault::k401, "401"}};
  for (const auto& slice : slices) {
    edge += slice.rate;
    if (x < edge) {
      ++counts_[slice.kind];
      return slice.fault;
    }
  }
  return TraceFault::kNone;
}

bool FaultInjector::DrawSlow() {
  std::lock_guard<std::mutex> lock(mutex_);
  return options_.slow_seconds > 0 && Draw(options_.slow_rate, "slow");
}

bool FaultInjector::DrawToken503() {
  std::lock_guard<std::mutex> lock(mutex_);
  return Draw(options_.token_503, "token_503");
}

bool FaultInjector::DrawIntake503() {
  std::lock_guard<std::mutex> lock(mutex_);
  return Draw(options_.intake_503, "intake_503");
}

bool FaultInjector::InIntakeOutage(double seconds_since_start) {
  if (options_.intake_outage_at < 0 || seconds_since_start < options_.intake_outage_at ||
      seconds_since_start >= options_.intake_outage_at + options_.intake_outage_for) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_["intake_outage"];
  return true;
}

std::map<std::string, std::uint64_t> FaultInjector::Counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

}  // namespace mtsim
