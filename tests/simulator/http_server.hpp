#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "simulator.hpp"

namespace mtsim {

/**
 * HTTP/1.1 server on cpprestsdk's listener: turns each request into a Request, calls the
 * handler on a listener thread, and sends its Reply (late, or cut short, when the reply
 * asks for it). The only file that knows cpprestsdk.
 */
class HttpServer final {
 public:
  using Handler = std::function<Reply(const Request&)>;

  /** `base_url` like `http://127.0.0.1:8080`. Bodies over `max_body_bytes` are not read. */
  HttpServer(const std::string& base_url, Handler handler, std::size_t max_body_bytes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /** Starts listening. Throws std::runtime_error if the address cannot be bound. */
  void Open();
  /** Sends delayed replies at once, then stops listening. Idempotent. */
  void Close();

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace mtsim
