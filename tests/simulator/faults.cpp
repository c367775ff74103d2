#include "faults.hpp"

namespace mtsim {

FaultInjector::FaultInjector(const FaultOptions& options, std::uint64_t seed)
    : options_(options),
      random_(seed ^ 0xFA017FA017ULL),
      outage_at_(options.intake_outage_at),
      outage_for_(options.intake_outage_for) {
  for (const char* kind :
       {"500", "503", "429_seconds", "429_date", "close", "bad_json", "401", "slow", "token_503",
        "token_expired_early", "intake_503", "intake_outage", "intake_413", "logs_503"}) {
    counts_[kind] = 0;
  }
}

bool FaultInjector::Force(const std::string& kind, int count) {
  static const char* const kForcible[] = {"500",       "503",        "429_seconds", "429_date",
                                          "close",     "bad_json",   "401",         "slow",
                                          "token_503", "intake_503", "logs_503"};
  for (const char* forcible : kForcible) {
    if (kind != forcible) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    forced_[kind] += count;
    return true;
  }
  return false;
}

bool FaultInjector::TakeForced(const char* kind) {
  const auto it = forced_.find(kind);
  if (it == forced_.end() || it->second <= 0) return false;
  --it->second;
  ++counts_[kind];
  return true;
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
    if ((slice.fault != TraceFault::k401 || can_revoke) && TakeForced(slice.kind))
      return slice.fault;
  }
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
  return options_.slow_seconds > 0 && (TakeForced("slow") || Draw(options_.slow_rate, "slow"));
}

bool FaultInjector::DrawLoop() {
  std::lock_guard<std::mutex> lock(mutex_);
  return Draw(options_.loop, "loop");
}

bool FaultInjector::DrawIndexGap() {
  std::lock_guard<std::mutex> lock(mutex_);
  return Draw(options_.index_gap, "index_gap");
}

bool FaultInjector::DrawToken503() {
  std::lock_guard<std::mutex> lock(mutex_);
  return TakeForced("token_503") || Draw(options_.token_503, "token_503");
}

bool FaultInjector::DrawIntake503() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (intake_burst_left_ > 0) {
    --intake_burst_left_;
    ++counts_["intake_503"];
    return true;
  }
  if (!TakeForced("intake_503") && !Draw(options_.intake_503, "intake_503")) return false;
  intake_burst_left_ = options_.intake_503_burst - 1;
  return true;
}

bool FaultInjector::DrawLogs503() {
  std::lock_guard<std::mutex> lock(mutex_);
  return TakeForced("logs_503") || Draw(options_.logs_503, "logs_503");
}

void FaultInjector::Count(const char* kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_[kind];
}

bool FaultInjector::InIntakeOutage(double seconds_since_start) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (outage_at_ < 0 || seconds_since_start < outage_at_ ||
      seconds_since_start >= outage_at_ + outage_for_) {
    return false;
  }
  ++counts_["intake_outage"];
  return true;
}

void FaultInjector::ScheduleIntakeOutage(double at, double length) {
  std::lock_guard<std::mutex> lock(mutex_);
  outage_at_ = at;
  outage_for_ = length;
}

std::map<std::string, std::uint64_t> FaultInjector::Counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

}  // namespace mtsim
