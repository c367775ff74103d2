#include "sekoia/stop_signal.hpp"

#include <vector>

namespace sekoia {

void StopSignal::Request() {
  std::vector<std::function<void()>> to_run;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (requested_) return;
    requested_ = true;
    for (auto& [id, callback] : callbacks_) to_run.push_back(std::move(callback));
    callbacks_.clear();
  }
  cv_.notify_all();
  // Outside the lock: a callback may cancel I/O whose completion takes other locks.
  for (auto& callback : to_run) callback();
}

bool StopSignal::Requested() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requested_;
}

bool StopSignal::WaitFor(std::chrono::milliseconds duration) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, duration, [this] { return requested_; });
}

StopSignal::CallbackId StopSignal::OnStop(std::function<void()> callback) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!requested_) {
      CallbackId id = next_id_++;
      callbacks_.emplace(id, std::move(callback));
      return id;
    }
  }
  callback();
  return 0;
}

void StopSignal::RemoveCallback(CallbackId id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  callbacks_.erase(id);
}

}  // namespace sekoia
