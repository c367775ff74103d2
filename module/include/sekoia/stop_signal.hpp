#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace sekoia {

/**
 * A one-way stop request shared by every loop and wait of the process (SIGTERM, SIGINT).
 * Thread-safe. Waits wake at once when a stop is requested.
 */
class StopSignal final {
 public:
  StopSignal() = default;
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  /** Requests the stop; idempotent. Runs the registered callbacks once. */
  void Request();
  bool Requested() const;
  /** Waits up to `duration`; returns true when a stop was requested (before or during). */
  bool WaitFor(std::chrono::milliseconds duration) const;

  using CallbackId = std::uint64_t;
  /** Registers `callback` to run on stop (at once if already stopped), e.g. to cancel I/O. */
  CallbackId OnStop(std::function<void()> callback) const;
  void RemoveCallback(CallbackId id) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  bool requested_ = false;
  mutable CallbackId next_id_ = 1;
  mutable std::map<CallbackId, std::function<void()>> callbacks_;
};

/** Thrown by blocking calls that gave up because a stop was requested. */
class StopRequested : public std::exception {
 public:
  const char* what() const noexcept override { return "stop requested"; }
};

}  // namespace sekoia
