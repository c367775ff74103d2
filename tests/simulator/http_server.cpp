#include "http_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <httplib.h>

#include "http_text.hpp"

namespace mtsim {
namespace {

/// A kept-alive connection idle this long is closed (longer than the clients' own reuse windows
/// would only keep threads; shorter makes clients race our close when they reuse it).
constexpr std::chrono::seconds kIdleTimeout{120};
/// Reading a started request, or writing a reply, may stall this long.
constexpr std::chrono::seconds kIoTimeout{30};

/** What the handler decided about the connection, for the loop that serves it. */
struct ConnectionFlags {
  bool answered = false;           ///< false: httplib refused the request before our handlers
  bool close_after_reply = false;  ///< a body was left unread: the next bytes are not a request
};

/**
 * A connected socket as httplib reads and writes it, with a read buffer (httplib reads a
 * request head byte by byte) kept across the requests of a kept-alive connection.
 */
class SocketStream final : public httplib::Stream {
 public:
  explicit SocketStream(int fd) : fd_(fd), buffer_(64 * 1024) {
    timeval timeout{static_cast<long>(kIoTimeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  }

  /** Waits for the first byte of the next request; false on EOF, idle timeout or Close. */
  bool WaitForRequest(int stop_fd) {
    if (begin_ < end_) return true;
    pollfd polled[2] = {{fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    const int timeout_ms = static_cast<int>(kIdleTimeout.count() * 1000);
    int ready = 0;
    do {
      ready = ::poll(polled, 2, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    return ready > 0 && polled[1].revents == 0 && polled[0].revents != 0;
  }

  bool is_readable() const override { return begin_ < end_; }
  bool is_writable() const override { return true; }

  ssize_t read(char* data, size_t size) override {
    if (begin_ == end_ && !Fill()) return -1;
    if (begin_ == end_) return 0;  // EOF
    const std::size_t count = std::min(size, end_ - begin_);
    std::memcpy(data, buffer_.data() + begin_, count);
    begin_ += count;
    return static_cast<ssize_t>(count);
  }

  ssize_t write(const char* data, size_t size) override {
    for (;;) {
      const ssize_t sent = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      return sent;
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
  /** One recv, after at most kIoTimeout; false on timeout or error (EOF leaves it empty). */
  bool Fill() {
    begin_ = end_ = 0;
    pollfd polled{fd_, POLLIN, 0};
    int ready = 0;
    do {
      ready = ::poll(&polled, 1, static_cast<int>(kIoTimeout.count() * 1000));
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) return false;
    ssize_t n = 0;
    do {
      n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return false;
    end_ = static_cast<std::size_t>(n);
    return true;
  }

  int fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/** `http://host:port[/]` to host and port. Throws std::runtime_error. */
std::pair<std::string, int> HostAndPort(const std::string& base_url) {
  const std::string scheme = "http://";
  const std::size_t colon = base_url.rfind(':');
  if (base_url.rfind(scheme, 0) != 0 || colon == std::string::npos || colon < scheme.size()) {
    throw std::runtime_error("not an http://host:port URL: " + base_url);
  }
  std::string port = base_url.substr(colon + 1);
  if (!port.empty() && port.back() == '/') port.pop_back();
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::stoi(port) > 65535) {
    throw std::runtime_error("not an http://host:port URL: " + base_url);
  }
  return {base_url.substr(scheme.size(), colon - scheme.size()), std::stoi(port)};
}

// httplib adds these to the request's headers itself; they were not sent.
bool IsHttplibPseudoHeader(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

thread_local ConnectionFlags* current_connection = nullptr;

}  // namespace

class HttpServer::State {
 public:
  State(const std::string& base_url, Handler handler, std::size_t max_body_bytes)
      : address_(HostAndPort(base_url)),
        handler_(std::move(handler)),
        max_body_bytes_(max_body_bytes),
        stop_fd_(::eventfd(0, EFD_CLOEXEC)) {
    if (stop_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    // Requests without a body are answered before httplib would look at one; the others go
    // through the content readers below, which read the body whatever its size.
    processor_.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          if (IsReadByContentReader(request)) return httplib::Server::HandlerResponse::Unhandled;
          const std::string length = request.get_header_value("Content-Length");
          if ((!length.empty() && length != "0") || request.has_header("Transfer-Encoding")) {
            if (current_connection != nullptr) current_connection->close_after_reply = true;
          }
          Answer(request, std::string(), false, response);
          return httplib::Server::HandlerResponse::Handled;
        });
    auto with_body = [this](const httplib::Request& request, httplib::Response& response,
                            const httplib::ContentReader& reader) {
      std::string body;
      bool too_large = false;
      const bool read = reader([&](const char* data, std::size_t size) {
        if (too_large) return true;
        if (body.size() + size > max_body_bytes_) {
          // Not worth keeping: the handler only needs to know it was too big.
          too_large = true;
          std::string().swap(body);
        } else {
          body.append(data, size);
        }
        return true;
      });
      if (!read) {
        if (current_connection != nullptr) {
          current_connection->answered = true;
          current_connection->close_after_reply = true;
        }
        response.status = 400;
        response.set_content(
            R"({"error":{"code":"BadRequest","message":"Unreadable request body"}})",
            "application/json; charset=utf-8");
        return;
      }
      Answer(request, std::move(body), too_large, response);
    };
    processor_.Post(".*", with_body).Put(".*", with_body).Patch(".*", with_body);
    processor_.Delete(".*", with_body);
    // What the Keep-Alive header announces is what the connection loop does.
    processor_.set_keep_alive_timeout(kIdleTimeout.count());
    processor_.set_keep_alive_max_count(1000000);
  }

  ~State() { Close(); }

  int Bind() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (listen_fd_ >= 0) return port_;
    const auto& [host, port] = address_;
    const std::string cannot = "cannot listen on " + host + ":" + std::to_string(port) + ": ";
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
      throw std::runtime_error(cannot + "not an IPv4 address");
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(cannot + std::strerror(errno));
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, SOMAXCONN) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
      const int error = errno;
      ::close(fd);
      throw std::runtime_error(cannot + std::strerror(error));
    }
    listen_fd_ = fd;
    // Kept after Close too: a reply being written then must go out whole.
    processor_.SetListeningSocket(fd);
    port_ = ntohs(bound.sin_port);
    return port_;
  }

  void Open() {
    Bind();
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || acceptor_.joinable()) return;
    acceptor_ = std::thread([this] { Accept(); });
  }

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return;
      closed_ = true;
    }
    // Delayed replies go out now; idle connections and the acceptor see the event and end.
    wake_.notify_all();
    const std::uint64_t one = 1;
    static_cast<void>(::write(stop_fd_, &one, sizeof one));
    if (acceptor_.joinable()) acceptor_.join();
    std::list<Worker> workers;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      workers.swap(workers_);
    }
    for (auto& worker : workers) worker.thread.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    ::close(stop_fd_);
  }

 private:
  /** httplib's own request parser and reply writer, fed by our connection loop. */
  class Processor final : public httplib::Server {
   public:
    /** httplib writes a content provider's body only while its listening socket is valid. */
    void SetListeningSocket(int fd) { svr_sock_ = fd; }

    /** Serves one request; false when the connection must be closed. */
    bool ServeOne(httplib::Stream& stream) {
      bool connection_closed = false;
      const bool written = process_request(stream, false, connection_closed, nullptr);
      return written && !connection_closed;
    }
  };

  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  static bool IsReadByContentReader(const httplib::Request& request) {
    // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112 6.3); httplib
    // would read one until the client closes.
    return (request.method == "POST" || request.method == "PUT" || request.method == "PATCH" ||
            request.method == "DELETE") &&
           (request.has_header("Content-Length") || request.has_header("Transfer-Encoding"));
  }

  void Accept() noexcept {
    pollfd polled[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    for (;;) {
      const int ready = ::poll(polled, 2, -1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || polled[1].revents != 0) return;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      try {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = workers_.begin(); it != workers_.end();) {
          if (it->done) {
            it->thread.join();
            it = workers_.erase(it);
          } else {
            ++it;
          }
        }
        workers_.emplace_back();
        Worker& worker = workers_.back();
        worker.thread = std::thread([this, fd, &worker] {
          Serve(fd);
          worker.done = true;
        });
      } catch (const std::exception& e) {
        std::cerr << "simulator: cannot serve a connection: " << e.what() << std::endl;
        ::close(fd);
      }
    }
  }

  void Serve(int fd) noexcept {
    try {
      SocketStream stream(fd);
      while (stream.WaitForRequest(stop_fd_)) {
        ConnectionFlags flags;
        current_connection = &flags;
        const bool keep = processor_.ServeOne(stream);
        current_connection = nullptr;
        // httplib answers a request it cannot parse itself, without reading its headers: what
        // follows on the connection is not a request.
        if (!keep || !flags.answered || flags.close_after_reply) break;
      }
    } catch (const std::exception& e) {
      std::cerr << "simulator: connection: " << e.what() << std::endl;
    }
    current_connection = nullptr;
    ::close(fd);
  }

  void Answer(const httplib::Request& request, std::string body, bool too_large,
              httplib::Response& response) {
    if (current_connection != nullptr) current_connection->answered = true;
    Request converted;
    converted.method = request.method;
    // The target as sent (httplib drops a fragment, as cpprest did).
    const std::size_t question = request.target.find('?');
    converted.raw_path = request.target.substr(0, question);
    converted.raw_query = question == std::string::npos ? "" : request.target.substr(question + 1);
    converted.path = PercentDecode(converted.raw_path, false);
    for (const auto& [name, value] : request.headers) {
      if (IsHttplibPseudoHeader(name)) continue;
      // A repeated header reads as one, its values joined, as cpprest gave it.
      auto [it, inserted] = converted.headers.emplace(ToLower(name), value);
      if (!inserted) it->second += ", " + value;
    }
    converted.body = std::move(body);
    converted.body_too_large = too_large;

    Reply reply;
    try {
      reply = handler_(converted);
    } catch (const std::exception& e) {
      std::cerr << "simulator: handler: " << e.what() << std::endl;
      reply = Reply{};
      reply.status = 500;
      reply.body = R"({"error":{"code":"InternalServerError","message":"simulator error"}})";
    }
    if (reply.delay.count() > 0) {
      // Late replies hold this connection's thread only; Close sends them at once.
      const auto due = std::chrono::steady_clock::now() + reply.delay;
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_until(lock, due, [this] { return closed_; });
    }
    Send(std::move(reply), response);
  }

  static void Send(Reply reply, httplib::Response& response) {
    response.status = reply.status;
    for (const auto& [name, value] : reply.headers) response.set_header(name, value);
    if (reply.body.empty()) {
      response.set_header("Content-Type", reply.content_type);
      return;
    }
    // Through a content provider of the announced length: httplib then neither compresses the
    // body nor cuts ranges out of it, and a provider that stops early is a real cut: httplib
    // fails the write and the connection loop closes the socket mid-body.
    const auto body = std::make_shared<const std::string>(std::move(reply.body));
    const std::size_t sent_length = reply.cut_connection ? body->size() / 2 : body->size();
    response.set_content_provider(
        body->size(), reply.content_type,
        [body, sent_length](std::size_t offset, std::size_t, httplib::DataSink& sink) {
          if (offset >= sent_length) return false;
          return sink.write(body->data() + offset, sent_length - offset);
        });
  }

  std::pair<std::string, int> address_;
  Handler handler_;
  std::size_t max_body_bytes_;
  Processor processor_;
  int stop_fd_ = -1;
  int listen_fd_ = -1;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool closed_ = false;
  std::thread acceptor_;
  std::list<Worker> workers_;
};

HttpServer::HttpServer(const std::string& base_url, Handler handler, std::size_t max_body_bytes)
    : state_(std::make_unique<State>(base_url, std::move(handler), max_body_bytes)) {}

HttpServer::~HttpServer() = default;

int HttpServer::Bind() { return state_->Bind(); }

void HttpServer::Open() { state_->Open(); }

void HttpServer::Close() { state_->Close(); }

}  // namespace mtsim
