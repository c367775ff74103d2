#include "request_budget.hpp"

#include "sekoia/time_format.hpp"

namespace office365 {

int PacedTransport::InPeriod() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = clock_.Now();
  while (!sent_.empty() && *sent_.begin() <= now - options_.period) sent_.erase(sent_.begin());
  return static_cast<int>(sent_.size());
}

sekoia::http::HttpResponse PacedTransport::Send(const sekoia::http::HttpRequest& request,
                                                const sekoia::StopSignal& stop) {
  std::multiset<sekoia::TimePoint>::iterator slot;
  while (true) {
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto now = clock_.Now();
      while (!sent_.empty() && *sent_.begin() <= now - options_.period) sent_.erase(sent_.begin());
      if (static_cast<int>(sent_.size()) < options_.max_requests) {
        slot = sent_.insert(now);
        break;
      }
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(*sent_.begin() + options_.period - now) +
             std::chrono::milliseconds(1);
    }
    logger_.Info("Microsoft's budget of " + std::to_string(options_.max_requests) + " message-trace requests per " +
                 std::to_string(options_.period.count()) + " s is used up; waiting " +
                 sekoia::HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(wait) + std::chrono::seconds(1)) +
                 " before the next request: the collection cycle is lengthened to stay within Microsoft's limit");
    if (!clock_.Wait(wait, stop)) throw sekoia::StopRequested();
  }
  // The service counts a request when it arrives, which may be well after it was sent (a new
  // connection, a slow network): the request's place in the budget is moved to when its answer
  // came back, however it ended.
  struct Answered {
    PacedTransport& paced;
    std::multiset<sekoia::TimePoint>::iterator slot;
    ~Answered() {
      std::lock_guard<std::mutex> lock(paced.mutex_);
      paced.sent_.erase(slot);
      paced.sent_.insert(paced.clock_.Now());
    }
  } answered{*this, slot};
  return inner_.Send(request, stop);
}

}  // namespace office365
