#pragma once

#include <atomic>
#include <chrono>
#include <exception>

namespace sekoia {

/**
 * A one-way stop request shared by every loop and wait of the process (SIGTERM, SIGINT).
 * Thread-safe, and Request() is async-signal-safe: a signal handler may call it, so no thread
 * has to stand waiting for signals. Waits wake at once when a stop is requested.
 */
class StopSignal final {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  /** Requests the stop; idempotent; async-signal-safe. */
  void Request() noexcept;
  bool Requested() const noexcept { return requested_.load(std::memory_order_acquire); }
  /** Waits up to `duration`; returns true when a stop was requested (before or during). */
  bool WaitFor(std::chrono::milliseconds duration) const;

 private:
  std::atomic<bool> requested_{false};
  int event_fd_ = -1;  ///< readable once a stop was requested; every waiter polls it
};

/** Thrown by blocking calls that gave up because a stop was requested. */
class StopRequested : public std::exception {
 public:
  const char* what() const noexcept override { return "stop requested"; }
};

}  // namespace sekoia
