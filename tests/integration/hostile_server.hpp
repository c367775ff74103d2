#pragma once

// Misbehaving services for the security tests, on loopback only (127.0.0.1 or ::1): a server that
// answers each request with what a handler scripts (echoing it back, naming another origin...) and
// records everything it received, and a TCP relay that makes a 127.0.0.1 service reachable on
// [::1].
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace integration {

/** One request as received: the request line, the headers (raw), the body. */
struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string head;  ///< request line and headers, as received
  std::string body;
};

/** A raw HTTP/1.1 answer; `Connection: close` and Content-Length are added. */
struct ScriptedAnswer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

namespace detail {

inline int ListenOnLoopback(bool ipv6, int& port) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (ipv6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    address->sin6_addr = in6addr_loopback;
    length = sizeof *address;
  } else {
    auto* address = reinterpret_cast<sockaddr_in*>(&storage);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof *address;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("hostile server: cannot listen on loopback");
  }
  port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return fd;
}

inline bool WaitReadable(int fd, const std::atomic<bool>& stopping) {
  while (!stopping) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 50);
    if (ready > 0) return true;
    if (ready < 0) return false;
  }
  return false;
}

}  // namespace detail

/** Answers every request with `handler(request)`; records each request. Thread-safe. */
class HostileServer final {
 public:
  using Handler = std::function<ScriptedAnswer(const ReceivedRequest&)>;
  explicit HostileServer(Handler handler, bool ipv6 = false)
      : handler_(std::move(handler)), ipv6_(ipv6) {
    fd_ = detail::ListenOnLoopback(ipv6, port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HostileServer() {
    stopping_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url() const {
    return std::string("http://") + (ipv6_ ? "[::1]" : "127.0.0.1") + ":" + std::to_string(port_);
  }
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  /** Connections accepted, whether or not a request followed. */
  int connections() const { return connections_; }

 private:
  void Serve() {
    while (detail::WaitReadable(fd_, stopping_)) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      ++connections_;
      timeval timeout{5, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      ReceivedRequest request;
      if (Read(client, request)) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(request);
        }
        const std::string reply = Format(handler_(request));
        ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ::close(client);
    }
  }
  static bool Read(int client, ReceivedRequest& request) {
    std::string data;
    char buffer[8192];
    std::size_t head_end = std::string::npos;
    std::size_t wanted = 0;
    while (true) {
      if (head_end == std::string::npos) {
        head_end = data.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          request.head = data.substr(0, head_end);
          const std::string lower = Lower(request.head);
          const std::size_t at = lower.find("\r\ncontent-length:");
          wanted = at == std::string::npos ? 0 : std::stoul(request.head.substr(at + 17));
        }
      }
      if (head_end != std::string::npos && data.size() >= head_end + 4 + wanted) break;
      const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      data.append(buffer, static_cast<std::size_t>(n));
      if (data.size() > (64u << 20)) return false;
    }
    request.body = data.substr(head_end + 4, wanted);
    const std::size_t space = request.head.find(' ');
    request.method = request.head.substr(0, space);
    request.target = request.head.substr(space + 1, request.head.find(' ', space + 1) - space - 1);
    return true;
  }
  static std::string Lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }
  static std::string Format(const ScriptedAnswer& answer) {
    std::string out =
        "HTTP/1.1 " + std::to_string(answer.status) + " Scripted\r\nConnection: close\r\n";
    bool typed = false;
    for (const auto& [name, value] : answer.headers) {
      out += name + ": " + value + "\r\n";
      typed = typed || Lower(name) == "content-type";
    }
    if (!typed) out += "Content-Type: application/json\r\n";
    return out + "Content-Length: " + std::to_string(answer.body.size()) + "\r\n\r\n" + answer.body;
  }

  Handler handler_;
  bool ipv6_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

/** Listens on [::1] and relays each connection, both ways, to 127.0.0.1:`target_port`. */
class Ipv6Relay final {
 public:
  explicit Ipv6Relay(int target_port) : target_port_(target_port) {
    fd_ = detail::ListenOnLoopback(true, port_);
    thread_ = std::thread([this] { Accept(); });
  }
  ~Ipv6Relay() {
    stopping_ = true;
    thread_.join();
    for (std::thread& pump : pumps_) pump.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url() const { return "http://[::1]:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void Accept() {
    while (detail::WaitReadable(fd_, stopping_)) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      ++connections_;
      const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(target_port_));
      if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(upstream);
        ::close(client);
        continue;
      }
      pumps_.emplace_back([this, client, upstream] { Pump(client, upstream); });
    }
  }
  void Pump(int a, int b) {
    char buffer[65536];
    while (!stopping_) {
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
        if (n <= 0 || ::send(fds[1 - i].fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n)
          closed = true;
      }
      if (closed) break;
    }
    ::close(a);
    ::close(b);
  }

  int target_port_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::vector<std::thread> pumps_;
  std::thread thread_;
};

}  // namespace integration
