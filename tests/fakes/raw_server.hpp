#pragma once

// A TCP server on 127.0.0.1 (port 0) that hands each accepted connection to a handler on its own
// thread: for transport tests that need a service misbehaving at the byte level (slow, endless,
// silent) and a CONNECT proxy that tunnels to a loopback port whatever host it is asked for.
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

namespace sekoia::testing {

/** Reads until the end of a request head ("\r\n\r\n") or `limit` bytes; "" on error. */
inline std::string ReadHead(int fd, std::size_t limit = 65536) {
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < limit) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return "";
    head.append(buffer, static_cast<std::size_t>(n));
  }
  return head;
}

/** Sends all of `bytes`; false when the peer went away. */
inline bool SendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

class RawServer final {
 public:
  /** `handle(fd, stopping)` serves one connection; the server closes the socket after it returns.
   *  `stopping` turns true when the server is being destroyed: long handlers must watch it. */
  explicit RawServer(std::function<void(int, const std::atomic<bool>&)> handle)
      : handle_(std::move(handle)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("test server: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~RawServer() {
    stopping_ = true;
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      workers.swap(workers_);
    }
    for (auto& worker : workers) worker.join();
    ::close(fd_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void Accept() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      ++connections_;
      std::lock_guard<std::mutex> lock(mutex_);
      workers_.emplace_back([this, client] {
        handle_(client, stopping_);
        ::close(client);
      });
    }
  }

  std::function<void(int, const std::atomic<bool>&)> handle_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

/** Connects to 127.0.0.1:port; -1 on failure. */
inline int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/**
 * An HTTP CONNECT proxy: records each CONNECT head, then tunnels the connection to
 * 127.0.0.1:`target_port` whatever host:port it names (so a test can use a host name that does
 * not resolve here, and know the traffic went through the proxy).
 */
class ConnectProxy final {
 public:
  explicit ConnectProxy(int target_port)
      : server_([this, target_port](int client, const std::atomic<bool>& stopping) {
          Tunnel(client, target_port, stopping);
        }) {}
  int port() const { return server_.port(); }
  std::vector<std::string> heads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }

 private:
  void Tunnel(int client, int target_port, const std::atomic<bool>& stopping) {
    const std::string head = ReadHead(client);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      heads_.push_back(head.substr(0, head.find("\r\n\r\n")));
    }
    if (head.rfind("CONNECT ", 0) != 0) {
      SendAll(client,
              "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    const int target = ConnectLoopback(target_port);
    if (target < 0) {
      SendAll(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    SendAll(client, "HTTP/1.1 200 Connection established\r\n\r\n");
    char buffer[16384];
    while (!stopping) {
      pollfd fds[2] = {{client, POLLIN, 0}, {target, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
        if (n <= 0 || !SendAll(fds[1 - i].fd, std::string(buffer, static_cast<std::size_t>(n))))
          closed = true;
      }
      if (closed) break;
    }
    ::close(target);
  }

  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
  RawServer server_;  // last: its threads use the members above
};

}  // namespace sekoia::testing
