#pragma once

// A tiny HTTP (or HTTPS) server on 127.0.0.1 for transport tests: it records the head of each
// request it receives and answers with scripted bytes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
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

class LoopbackServer final {
 public:
  /** `answer(head)` gives the raw bytes sent back for a request whose head (request line and
   *  headers) is `head`. With a certificate and key (PEM), the server speaks TLS. */
  explicit LoopbackServer(std::function<std::string(const std::string&)> answer,
                          const std::string& certificate_pem = "", const std::string& key_pem = "")
      : answer_(std::move(answer)) {
    // A client that hangs up before the answer (a refused certificate) must not kill the test
    // process: OpenSSL writes to the socket with write(), which raises SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    if (!certificate_pem.empty()) {
      ssl_ = SSL_CTX_new(TLS_server_method());
      BIO* cert = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
      X509* x509 = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
      BIO_free(cert);
      BIO* key = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
      EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
      BIO_free(key);
      if (SSL_CTX_use_certificate(ssl_, x509) != 1 || SSL_CTX_use_PrivateKey(ssl_, pkey) != 1)
        throw std::runtime_error("test server: bad certificate");
      X509_free(x509);
      EVP_PKEY_free(pkey);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("test server: cannot listen");
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stopping_ = true;
    thread_.join();
    ::close(fd_);
    if (ssl_) SSL_CTX_free(ssl_);
  }
  int port() const { return port_; }
  /** Request heads received so far, in order; a TLS handshake that failed counts as "". */
  std::vector<std::string> heads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }
  int connections() const { return connections_; }

 private:
  void Serve() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      ++connections_;
      timeval timeout{5, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      SSL* ssl = nullptr;
      if (ssl_) {
        ssl = SSL_new(ssl_);
        SSL_set_fd(ssl, client);
        if (SSL_accept(ssl) != 1) {
          ERR_clear_error();
          Record("");
          SSL_free(ssl);
          ::close(client);
          continue;
        }
      }
      std::string head;
      char buffer[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        int n = ssl ? SSL_read(ssl, buffer, sizeof buffer)
                    : static_cast<int>(::recv(client, buffer, sizeof buffer, 0));
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
      }
      Record(head.substr(0, head.find("\r\n\r\n")));
      const std::string reply = answer_(head);
      if (ssl) {
        SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
        SSL_shutdown(ssl);
        SSL_free(ssl);
      } else {
        ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ::close(client);
    }
  }
  void Record(const std::string& head) {
    std::lock_guard<std::mutex> lock(mutex_);
    heads_.push_back(head);
  }

  std::function<std::string(const std::string&)> answer_;
  SSL_CTX* ssl_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

}  // namespace sekoia::testing
