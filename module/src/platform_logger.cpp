#include "sekoia/platform_logger.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

#include "log_line.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/time_format.hpp"

namespace sekoia {

namespace {

// Only used to bound memory: entries older than the window are forgotten once the map is larger.
constexpr std::size_t kDedupeMapPruneAt = 4096;

void ReplaceAll(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  static const std::string kMask = "***";
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + kMask.size())) {
    text.replace(at, secret.size(), kMask);
  }
}

/**
 * The logger's own secrets, which the caller may not have registered in the Redactor: the
 * bearer token, and the query of url_logs (a signed URL carries its credential there).
 */
std::vector<std::string> OwnSecrets(const PlatformLoggerOptions& options) {
  std::vector<std::string> secrets{options.token};
  const std::size_t question = options.url_logs.find('?');
  if (question != std::string::npos) {
    const std::size_t end = options.url_logs.find('#', question);
    const std::string query = options.url_logs.substr(
        question + 1, end == std::string::npos ? std::string::npos : end - question - 1);
    secrets.push_back(query);
    std::size_t start = 0;
    while (start <= query.size()) {
      std::size_t amp = query.find('&', start);
      if (amp == std::string::npos) amp = query.size();
      const std::size_t eq = query.find('=', start);
      if (eq != std::string::npos && eq < amp)
        secrets.push_back(query.substr(eq + 1, amp - eq - 1));
      start = amp + 1;
    }
  }
  secrets.erase(std::remove_if(secrets.begin(), secrets.end(),
                               [](const std::string& s) { return s.size() < 4; }),
                secrets.end());
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return secrets;
}

std::string RedactAll(const Redactor& redactor, const PlatformLoggerOptions& options,
                      const std::string& message) {
  std::string text = redactor.Apply(message);
  for (const std::string& secret : OwnSecrets(options)) ReplaceAll(text, secret);
  return text;
}

}  // namespace

PlatformLogger::PlatformLogger(const PlatformLoggerOptions& options, http::HttpTransport& transport,
                               Clock& clock, const Redactor& redactor, std::ostream& err)
    : options_(options), transport_(transport), clock_(clock), redactor_(redactor), err_(err) {
  if (options_.flush_at == 0) options_.flush_at = 1;
  if (options_.max_queue == 0) options_.max_queue = 1;
  if (options_.shutdown_attempts < 1) options_.shutdown_attempts = 1;
  if (Enabled()) thread_ = std::thread(&PlatformLogger::Run, this);
}

PlatformLogger::~PlatformLogger() {
  // A destructor must not throw (the process would terminate on the way out): Shutdown's last
  // sends are best effort, and what they could not send was already written to stderr.
  try {
    Shutdown();
  } catch (...) {
  }
}

void PlatformLogger::Log(LogLevel level, const std::string& message) {
  const std::string text = RedactAll(redactor_, options_, message);
  const TimePoint now = clock_.Now();
  // The rate limit is an interval: measured on the monotonic clock, a step of the system clock
  // neither silences a message for as long as the step nor lets repeats through.
  const SteadyPoint steady = clock_.Steady();
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // As the SDK (Trigger.log): after the first critical, criticals are sent as errors, so the
    // platform sees one critical per run; the downgrade comes before the rate limit.
    if (level == LogLevel::kCritical && critical_sent_) level = LogLevel::kError;
    err_ << detail::FormatLogLine(detail::FormatMillis(now), level, text) << std::flush;
    if (!Enabled() || level < options_.min_level) return;
    if (level == LogLevel::kCritical) critical_sent_ = true;

    // The SDK's LOGS_RATE_LIMIT: 60 s for every level but critical, which is never held back.
    const auto key = std::make_pair(static_cast<int>(level), text);
    const auto seen = last_sent_.find(key);
    if (level != LogLevel::kCritical && seen != last_sent_.end() &&
        steady - seen->second < options_.dedupe_window) {
      return;
    }
    if (last_sent_.size() >= kDedupeMapPruneAt) {
      for (auto it = last_sent_.begin(); it != last_sent_.end();) {
        it = steady - it->second >= options_.dedupe_window ? last_sent_.erase(it) : std::next(it);
      }
    }
    last_sent_[key] = steady;

    const std::size_t size_before = queue_.size();
    queue_.push_back(Entry{FormatNaiveIso(now), level, text});
    if (queue_.size() > options_.max_queue) {
      queue_.pop_front();
      ++dropped_;
    }
    // Only the crossing of flush_at wakes the sender: while the service is down the queue stays
    // above it, and each new entry must not cause another attempt.
    const bool crossed = size_before < options_.flush_at && queue_.size() >= options_.flush_at;
    if (level >= LogLevel::kError || crossed) {
      urgent_ = true;
      wake = true;
    }
    // The first entry buffered starts the sender's interval; it sleeps while nothing is queued.
    if (size_before == 0) wake = true;
  }
  if (wake) cv_.notify_all();
}

void PlatformLogger::Flush() {
  if (!Enabled()) return;
  // One sender at a time: the batch stays at the head of the queue until its send succeeded.
  std::lock_guard<std::mutex> send_lock(send_mutex_);
  std::vector<Entry> batch;
  std::size_t taken = 0;
  std::size_t dropped_before = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    urgent_ = false;
    taken = std::min(queue_.size(), options_.flush_at);
    batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    dropped_before = dropped_;
    if (dropped_before > 0) {
      batch.push_back(Entry{FormatNaiveIso(clock_.Now()), LogLevel::kWarning,
                            std::to_string(dropped_before) +
                                " log entries dropped: the log service was unreachable"});
    }
  }
  if (batch.empty()) return;

  const bool sent = SendBatch(batch);

  std::lock_guard<std::mutex> lock(mutex_);
  if (!sent) return;  // kept at the head; the next flush retries them
  // Entries dropped from the head during the send were ours, and they were delivered: they must
  // neither be removed twice nor be reported as lost.
  const std::size_t dropped_during = dropped_ - dropped_before;
  const std::size_t ours_dropped = std::min(taken, dropped_during);
  for (std::size_t i = ours_dropped; i < taken && !queue_.empty(); ++i) queue_.pop_front();
  dropped_ -= dropped_before + ours_dropped;

  // Another request at once when a full batch, an error, or (at shutdown) anything is left.
  bool again = queue_.size() >= options_.flush_at || (stopping_ && !queue_.empty());
  for (std::size_t i = 0; !again && i < queue_.size(); ++i) {
    again = queue_[i].level >= LogLevel::kError;
  }
  if (again) {
    urgent_ = true;
    cv_.notify_all();
  }
}

bool PlatformLogger::SendBatch(const std::vector<Entry>& batch) {
  nlohmann::json logs = nlohmann::json::array();
  for (const Entry& entry : batch) {
    logs.push_back(
        {{"date", entry.date}, {"level", LevelName(entry.level)}, {"message", entry.message}});
  }
  http::HttpRequest request;
  request.method = "POST";
  request.url = options_.url_logs;
  // Messages may hold bytes that are not UTF-8 (a subject line, a file name): replace, not throw.
  request.body = nlohmann::json{{"logs", std::move(logs)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  request.headers = {{"Authorization", "Bearer " + options_.token},
                     {"Content-Type", "application/json"}};

  std::string failure;
  try {
    const http::HttpResponse response = transport_.Send(request, send_stop_);
    if (response.status >= 200 && response.status < 300) return true;
    failure = "HTTP " + std::to_string(response.status);
  } catch (const StopRequested&) {
    failure = "stopped while sending";
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown error";
  }

  // Written to stderr only: queueing it would feed the very queue that cannot be delivered.
  // Deduplicated like any entry, so an outage prints one line a window, not one per attempt.
  const std::string text =
      RedactAll(redactor_, options_,
                "cannot send logs to the platform (" + failure + "); they are kept and retried");
  const TimePoint now = clock_.Now();
  const SteadyPoint steady = clock_.Steady();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto key = std::make_pair(static_cast<int>(LogLevel::kWarning), text);
  const auto seen = last_sent_.find(key);
  if (seen == last_sent_.end() || steady - seen->second >= options_.dedupe_window) {
    last_sent_[key] = steady;
    err_ << detail::FormatLogLine(detail::FormatMillis(now), LogLevel::kWarning, text)
         << std::flush;
  }
  return false;
}

void PlatformLogger::Run() noexcept {
  try {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      // Asleep while there is nothing to send (no wake-up every interval of an idle trigger);
      // once something is buffered, sent on the SDK's rhythm (every flush_interval), or at once
      // when urgent. A failed send leaves urgent_ unset, so the retry waits a whole interval:
      // no busy loop against a service that is down.
      cv_.wait(lock, [this] { return stopping_ || urgent_ || !queue_.empty() || dropped_ > 0; });
      if (stopping_) break;
      cv_.wait_for(lock, options_.flush_interval, [this] { return stopping_ || urgent_; });
      if (stopping_) break;
      lock.unlock();
      Flush();
      lock.lock();
    }
  } catch (...) {
    // Nothing can be reported from here but to stderr, and stderr is what failed.
  }
}

void PlatformLogger::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (!Enabled()) return;

  // Shutdown must not hold the process hostage when the log service hangs: SIGTERM is followed
  // by SIGKILL after a grace period, and the cursor is persisted after the logger stops. Past the
  // budget, a send still blocked (in the thread or below) is cancelled. Measured in real time: it
  // bounds real I/O, whatever the injected clock says.
  StopSignal finished;
  std::thread watchdog([this, &finished] {
    if (!finished.WaitFor(options_.shutdown_budget)) send_stop_.Request();
  });

  if (thread_.joinable()) thread_.join();

  int failures = 0;
  while (failures < options_.shutdown_attempts && !send_stop_.Requested()) {
    Flush();
    bool failed = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.empty() && dropped_ == 0) break;
      // Flush() asks for another request at once after every success while stopping.
      failed = !urgent_;
    }
    if (failed && ++failures < options_.shutdown_attempts) {
      // The budget's watchdog cuts the pause short.
      if (!clock_.Wait(std::min(options_.shutdown_pause, options_.flush_interval), send_stop_)) {
        break;
      }
    }
  }

  finished.Request();
  watchdog.join();
}

}  // namespace sekoia
