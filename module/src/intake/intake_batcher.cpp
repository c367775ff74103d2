#include "sekoia/intake/intake_batcher.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "sekoia/errors.hpp"
#include "sekoia/json/raw_json.hpp"

namespace sekoia::intake {

std::string BuildBatchBody(std::string_view intake_key, const std::string_view* begin, const std::string_view* end) {
  constexpr std::string_view kHead = "{\"intake_key\":", kJsons = ",\"jsons\":[", kTail = "]}";
  // Sized exactly first, so the body is allocated once and each event is scanned once more
  // only to be written.
  std::size_t size = kHead.size() + json::QuotedSize(intake_key) + kJsons.size() + kTail.size();
  for (auto it = begin; it != end; ++it) size += (it != begin) + json::QuotedSize(*it);
  std::string body(size, '\0');
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
  return body;
}

std::vector<std::pair<std::size_t, std::size_t>> PlanChunks(const std::vector<std::string_view>& events,
                                                           std::size_t chunk_size, std::size_t max_chunk_bytes) {
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

IntakeBatcher::IntakeBatcher(const IntakeOptions& options, http::HttpTransport& transport, Clock& clock,
                             Random& random, Logger& logger, Metrics& metrics, HealthState& health)
    : options_(options),
      batch_url_(options.intake_url + "/batch"),
      user_agent_("sekoiaio-connector-" + options.intake_key),
      transport_(transport),
      clock_(clock),
      random_(random),
      logger_(logger),
      metrics_(metrics),
      health_(health) {}

ForwardResult IntakeBatcher::Forward(const std::vector<std::string_view>& all_events, const StopSignal& stop) {
  if (!all_events.empty()) health_.ResetErrors(clock_.Now());  // the SDK's push, before sending (Cn:186-188)
  std::vector<std::string_view> events;
  events.reserve(all_events.size());
  std::uint64_t discarded = 0;
  for (std::string_view event : all_events) {
    if (event.size() > options_.max_event_bytes) {
      ++discarded;
      continue;
    }
    events.push_back(event);
  }
  if (discarded > 0) {
    metrics_.AddDiscarded(discarded);
    logger_.Warning(std::to_string(discarded) + " event(s) longer than " + std::to_string(options_.max_event_bytes) +
                    " bytes discarded: the intake does not accept them");
  }
  if (events.empty()) return ForwardResult::kAcknowledged;

  auto chunks = PlanChunks(events, options_.chunk_size, options_.max_chunk_bytes);
  std::vector<ForwardResult> results(chunks.size(), ForwardResult::kAcknowledged);
  std::atomic<std::size_t> next{0};
  auto worker = [&]() noexcept {
    for (std::size_t i = next++; i < chunks.size(); i = next++) {
      try {
        results[i] = SendChunk(events.data() + chunks[i].first, events.data() + chunks[i].second, stop);
      } catch (const std::exception& error) {
        logger_.Error(std::string("intake batch failed: ") + error.what());
        results[i] = ForwardResult::kFailed;
      }
    }
  };
  std::size_t threads = std::min<std::size_t>(chunks.size(), static_cast<std::size_t>(std::max(1, options_.workers)));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();

  for (ForwardResult result : {ForwardResult::kRefused, ForwardResult::kStopped, ForwardResult::kFailed}) {
    if (std::find(results.begin(), results.end(), result) != results.end()) return result;
  }
  return ForwardResult::kAcknowledged;
}

ForwardResult IntakeBatcher::SendChunk(const std::string_view* begin, const std::string_view* end,
                                       const StopSignal& stop) {
  const TimePoint first_attempt = clock_.Now();
  http::HttpRequest request;
  request.method = "POST";
  request.url = batch_url_;
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", user_agent_}};
  request.body = BuildBatchBody(options_.intake_key, begin, end);
  std::chrono::milliseconds backoff = options_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    if (stop.Requested()) return ForwardResult::kStopped;
    std::string failure;
    auto started = std::chrono::steady_clock::now();
    try {
      http::HttpResponse response = transport_.Send(request, stop);
      if (response.status >= 200 && response.status < 300) {
        std::size_t count = static_cast<std::size_t>(end - begin);
        metrics_.AddForwarded(count);
        metrics_.ObserveForwardDuration(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        health_.EventsForwarded(clock_.Now());
        return ForwardResult::kAcknowledged;
      }
      if (response.status == 413 && end - begin > 1) {
        // The intake's limit is lower than ours: halve until it fits.
        logger_.Warning("the intake refused a batch of " + std::to_string(end - begin) +
                        " events as too large (HTTP 413); splitting it in two");
        const std::string_view* middle = begin + (end - begin) / 2;
        ForwardResult first = SendChunk(begin, middle, stop);
        if (first != ForwardResult::kAcknowledged) return first;
        return SendChunk(middle, end, stop);
      }
      if (response.status == 401 || response.status == 403 || response.status == 404) {
        logger_.Critical("the intake refused the events (HTTP " + std::to_string(response.status) +
                         "): check intake_key and intake_server; collection is paused until they are fixed");
        return ForwardResult::kRefused;
      }
      if (response.status == 413) {
        metrics_.AddDiscarded(1);
        logger_.Error("the intake refused one event as too large (HTTP 413); it is discarded");
        return ForwardResult::kAcknowledged;
      }
      failure = "HTTP " + std::to_string(response.status);
    } catch (const TransportError& error) {
      failure = error.what();
    } catch (const StopRequested&) {
      return ForwardResult::kStopped;
    }
    if (clock_.Now() - first_attempt >= options_.give_up_after) {
      logger_.Error("the intake failed for " + std::to_string(options_.give_up_after.count()) +
                    " s (" + failure + "); giving up this batch, it will be read and sent again");
      return ForwardResult::kFailed;
    }
    double u;
    {
      std::lock_guard<std::mutex> lock(random_mutex_);
      u = random_.Uniform();
    }
    auto wait = std::chrono::milliseconds(static_cast<long long>(backoff.count() * (0.5 + 0.5 * u)));
    logger_.Warning("sending events to the intake failed (" + failure + "), attempt " + std::to_string(attempt) +
                    "; retrying in " + std::to_string(wait.count()) + " ms");
    if (!clock_.Wait(wait, stop)) return ForwardResult::kStopped;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace sekoia::intake
