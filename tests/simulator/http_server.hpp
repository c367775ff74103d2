#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "simulator.hpp"

namespace mtsim {

/**
 * HTTP/1.1 server on cpp-httplib's request parser and reply writer, with a thread per
 * connection (keep-alive): turns each request into a Request, calls the handler on that
 * connection's thread, and sends its Reply (late, or cut short, when the reply asks for it).
 * The only file that knows cpp-httplib.
 */
class HttpServer final {
 public:
  using Handler = std::function<Reply(const Request&)>;

  /** `base_url` like `http://127.0.0.1:8080`; port 0 for an ephemeral one (see Bind). Bodies
   *  over `max_body_bytes` are read and dropped: the handler sees `body_too_large`. */
  HttpServer(const std::string& base_url, Handler handler, std::size_t max_body_bytes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /** Binds and listens (clients queue until Open); returns the bound port. Idempotent. Throws
   *  std::runtime_error if the address cannot be bound. */
  int Bind();
  /** Starts serving, binding first if needed. Throws std::runtime_error as Bind. */
  void Open();
  /** Sends delayed replies at once, then stops listening and closes idle connections; returns
   *  once every connection is done. Idempotent. */
  void Close();

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace mtsim
