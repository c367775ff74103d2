#include "http_server.hpp"

#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <cpprest/http_listener.h>

#include "http_text.hpp"

namespace mtsim {
namespace {

namespace http = web::http;

void Send(http::http_request request, Reply reply) {
  http::http_response response(static_cast<http::status_code>(reply.status));
  for (const auto& [name, value] : reply.headers) response.headers().add(name, value);
  const std::size_t full_length = reply.body.size();
  if (reply.cut_connection) {
    // cpprest's listener writes Content-Length bytes from the body stream; when the stream
    // ends early it gives up and closes the socket. Announcing the full length and handing
    // over half of it is therefore a real "connection closed mid-body".
    reply.body.resize(full_length / 2);
  }
  // Bytes, not set_body(std::string): that overload reads a char buffer through an unsigned
  // char stream, which UBSan reports as a bad downcast inside cpprest (scripts/test.sh --sanitize).
  response.set_body(std::vector<unsigned char>(reply.body.begin(), reply.body.end()));
  response.headers().set_content_type(reply.content_type);
  if (reply.cut_connection) response.headers().set_content_length(full_length);
  request.reply(response).then([](pplx::task<void> sent) {
    try {
      sent.get();
    } catch (const std::exception&) {
      // The client went away, or the cut connection did what it was meant to do.
    }
  });
}

}  // namespace

class HttpServer::State {
 public:
  State(const std::string& base_url, Handler handler, std::size_t max_body_bytes)
      : listener_(base_url), handler_(std::move(handler)), max_body_bytes_(max_body_bytes) {
    listener_.support([this](http::http_request request) { OnRequest(std::move(request)); });
  }

  ~State() { Close(); }

  void Open() {
    try {
      listener_.open().wait();
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("cannot listen: ") + e.what());
    }
    timer_ = std::thread([this] { RunTimer(); });
  }

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return;
      closed_ = true;
    }
    wake_.notify_all();
    if (timer_.joinable()) timer_.join();
    try {
      listener_.close().wait();
    } catch (const std::exception& e) {
      std::cerr << "simulator: closing the listener: " << e.what() << std::endl;
    }
  }

 private:
  void OnRequest(http::http_request request) {
    auto converted = std::make_shared<Request>();
    converted->method = request.method();
    const web::uri& uri = request.request_uri();
    converted->raw_path = uri.path();
    converted->raw_query = uri.query();
    converted->path = PercentDecode(converted->raw_path, false);
    for (const auto& [name, value] : request.headers()) {
      converted->headers[ToLower(name)] = value;
    }
    std::size_t length = 0;
    if (request.headers().match(http::header_names::content_length, length) &&
        length > max_body_bytes_) {
      // Not worth buffering: the handler only needs to know it was too big.
      converted->body_too_large = true;
      Dispatch(std::move(request), converted);
      return;
    }
    request.extract_utf8string(true).then([this, request, converted](pplx::task<std::string> body) {
      try {
        converted->body = body.get();
      } catch (const std::exception& e) {
        Reply reply;
        reply.status = 400;
        reply.body = R"({"error":{"code":"BadRequest","message":"Unreadable request body"}})";
        Send(request, std::move(reply));
        return;
      }
      Dispatch(request, converted);
    });
  }

  void Dispatch(http::http_request request, const std::shared_ptr<Request>& converted) {
    Reply reply = handler_(*converted);
    if (reply.delay.count() <= 0) {
      Send(std::move(request), std::move(reply));
      return;
    }
    // Late replies wait on a timer thread, not on a listener thread.
    const auto due = std::chrono::steady_clock::now() + reply.delay;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!closed_) {
        delayed_.emplace(due, Delayed{std::move(request), std::move(reply)});
        wake_.notify_all();
        return;
      }
    }
    Send(std::move(request), std::move(reply));
  }

  void RunTimer() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (closed_) break;
      if (delayed_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto due = delayed_.begin()->first;
      if (std::chrono::steady_clock::now() < due) {
        wake_.wait_until(lock, due);
        continue;
      }
      Delayed next = std::move(delayed_.begin()->second);
      delayed_.erase(delayed_.begin());
      lock.unlock();
      Send(std::move(next.request), std::move(next.reply));
      lock.lock();
    }
    // Shutting down: answer whoever is still waiting.
    auto pending = std::move(delayed_);
    lock.unlock();
    for (auto& [due, delayed] : pending) Send(std::move(delayed.request), std::move(delayed.reply));
  }

  struct Delayed {
    http::http_request request;
    Reply reply;
  };

  http::experimental::listener::http_listener listener_;
  Handler handler_;
  std::size_t max_body_bytes_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point, Delayed> delayed_;
  bool closed_ = false;
  std::thread timer_;
};

HttpServer::HttpServer(const std::string& base_url, Handler handler, std::size_t max_body_bytes)
    : state_(std::make_unique<State>(base_url, std::move(handler), max_body_bytes)) {}

HttpServer::~HttpServer() = default;

void HttpServer::Open() { state_->Open(); }

void HttpServer::Close() { state_->Close(); }

}  // namespace mtsim
