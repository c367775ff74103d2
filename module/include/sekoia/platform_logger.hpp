#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sekoia/clock.hpp"
#include "sekoia/logger.hpp"
#include "sekoia/redaction.hpp"
#include "sekoia/stop_signal.hpp"

namespace sekoia {

namespace http {
class HttpTransport;
}

struct PlatformLoggerOptions final {
  std::string url_logs;  ///< empty: stderr only
  std::string token;     ///< Bearer token for url_logs; empty: stderr only
  std::chrono::milliseconds flush_interval{5000};
  std::size_t flush_at = 50;               ///< entries that trigger a flush
  std::chrono::seconds dedupe_window{60};  ///< same (level, message) sent at most once per window
  std::size_t max_queue = 10000;           ///< oldest entries dropped past this (counted, reported)
  LogLevel min_level = LogLevel::kInfo;    ///< below it, stderr only
  /// Shutdown's bound in real time: past it a send still blocked is cancelled and what is queued
  /// is lost. Below the platform's grace period between SIGTERM and SIGKILL.
  std::chrono::milliseconds shutdown_budget{5000};
  int shutdown_attempts = 3;  ///< failed sends before Shutdown gives up (at least 1)
  /// Wait between two failed sends at shutdown, on the injected clock (at most flush_interval).
  std::chrono::milliseconds shutdown_pause{1000};
};

/**
 * The platform's logs API as the SDK's Trigger.log feeds it: entries are written to stderr at
 * once and sent to `url_logs` in batches (flush_interval after the first entry is buffered, or
 * at flush_at entries; error and critical at once), `date` a naive UTC ISO 8601 time with
 * microseconds. The same (level, message) is sent at most once per dedupe_window, except
 * criticals; after the first critical, criticals are sent as errors. Failed sends are kept and
 * retried. Every message passes through the Redactor first.
 */
class PlatformLogger final : public Logger {
 public:
  PlatformLogger(const PlatformLoggerOptions& options, http::HttpTransport& transport, Clock& clock,
                 const Redactor& redactor, std::ostream& err);
  ~PlatformLogger() override;
  void Log(LogLevel level, const std::string& message) override;
  /** Sends what is queued now; bounded by one request. */
  void Flush();
  /** Flushes (up to shutdown_attempts failed sends, shutdown_pause apart, all within
   *  shutdown_budget) and stops the background thread; idempotent. */
  void Shutdown();

 private:
  struct Entry {
    std::string date;
    LogLevel level;
    std::string message;
  };
  void Run() noexcept;
  bool SendBatch(const std::vector<Entry>& batch);
  bool Enabled() const { return !options_.url_logs.empty() && !options_.token.empty(); }

  PlatformLoggerOptions options_;
  http::HttpTransport& transport_;
  Clock& clock_;
  const Redactor& redactor_;
  std::ostream& err_;
  std::mutex mutex_;
  std::mutex send_mutex_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  std::map<std::pair<int, std::string>, SteadyPoint>
      last_sent_;  ///< monotonic: when each was last sent
  bool urgent_ = false;
  bool stopping_ = false;
  bool critical_sent_ = false;  ///< a critical was sent: later ones go as error
  std::size_t dropped_ = 0;
  StopSignal send_stop_;
  std::thread thread_;
};

}  // namespace sekoia
