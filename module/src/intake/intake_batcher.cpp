#include "sekoia/intake/intake_batcher.hpp"

#include <malloc.h>

#include <algorithm>

#include "sekoia/errors.hpp"
#include "sekoia/json/raw_json.hpp"

namespace sekoia::intake {
namespace {

// Text from the intake or from an event, fit for a log line: printable ASCII, at most `limit`
// characters, the intake key masked should an answer echo it.
std::string Printable(std::string_view text, std::size_t limit, std::string_view secret = {}) {
  std::string out;
  for (char c : text.substr(0, limit)) out += c >= 0x20 && c < 0x7F ? c : '?';
  if (text.size() > limit) out += "...";
  if (!secret.empty()) {
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at))
      out.replace(at, secret.size(), "***");
  }
  return out;
}

// How a discarded event is named in the log: its first id field present, else its length.
std::string EventName(std::string_view event, const std::vector<std::string>& id_fields) {
  std::string name;
  if (!id_fields.empty()) {
    try {
      json::ForEachMember(event, [&](std::string_view key, std::string_view value) {
        if (!json::IsString(value)) return true;
        for (const std::string& field : id_fields) {
          if (key != field) continue;
          std::string scratch;
          name = field + " " + Printable(json::StringText(value, scratch), 128);
          return false;
        }
        return true;
      });
    } catch (const std::exception&) {
      // Not JSON: named by its length below.
    }
  }
  if (name.empty()) name = "an event of " + std::to_string(event.size()) + " bytes";
  return name;
}

}  // namespace

std::string BuildBatchBody(std::string_view intake_key, const std::string_view* begin,
                           const std::string_view* end) {
  std::string body;
  BuildBatchBody(intake_key, begin, end, body);
  return body;
}

void BuildBatchBody(std::string_view intake_key, const std::string_view* begin,
                    const std::string_view* end, std::string& body) {
  constexpr std::string_view kHead = "{\"intake_key\":", kJsons = ",\"jsons\":[", kTail = "]}";
  // Sized exactly first, so the body is allocated once (or not at all, when the buffer is
  // large enough already) and each event is scanned once more only to be written.
  std::size_t size = kHead.size() + json::QuotedSize(intake_key) + kJsons.size() + kTail.size();
  for (auto it = begin; it != end; ++it) size += (it != begin) + json::QuotedSize(*it);
  body.clear();
  body.resize(size);
  char* out = body.data();
  auto copy = [&out](std::string_view text) { out = std::copy(text.begin(), text.end(), out); };
  copy(kHead);
  out = json::WriteQuoted(out, intake_key);
  copy(kJsons);
  for (auto it = begin; it != end; ++it) {
    if (it != begin) *out++ = ',';
    out = json::WriteQuoted(out, *it);
  }
  copy(kTail);
}

std::vector<std::pair<std::size_t, std::size_t>> PlanChunks(
    const std::vector<std::string_view>& events, std::size_t chunk_size,
    std::size_t max_chunk_bytes) {
  std::vector<std::pair<std::size_t, std::size_t>> chunks;
  std::size_t start = 0;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > start && (i - start >= chunk_size || bytes + events[i].size() > max_chunk_bytes)) {
      chunks.emplace_back(start, i);
      start = i;
      bytes = 0;
    }
    bytes += events[i].size();
  }
  if (start < events.size()) chunks.emplace_back(start, events.size());
  return chunks;
}

IntakeBatcher::IntakeBatcher(const IntakeOptions& options, http::HttpTransport& transport,
                             Clock& clock, Random& random, Logger& logger, Metrics& metrics,
                             HealthState& health)
    : options_(options),
      batch_url_(options.intake_url + "/batch"),
      user_agent_("sekoiaio-connector-" + options.intake_key),
      transport_(transport),
      clock_(clock),
      backoff_(options.backoff, random),
      logger_(logger),
      metrics_(metrics),
      health_(health) {
  options_.workers = std::max(1, options_.workers);
  requests_.resize(static_cast<std::size_t>(options_.workers));
  for (http::HttpRequest& request : requests_) {
    request.method = "POST";
    request.url = batch_url_;
    request.headers = {{"Content-Type", "application/json"}, {"User-Agent", user_agent_}};
  }
}

IntakeBatcher::~IntakeBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ending_ = true;
  }
  work_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void IntakeBatcher::WorkerLoop(std::size_t slot, std::uint64_t seen) noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (!work_.wait_for(lock, options_.helper_idle, [&] { return ending_ || call_ != seen; })) {
      // Idle long enough: ends, and is started again when a page needs it. Its batch body (about
      // 1 MB for 1,000 records) is the caller's no more: freed, and the free pages returned.
      ended_[slot - 1] = true;
      std::string().swap(requests_[slot].body);
      lock.unlock();
      malloc_trim(0);
      return;
    }
    if (ending_) return;
    seen = call_;
    // A call wants a number of helpers; a thread woken once they are all there sleeps again.
    if (joined_ >= wanted_) continue;
    ++joined_;
    lock.unlock();
    SendChunks(slot);
    lock.lock();
    ++finished_;
    if (finished_ == wanted_) done_.notify_one();
  }
}

void IntakeBatcher::SendChunks(std::size_t slot) noexcept {
  for (std::size_t i = next_chunk_++; i < chunks_.size(); i = next_chunk_++) {
    try {
      results_[i] = SendChunk(kept_.data() + chunks_[i].first, kept_.data() + chunks_[i].second,
                              *stop_, requests_[slot], false);
    } catch (const std::exception& error) {
      logger_.Error(std::string("intake batch failed: ") + error.what());
      results_[i] = ForwardResult::kFailed;
    } catch (...) {
      logger_.Error("intake batch failed: an unknown error");
      results_[i] = ForwardResult::kFailed;
    }
  }
}

ForwardResult IntakeBatcher::Forward(const std::vector<std::string_view>& all_events,
                                     const StopSignal& stop) {
  if (!all_events.empty())
    health_.ResetErrors(clock_.Now());  // the SDK's push, before sending (Cn:186-188)
  kept_.clear();
  kept_.reserve(all_events.size());
  std::uint64_t discarded = 0;
  for (std::string_view event : all_events) {
    if (event.size() > options_.max_event_bytes) {
      ++discarded;
      continue;
    }
    kept_.push_back(event);
  }
  if (discarded > 0) {
    metrics_.AddDiscarded(discarded);
    logger_.Warning(std::to_string(discarded) + " event(s) longer than " +
                    std::to_string(options_.max_event_bytes) +
                    " bytes discarded: the intake does not accept them");
  }
  if (kept_.empty()) return ForwardResult::kAcknowledged;

  chunks_ = PlanChunks(kept_, options_.chunk_size, options_.max_chunk_bytes);
  results_.assign(chunks_.size(), ForwardResult::kAcknowledged);
  next_chunk_ = 0;
  stop_ = &stop;
  const std::size_t helpers = std::min(chunks_.size(), requests_.size()) - 1;
  if (helpers > 0) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Started when a call first needs them; they sleep between calls, and end when idle long.
      // A new one has seen every call before this one.
      for (std::size_t i = 0; i < helpers; ++i) {
        if (i < threads_.size() && !ended_[i]) continue;
        if (i < threads_.size()) {
          threads_[i].join();  // it has left the loop: it needs the lock no more
          threads_[i] = std::thread(&IntakeBatcher::WorkerLoop, this, i + 1, call_);
          ended_[i] = false;
        } else {
          threads_.emplace_back(&IntakeBatcher::WorkerLoop, this, i + 1, call_);
          ended_.push_back(false);
        }
      }
      wanted_ = helpers;
      joined_ = 0;
      finished_ = 0;
      ++call_;
    }
    work_.notify_all();
  }
  SendChunks(0);
  if (helpers > 0) {
    // Every helper wanted takes part, if only to find no chunk left: none may still be reading
    // this call's events once it has returned.
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return finished_ == wanted_; });
  }
  stop_ = nullptr;

  for (ForwardResult result :
       {ForwardResult::kRefused, ForwardResult::kStopped, ForwardResult::kFailed}) {
    if (std::find(results_.begin(), results_.end(), result) != results_.end()) return result;
  }
  return ForwardResult::kAcknowledged;
}

void IntakeBatcher::ReleaseMemory() {
  {
    // Forward has returned: no helper is reading a body; the lock orders these writes before a
    // helper's next call.
    std::lock_guard<std::mutex> lock(mutex_);
    for (http::HttpRequest& request : requests_) std::string().swap(request.body);
  }
  std::vector<std::string_view>().swap(kept_);
  std::vector<std::pair<std::size_t, std::size_t>>().swap(chunks_);
  std::vector<ForwardResult>().swap(results_);
  // glibc keeps freed memory for the next allocation, and gives back to the system only what is
  // free at the top of its heap: the pages of a page's buffers freed in the middle of it stay
  // resident for as long as the trigger rests (measured after 100,000 Graph records: 2.0 MiB of
  // heap resident at rest, 0.8 MiB with this). malloc_trim returns every whole free page
  // (madvise), once per rest, off the path of the records.
  malloc_trim(0);
}

void IntakeBatcher::Discard(std::string_view event, int status, const std::string& answer) {
  metrics_.AddDiscarded(1);
  logger_.Error("the intake refused one event (HTTP " + std::to_string(status) +
                (answer.empty() ? "" : ": " + answer) +
                "); it is discarded, the others of its page are sent: " +
                EventName(event, options_.event_id_fields));
}

ForwardResult IntakeBatcher::SendChunk(const std::string_view* begin, const std::string_view* end,
                                       const StopSignal& stop, http::HttpRequest& request,
                                       bool split) {
  const SteadyPoint first_attempt = clock_.Steady();
  BuildBatchBody(options_.intake_key, begin, end, request.body);
  for (int attempt = 1;; ++attempt) {
    if (stop.Requested()) return ForwardResult::kStopped;
    std::string failure;
    auto started = std::chrono::steady_clock::now();
    try {
      http::HttpResponse response = transport_.Send(request, stop);
      if (response.status >= 200 && response.status < 300) {
        std::size_t count = static_cast<std::size_t>(end - begin);
        metrics_.AddForwarded(count);
        metrics_.ObserveForwardDuration(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        health_.EventsForwarded(clock_.Now());
        return ForwardResult::kAcknowledged;
      }
      if (response.status == 413 && end - begin > 1) {
        // The intake's limit is lower than ours: halve until it fits.
        logger_.Warning("the intake refused a batch of " + std::to_string(end - begin) +
                        " events as too large (HTTP 413); splitting it in two");
        const std::string_view* middle = begin + (end - begin) / 2;
        ForwardResult first = SendChunk(begin, middle, stop, request, true);
        if (first != ForwardResult::kAcknowledged) return first;
        return SendChunk(middle, end, stop, request, true);
      }
      if (response.status == 400 || response.status == 422) {
        // The intake will never take this batch as it is (an event it cannot parse or refuses):
        // retrying would hold the page, and the checkpoint, for an hour and then read it again
        // forever. Halving isolates the event(s) refused; the others are sent.
        const std::string answer = Printable(response.body, 200, options_.intake_key);
        if (end - begin > 1) {
          if (!split) {
            logger_.Warning("the intake refused a batch of " + std::to_string(end - begin) +
                            " events (HTTP " + std::to_string(response.status) +
                            (answer.empty() ? "" : ": " + answer) +
                            "); halving it until the event it refuses is alone");
          }
          const std::string_view* middle = begin + (end - begin) / 2;
          ForwardResult first = SendChunk(begin, middle, stop, request, true);
          if (first != ForwardResult::kAcknowledged) return first;
          return SendChunk(middle, end, stop, request, true);
        }
        Discard(*begin, response.status, answer);
        return ForwardResult::kAcknowledged;
      }
      if (response.status == 401 || response.status == 403 || response.status == 404) {
        logger_.Critical(
            "the intake refused the events (HTTP " + std::to_string(response.status) +
            "): check intake_key and intake_server; collection is paused until they are fixed");
        return ForwardResult::kRefused;
      }
      if (response.status == 413) {
        metrics_.AddDiscarded(1);
        logger_.Error("the intake refused one event as too large (HTTP 413); it is discarded: " +
                      EventName(*begin, options_.event_id_fields));
        return ForwardResult::kAcknowledged;
      }
      failure = "HTTP " + std::to_string(response.status);
      // The statuses above have the intake's own meaning; of the others, only what the one
      // retry policy names is worth the same batch again. A 409, a 3xx (a redirect is never
      // followed) would come back for an hour: the page is read and sent again by the collector,
      // at its own pace, instead.
      if (!IsRetryableStatus(response.status)) {
        const std::string answer = Printable(response.body, 200, options_.intake_key);
        logger_.Error(
            "the intake answered " + failure + (answer.empty() ? "" : ": " + answer) +
            ", which the same batch sent again would get again; giving up this batch, it will be "
            "read and sent again");
        return ForwardResult::kFailed;
      }
    } catch (const TransportError& error) {
      failure = error.what();
    } catch (const StopRequested&) {
      return ForwardResult::kStopped;
    }
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Steady() - first_attempt);
    if (backoff_.GiveUp(attempt, elapsed)) {
      logger_.Error(
          "the intake failed for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count()) +
          " s (" + failure + "); giving up this batch, it will be read and sent again");
      return ForwardResult::kFailed;
    }
    const std::chrono::milliseconds wait = backoff_.Delay(attempt);
    logger_.Warning("sending events to the intake failed (" + failure + "), attempt " +
                    std::to_string(attempt) + "; retrying in " + std::to_string(wait.count()) +
                    " ms");
    if (!clock_.Wait(wait, stop)) return ForwardResult::kStopped;
  }
}

}  // namespace sekoia::intake
