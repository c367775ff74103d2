#include "request_budget.hpp"

#include "sekoia/time_format.hpp"

namespace office365 {

int PacedTransport::InPeriod() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = clock_.Now();
  while (!sent_.empty() && sent_.front() <= now - options_.period) sent_.pop_front();
  return static_cast<int>(sent_.size());
}

sekoia::http::HttpResponse PacedTransport::Send(const sekoia::http::HttpRequest& request,
                                                const sekoia::StopSignal& stop) {
  while (true) {
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto now = clock_.Now();
      while (!sent_.empty() && sent_.front() <= now - options_.period) sent_.pop_front();
      if (static_cast<int>(sent_.size()) < options_.max_requests) {
        sent_.push_back(now);
        break;
      }
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(sent_.front() + options_.period - now) +
             std::chrono::milliseconds(1);
    }
    logger_.Info("Microsoft's budget of " + std::to_string(options_.max_requests) + " message-trace requests per " +
                 std::to_string(options_.period.count()) + " s is used up; waiting " +
                 sekoia::HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(wait) + std::chrono::seconds(1)) +
                 " before the next request: the collection cycle is lengthened to stay within Microsoft's limit");
    if (!clock_.Wait(wait, stop)) throw sekoia::StopRequested();
  }
  return inner_.Send(request, stop);
}

}  // namespace office365
