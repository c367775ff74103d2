#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "sekoia/clock.hpp"
#include "sekoia/redaction.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia {

namespace http {
class HttpTransport;
}

enum class LogLevel { kDebug, kInfo, kWarning, kError, kCritical };
const char* LevelName(LogLevel level);

/** Where the module's messages go. Thread-safe. */
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, const std::string& message) = 0;
  void Debug(const std::string& m) { Log(LogLevel::kDebug, m); }
  void Info(const std::string& m) { Log(LogLevel::kInfo, m); }
  void Warning(const std::string& m) { Log(LogLevel::kWarning, m); }
  void Error(const std::string& m) { Log(LogLevel::kError, m); }
  void Critical(const std::string& m) { Log(LogLevel::kCritical, m); }
};

struct PlatformLoggerOptions final {
  std::string url_logs;                        ///< empty: stderr only
  std::string token;                           ///< Bearer token for url_logs; empty: stderr only
  std::chrono::milliseconds flush_interval{5000};
  std::size_t flush_at = 50;                   ///< entries that trigger a flush
  std::chrono::seconds dedupe_window{60};      ///< same (level, message) sent at most once per window
  std::size_t max_queue = 10000;               ///< oldest entries dropped past this (counted, reported)
  LogLevel min_level = LogLevel::kInfo;        ///< below it, stderr only
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
  /** Flushes (a few attempts, bounded in time) and stops the background thread; idempotent. */
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
  std::map<std::pair<int, std::string>, SteadyPoint> last_sent_;  ///< monotonic: when each was last sent
  bool urgent_ = false;
  bool stopping_ = false;
  bool critical_sent_ = false;  ///< a critical was sent: later ones go as error
  std::size_t dropped_ = 0;
  StopSignal send_stop_;
  std::thread thread_;
};

/** A Logger that writes to a stream only (tools, tests). */
class StreamLogger final : public Logger {
 public:
  StreamLogger(std::ostream& out, const Redactor& redactor) : out_(out), redactor_(redactor) {}
  void Log(LogLevel level, const std::string& message) override;

 private:
  std::mutex mutex_;
  std::ostream& out_;
  const Redactor& redactor_;
};

}  // namespace sekoia
