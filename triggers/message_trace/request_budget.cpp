#include "request_budget.hpp"

#include "sekoia/errors.hpp"
#include "sekoia/http/retrying_transport.hpp"
#include "sekoia/time_format.hpp"

namespace message_trace {
namespace {

std::string Seconds(std::chrono::milliseconds wait) {
  return sekoia::HumanDuration(std::chrono::ceil<std::chrono::seconds>(wait));
}

// A wait for the budget is cut in pieces of at most this: each piece says again how long is
// left, so a 5-minute wait is never 5 silent minutes.
constexpr std::chrono::milliseconds kLongestSilentWait = std::chrono::minutes(1);

}  // namespace

std::chrono::milliseconds PacedTransport::Spacing() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(options_.period) /
         std::max(1, options_.max_requests);
}

std::multiset<sekoia::SteadyPoint>::iterator PacedTransport::TakeSlot(
    const sekoia::StopSignal& stop) {
  bool counted = false;  // one budget wait per request, however many pieces it is waited in
  while (true) {
    std::chrono::milliseconds wait{0};
    std::string line;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto now = clock_.Steady();
      while (!sent_.empty() && *sent_.begin() <= now - options_.period) sent_.erase(sent_.begin());
      if (slow_until_ && now >= *slow_until_) slow_until_.reset();
      const bool budget_full = static_cast<int>(sent_.size()) >= options_.max_requests;
      const bool spaced = slow_until_ && now < next_allowed_;
      if (!budget_full && !spaced) {
        if (slow_until_) next_allowed_ = now + Spacing();
        return sent_.insert(now);
      }
      if (budget_full) {
        wait = std::chrono::duration_cast<std::chrono::milliseconds>(*sent_.begin() +
                                                                     options_.period - now) +
               std::chrono::milliseconds(1);
      }
      if (spaced) {
        wait = std::max(wait,
                        std::chrono::duration_cast<std::chrono::milliseconds>(next_allowed_ - now));
      }
      if (budget_full) {
        line = "the budget of " + std::to_string(options_.max_requests) +
               " message-trace requests per " + std::to_string(options_.period.count()) +
               " s (requests_per_5_minutes: this trigger's share of the "
               "tenant's " +
               std::to_string(kMicrosoftRequestsPer5Minutes) + ") is used up; waiting " +
               Seconds(wait) +
               " before the next request: the collection cycle is lengthened to stay within "
               "Microsoft's limit";
      }
    }
    if (!line.empty()) logger_.Info(line);
    if (metrics_ && !counted) metrics_->AddBudgetWait(std::chrono::duration<double>(wait).count());
    counted = true;
    if (!clock_.Wait(std::min(wait, kLongestSilentWait), stop)) throw sekoia::StopRequested();
  }
}

sekoia::http::HttpResponse PacedTransport::Send(const sekoia::http::HttpRequest& request,
                                                const sekoia::StopSignal& stop) {
  for (int throttled = 0;; ++throttled) {
    auto slot = TakeSlot(stop);
    sekoia::http::HttpResponse response;
    {
      // The service counts a request when it arrives, which may be well after it was sent (a new
      // connection, a slow network): the request's place in the budget is moved to when its answer
      // came back, however it ended.
      struct Answered {
        PacedTransport& paced;
        std::multiset<sekoia::SteadyPoint>::iterator slot;
        ~Answered() {
          std::lock_guard<std::mutex> lock(paced.mutex_);
          paced.sent_.erase(slot);
          paced.sent_.insert(paced.clock_.Steady());
        }
      } answered{*this, slot};
      try {
        response = inner_.Send(request, stop);
      } catch (const sekoia::TransportError&) {
        if (metrics_) metrics_->AddSourceRequest(sekoia::RequestOutcome::kFailed);
        throw;
      }
    }
    if (metrics_) {
      metrics_->AddSourceRequest(response.status == 429 ? sekoia::RequestOutcome::kThrottled
                                 : response.status >= 200 && response.status < 400
                                     ? sekoia::RequestOutcome::kOk
                                     : sekoia::RequestOutcome::kFailed);
    }
    if (response.status != 429 || throttled >= options_.max_throttled_resends) return response;
    // Others of the tenant spend its budget too: wait as asked, then slow down for the rest of
    // the period instead of spending the caller's retries.
    std::chrono::milliseconds wait = Spacing();
    if (auto retry_after =
            sekoia::http::ParseRetryAfter(response.Header("Retry-After"), clock_.Now())) {
      wait = std::min<std::chrono::milliseconds>(
          std::max(*retry_after, std::chrono::milliseconds(0)),
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.period));
    }
    std::string line;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const sekoia::SteadyPoint now = clock_.Steady();
      slow_until_ = now + options_.period;
      next_allowed_ = std::max(next_allowed_, now + wait);
      if (!throttle_logged_ || now - *throttle_logged_ >= options_.period) {
        throttle_logged_ = now;
        const std::string request_id = response.Header("request-id");
        std::string client_request_id;
        for (const auto& [name, value] : request.headers) {
          if (name == "client-request-id") client_request_id = value;
        }
        line = "Microsoft throttled a message-trace request (HTTP 429" +
               (request_id.empty() ? std::string() : ", request-id " + request_id.substr(0, 64)) +
               (client_request_id.empty() ? std::string()
                                          : ", client-request-id " + client_request_id) +
               "): other tools of the tenant share its budget of " +
               std::to_string(kMicrosoftRequestsPer5Minutes) + " requests per 5 minutes; waiting " +
               Seconds(wait) + ", then one request every " + Seconds(Spacing()) + " for the next " +
               sekoia::HumanDuration(options_.period) +
               " (lower requests_per_5_minutes if this recurs)";
      }
    }
    if (!line.empty()) logger_.Warning(line);
  }
}

}  // namespace message_trace
