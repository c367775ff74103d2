// The health and metrics server on cpp-httplib (Debian's 0.11.4).
//
// httplib parses the request and writes the reply; the connections are ours. Its own accept
// loop hands each connection to a worker that waits up to the keep-alive timeout for the first
// byte, reads the head with no total bound (the 8 KiB limit is per line, checked after the line
// is buffered whole) and holds the worker meanwhile: one thread per port then falls to a few
// idle connections, and a header stream grows without limit. So one thread polls every
// listener and connection, buffers a request head up to a fixed size, and only a complete head
// reaches httplib (Server::process_request, through a Stream over that buffer).
#include <httplib.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "sekoia/health.hpp"

namespace sekoia {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

/// Open connections over all ports; a new one closes the oldest idle one beyond this.
constexpr std::size_t kMaxConnections = 64;
/// Connections accepted per wake-up, so requests already read are served between batches.
constexpr std::size_t kAcceptBatch = 16;
/// Request line and headers; a longer head gets 431 and the connection is closed.
constexpr std::size_t kMaxRequestHead = 16 * 1024;
/// From accept to a complete request head: slow or silent clients are closed after it.
constexpr std::chrono::seconds kRequestTimeout{2};
/// To write a reply, and then to see the client close after our FIN.
constexpr std::chrono::seconds kWriteTimeout{2};
constexpr std::chrono::seconds kLingerTimeout{1};
constexpr int kListenBacklog = 128;
/// Accepting pauses this long when the process is out of file descriptors.
constexpr std::chrono::milliseconds kAcceptPause{100};

constexpr const char* kJson = "application/json";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
// The SDK's bodies (its health handler's `send_error` replacement).
constexpr const char* kNotFound = R"({"status_code": 404, "reason": "Endpoint doesn't exist"})";
constexpr const char* kNotAllowed = R"({"status_code": 405, "reason": "Method not allowed"})";

/** What a listener serves. */
struct Routes {
  const HealthState* health = nullptr;  ///< null: this port does not serve /health
  const Metrics* metrics = nullptr;     ///< null: this port does not serve the metrics
  Clock* clock = nullptr;
};

void Fill(httplib::Response& response, int status, const std::string& body,
          const char* content_type) {
  response.status = status;
  response.set_content(body, content_type);
}

void Route(const Routes& routes, const httplib::Request& request, httplib::Response& response) {
  if (request.method != "GET" && request.method != "HEAD") {
    Fill(response, 405, kNotAllowed, kJson);
    response.set_header("Allow", "GET, HEAD");
    return;
  }
  try {
    // The target as sent (httplib drops a fragment): a query string is not /health, as in the SDK.
    if (routes.health != nullptr && request.target == "/health") {
      auto [status, body] = routes.health->Render(routes.clock->Now());
      return Fill(response, status, body, kJson);
    }
    if (routes.metrics != nullptr) {
      return Fill(response, 200, routes.metrics->RenderPrometheus(), kPrometheusText);
    }
    Fill(response, 404, kNotFound, kJson);
  } catch (...) {
    Fill(response, 500, R"({"status_code": 500, "reason": "Internal error"})", kJson);
  }
}

/** httplib's request parser and reply writer, for one listener's routes. */
class RequestProcessor final : public httplib::Server {
 public:
  explicit RequestProcessor(const Routes& routes) {
    // Every request is answered here, before httplib would read a body or look for a file.
    set_pre_routing_handler([routes](const httplib::Request& request, httplib::Response& response) {
      Route(routes, request, response);
      return HandlerResponse::Handled;
    });
    // A 100-continue is only worth it for a request we would answer 200 to.
    set_expect_100_continue_handler(
        [routes](const httplib::Request& request, httplib::Response& response) {
          Route(routes, request, response);
          if (response.status == 200) return 100;
          // httplib writes this reply as it is: no Content-Length of its own.
          response.set_header("Content-Length", std::to_string(response.body.size()));
          return response.status;
        });
    // The replies httplib makes itself (an unparsable request line, 414) carry no body: give
    // them the SDK's shape, and 405 to whatever method it refused.
    set_error_handler(
        HandlerWithResponse([](const httplib::Request& request, httplib::Response& response) {
          if (!response.body.empty() || response.has_header("Content-Length")) {
            return HandlerResponse::Unhandled;
          }
          if (request.method != "GET" && request.method != "HEAD") {
            Fill(response, 405, kNotAllowed, kJson);
            response.set_header("Allow", "GET, HEAD");
          } else {
            const char* reason = response.status == 414   ? "URI too long"
                                 : response.status == 416 ? "Range not satisfiable"
                                                          : "Bad request";
            Fill(response, response.status,
                 R"({"status_code": )" + std::to_string(response.status) + R"(, "reason": ")" +
                     reason + R"("})",
                 kJson);
          }
          return HandlerResponse::Handled;
        }));
  }

  /** Answers the one request in `stream`; false when the reply could not be written whole. */
  bool Process(httplib::Stream& stream) {
    bool connection_closed = false;
    return process_request(stream, /*close_connection=*/true, connection_closed,
                           [](httplib::Request& request) {
                             // Whole, uncompressed bodies, as the SDK's servers send them.
                             request.ranges.clear();
                             request.headers.erase("Accept-Encoding");
                           });
  }
};

/** A buffered request head to read, the socket to write the reply to before a deadline. */
class HeadStream final : public httplib::Stream {
 public:
  HeadStream(int fd, const std::string& head, SteadyTime write_deadline)
      : fd_(fd), head_(head), write_deadline_(write_deadline) {}

  bool is_readable() const override { return offset_ < head_.size(); }
  bool is_writable() const override { return true; }

  ssize_t read(char* data, size_t size) override {
    const std::size_t count = std::min(size, head_.size() - offset_);
    std::memcpy(data, head_.data() + offset_, count);
    offset_ += count;
    return static_cast<ssize_t>(count);
  }

  ssize_t write(const char* data, size_t size) override {
    for (;;) {
      const ssize_t sent = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent >= 0) return sent;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          write_deadline_ - std::chrono::steady_clock::now());
      if (left.count() <= 0) return -1;
      pollfd writable{fd_, POLLOUT, 0};
      if (::poll(&writable, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip.clear();
    port = 0;
  }
  socket_t socket() const override { return fd_; }

 private:
  int fd_;
  const std::string& head_;
  std::size_t offset_ = 0;
  SteadyTime write_deadline_;
};

struct Listener {
  int fd = -1;
  int port = 0;
  std::unique_ptr<RequestProcessor> processor;
};

struct Connection {
  enum class State { kReading, kLingering };
  int fd = -1;
  RequestProcessor* processor = nullptr;
  State state = State::kReading;
  SteadyTime accepted;
  SteadyTime deadline;
  std::string head;
};

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/** Throws std::runtime_error naming the port. */
int OpenListener(int port) {
  const std::string cannot = "cannot listen on port " + std::to_string(port) + ": ";
  if (port < 0 || port > 65535) {
    throw std::runtime_error(cannot + "not a TCP port number (1-65535, or 0 for any)");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(cannot + std::generic_category().message(errno));
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, kListenBacklog) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(cannot + std::generic_category().message(error));
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  return ntohs(address.sin_port);
}

class HttplibHealthServer final : public HealthServer {
 public:
  HttplibHealthServer() : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0)
      throw std::runtime_error(std::string("eventfd: ") + std::generic_category().message(errno));
  }

  ~HttplibHealthServer() override {
    Stop();
    for (auto& listener : listeners_) CloseFd(listener.fd);
    CloseFd(wake_fd_);
  }

  /** Returns the bound port. Throws std::runtime_error naming the port. */
  int Listen(int port, const Routes& routes) {
    Listener listener;
    listener.fd = OpenListener(port);
    listener.port = BoundPort(listener.fd);
    listener.processor = std::make_unique<RequestProcessor>(routes);
    listeners_.push_back(std::move(listener));
    return listeners_.back().port;
  }

  void Start(int liveness_port, int metrics_port) {
    liveness_port_ = liveness_port;
    metrics_port_ = metrics_port;
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() override {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    if (!thread_.joinable()) return;
    const std::uint64_t one = 1;
    static_cast<void>(::write(wake_fd_, &one, sizeof one));
    thread_.join();
  }

  int liveness_port() const override { return liveness_port_; }
  int metrics_port() const override { return metrics_port_; }

 private:
  void Run() noexcept {
    try {
      Loop();
    } catch (...) {
      // Only allocation can throw here: the server stops, the collection goes on.
    }
    for (auto& connection : connections_) CloseFd(connection.fd);
    connections_.clear();
    for (auto& listener : listeners_) CloseFd(listener.fd);
  }

  void Loop() {
    std::vector<pollfd> polled;
    for (;;) {
      polled.clear();
      polled.push_back({wake_fd_, POLLIN, 0});
      const auto now = std::chrono::steady_clock::now();
      const bool accepting = now >= accept_paused_until_;
      for (const auto& listener : listeners_) {
        polled.push_back({listener.fd, static_cast<short>(accepting ? POLLIN : 0), 0});
      }
      for (const auto& connection : connections_) polled.push_back({connection.fd, POLLIN, 0});
      // No connection: no deadline, and the thread sleeps until a client or Stop.
      int timeout_ms = -1;
      if (!connections_.empty() || !accepting) {
        SteadyTime first = accepting ? connections_.front().deadline : accept_paused_until_;
        for (const auto& connection : connections_) first = std::min(first, connection.deadline);
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(first - std::chrono::steady_clock::now());
        timeout_ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
      }
      if (::poll(polled.data(), polled.size(), timeout_ms) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (polled[0].revents != 0) return;  // Stop

      // Connections first, so the ones that sent a request are not evicted by new ones.
      const std::size_t first_connection = 1 + listeners_.size();
      for (std::size_t i = 0; i < connections_.size(); ++i) {
        if (polled[first_connection + i].revents != 0) OnReadable(connections_[i]);
      }
      for (std::size_t i = 0; i < listeners_.size(); ++i) {
        if (polled[1 + i].revents != 0) Accept(listeners_[i]);
      }
      const auto after = std::chrono::steady_clock::now();
      for (auto& connection : connections_) {
        if (connection.deadline <= after) CloseFd(connection.fd);
      }
      connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                        [](const Connection& c) { return c.fd < 0; }),
                         connections_.end());
    }
  }

  void Accept(Listener& listener) {
    for (std::size_t accepted = 0; accepted < kAcceptBatch; ++accepted) {
      const int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors: the listener stays readable, so stop polling it for a while rather
        // than spin; the kernel keeps the clients queued meanwhile.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          accept_paused_until_ = std::chrono::steady_clock::now() + kAcceptPause;
        }
        return;
      }
      std::size_t open = 0;
      for (const auto& connection : connections_) open += connection.fd >= 0 ? 1 : 0;
      if (open >= kMaxConnections) EvictOldest();
      Connection connection;
      connection.fd = fd;
      connection.processor = listener.processor.get();
      connection.accepted = std::chrono::steady_clock::now();
      connection.deadline = connection.accepted + kRequestTimeout;
      connections_.push_back(std::move(connection));
      // A client usually sends its request with the handshake: serve it now.
      OnReadable(connections_.back());
    }
  }

  void EvictOldest() {
    Connection* oldest = nullptr;
    for (auto& connection : connections_) {
      if (connection.fd >= 0 && (oldest == nullptr || connection.accepted < oldest->accepted)) {
        oldest = &connection;
      }
    }
    if (oldest != nullptr) CloseFd(oldest->fd);
  }

  void OnReadable(Connection& connection) {
    if (connection.fd < 0) return;
    char buffer[4096];
    if (connection.state == Connection::State::kLingering) {
      // The reply is out and our side shut: discard what the client still sends until it closes.
      for (;;) {
        const ssize_t n = ::recv(connection.fd, buffer, sizeof buffer, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        CloseFd(connection.fd);
        return;
      }
    }
    for (;;) {
      // One byte over the limit tells a head that is too long from one that just fits.
      const std::size_t room = kMaxRequestHead + 1 - connection.head.size();
      const ssize_t n = ::recv(connection.fd, buffer, std::min(room, sizeof buffer), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        CloseFd(connection.fd);
        return;
      }
      const std::size_t searched_from = connection.head.size() < 3 ? 0 : connection.head.size() - 3;
      connection.head.append(buffer, static_cast<std::size_t>(n));
      const std::size_t end = connection.head.find("\r\n\r\n", searched_from);
      if (end != std::string::npos && end + 4 <= kMaxRequestHead) return Serve(connection);
      if (connection.head.size() > kMaxRequestHead) return RefuseHead(connection);
    }
  }

  void Serve(Connection& connection) {
    HeadStream stream(connection.fd, connection.head,
                      std::chrono::steady_clock::now() + kWriteTimeout);
    bool written = false;
    try {
      written = connection.processor->Process(stream);
    } catch (...) {
    }
    std::string().swap(connection.head);
    if (!written) {
      CloseFd(connection.fd);
      return;
    }
    // Closing with unread bytes (a body we did not want) would reset the connection and could
    // destroy the reply in flight: send FIN, and close when the client does.
    ::shutdown(connection.fd, SHUT_WR);
    connection.state = Connection::State::kLingering;
    connection.deadline = std::chrono::steady_clock::now() + kLingerTimeout;
  }

  void RefuseHead(Connection& connection) {
    static const std::string kRefusal = [] {
      const std::string body =
          R"({"status_code": 431, "reason": "Request header fields too large"})";
      return "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n"
             "Content-Length: " +
             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }();
    // Best effort, never waiting: the client is still sending and the close resets the link.
    static_cast<void>(
        ::send(connection.fd, kRefusal.data(), kRefusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT));
    CloseFd(connection.fd);
  }

  int wake_fd_ = -1;
  SteadyTime accept_paused_until_{};
  std::vector<Listener> listeners_;      ///< fixed once the thread runs
  std::vector<Connection> connections_;  ///< the thread's alone
  int liveness_port_ = 0;
  int metrics_port_ = 0;
  std::mutex stop_mutex_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<HealthServer> StartHealthServer(const HealthServerOptions& options,
                                                const HealthState& health, const Metrics& metrics,
                                                Clock& clock) {
  auto server = std::make_unique<HttplibHealthServer>();
  if (!options.metrics_port) {
    const int port = server->Listen(options.liveness_port, Routes{&health, &metrics, &clock});
    server->Start(port, port);
  } else {
    const int liveness = server->Listen(options.liveness_port, Routes{&health, nullptr, &clock});
    const int metrics_port =
        server->Listen(*options.metrics_port, Routes{nullptr, &metrics, &clock});
    server->Start(liveness, metrics_port);
  }
  return server;
}

std::unique_ptr<HealthServer> StartHealthServer(int liveness_port, int metrics_port,
                                                const HealthState& health, const Metrics& metrics,
                                                Clock& clock) {
  HealthServerOptions options;
  options.liveness_port = liveness_port;
  if (metrics_port == liveness_port) {
    options.metrics_port.reset();
  } else {
    options.metrics_port = metrics_port;
  }
  return StartHealthServer(options, health, metrics, clock);
}

}  // namespace sekoia
