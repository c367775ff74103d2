#include <cpprest/http_listener.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "sekoia/health.hpp"

namespace sekoia {

namespace {

namespace web_http = web::http;
using web::http::experimental::listener::http_listener;

// A listener that does not close in this time is abandoned: a stuck client must not stop SIGTERM.
constexpr std::chrono::seconds kCloseBudget{5};

constexpr const char* kJson = "application/json";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

/** What a listener serves. Holds no pointer to the server, which may be gone before a late call. */
struct Routes {
  const HealthState* health = nullptr;  ///< null: this port does not serve /health
  const Metrics* metrics = nullptr;     ///< null: this port does not serve /metrics
  Clock* clock = nullptr;
};

void Reply(const web_http::http_request& request, int status, const std::string& body,
           const std::string& content_type) {
  web_http::http_response response(static_cast<web_http::status_code>(status));
  response.headers().set_content_type(content_type);
  // Bytes, not set_body(std::string): that overload reads a char buffer through an unsigned
  // char stream, which UBSan reports as a bad downcast inside cpprest.
  response.set_body(std::vector<unsigned char>(body.begin(), body.end()));
  // An unobserved failed pplx task terminates the process; a client gone away is not our problem.
  request.reply(response).then([](pplx::task<void> sent) {
    try {
      sent.get();
    } catch (...) {
    }
  });
}

void Handle(const Routes& routes, const web_http::http_request& request) {
  try {
    const std::string path = request.relative_uri().path();
    const bool get = request.method() == web_http::methods::GET;
    if (routes.health != nullptr && path == "/health") {
      if (!get) return Reply(request, 405, R"({"error":"method not allowed"})", kJson);
      auto [status, body] = routes.health->Render(routes.clock->Now());
      return Reply(request, status, body, kJson);
    }
    if (routes.metrics != nullptr && path == "/metrics") {
      if (!get) return Reply(request, 405, R"({"error":"method not allowed"})", kJson);
      return Reply(request, 200, routes.metrics->RenderPrometheus(), kPrometheusText);
    }
    Reply(request, 404, R"({"error":"not found"})", kJson);
  } catch (...) {
    try {
      Reply(request, 500, R"({"error":"internal error"})", kJson);
    } catch (...) {
    }
  }
}

class CpprestHealthServer final : public HealthServer {
 public:
  ~CpprestHealthServer() override { Stop(); }

  /** Throws std::runtime_error naming the port when it cannot listen. */
  void Listen(int port, const Routes& routes) {
    if (port < 1 || port > 65535) {
      throw std::runtime_error("cannot listen on port " + std::to_string(port) +
                               ": not a TCP port number (1-65535)");
    }
    auto listener = std::make_unique<http_listener>("http://0.0.0.0:" + std::to_string(port));
    listener->support([routes](web_http::http_request request) { Handle(routes, request); });
    try {
      listener->open().wait();
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot listen on port " + std::to_string(port) + ": " + e.what());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    listeners_.push_back(std::move(listener));
  }

  void Stop() override {
    std::vector<std::unique_ptr<http_listener>> listeners;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      listeners.swap(listeners_);
    }
    std::vector<std::future<void>> closed;
    for (auto& listener : listeners) {
      auto done = std::make_shared<std::promise<void>>();
      closed.push_back(done->get_future());
      try {
        listener->close().then([done](pplx::task<void> task) {
          try {
            task.get();
          } catch (...) {
          }
          done->set_value();
        });
      } catch (...) {
        done->set_value();
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + kCloseBudget;
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      if (closed[i].wait_until(deadline) != std::future_status::ready) {
        // Its destructor would wait for the same close without limit: abandon it instead.
        static_cast<void>(listeners[i].release());
      }
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<http_listener>> listeners_;
};

}  // namespace

std::unique_ptr<HealthServer> StartHealthServer(int liveness_port, int metrics_port,
                                                const HealthState& health, const Metrics& metrics,
                                                Clock& clock) {
  auto server = std::make_unique<CpprestHealthServer>();
  if (liveness_port == metrics_port) {
    server->Listen(liveness_port, Routes{&health, &metrics, &clock});
  } else {
    server->Listen(liveness_port, Routes{&health, nullptr, &clock});
    server->Listen(metrics_port, Routes{nullptr, &metrics, &clock});
  }
  return server;
}

}  // namespace sekoia
