#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "sekoia/errors.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/logger.hpp"

namespace sekoia::testing {

/** Records requests and replays scripted answers (or a handler); thread-safe. An answer with
 *  status -1 is thrown as a TransportError. */
class FakeTransport final : public http::HttpTransport {
 public:
  using Handler = std::function<http::HttpResponse(const http::HttpRequest&)>;

  http::HttpResponse Send(const http::HttpRequest& request, const StopSignal&) override {
    std::unique_lock<std::mutex> lock(mutex_);
    requests_.push_back(request);
    if (handler_) {
      Handler handler = handler_;
      lock.unlock();
      return Check(handler(request));
    }
    if (responses_.empty()) {
      ADD_FAILURE() << "unscripted request " << request.method << " " << request.url;
      return {500, "", {}};
    }
    http::HttpResponse next = responses_.front();
    responses_.pop_front();
    return Check(next);
  }

  void Push(http::HttpResponse response) {
    std::lock_guard<std::mutex> lock(mutex_);
    responses_.push_back(std::move(response));
  }
  void SetHandler(Handler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }
  std::vector<http::HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  static http::HttpResponse Check(http::HttpResponse response) {
    if (response.status == -1) throw TransportError("connection refused (scripted)");
    return response;
  }
  mutable std::mutex mutex_;
  std::vector<http::HttpRequest> requests_;
  std::deque<http::HttpResponse> responses_;
  Handler handler_;
};

/** Keeps every message; thread-safe. */
class FakeLogger final : public Logger {
 public:
  void Log(LogLevel level, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.emplace_back(level, message);
  }
  std::vector<std::pair<LogLevel, std::string>> entries() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_;
  }
  bool Contains(LogLevel level, const std::string& part) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [l, m] : entries_)
      if (l == level && m.find(part) != std::string::npos) return true;
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<LogLevel, std::string>> entries_;
};

}  // namespace sekoia::testing
