#include "sekoia/health.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fake_clock.hpp"

namespace sekoia {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeClock;

TEST(HealthState, IsAliveAtStartWithTheSdkFields) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  const auto [status, body] = health.Render(clock.Now());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body,
            R"({"last_events_time":"2026-01-21T12:53:20","last_heartbeat":"2026-01-21T12:53:20",)"
            R"("seconds_without_events_threshold":21600,"last_heartbeat_threshold":0,)"
            R"("error_count":0,"permanent_failure":false})");
}

TEST(HealthState, DiesAfterSixHoursWithoutEventsAndRevivesOnEvents) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  for (int i = 0; i < 6; ++i) {
    clock.Advance(hours(1));
    health.Heartbeat(clock.Now());
  }
  clock.Advance(milliseconds(-1));
  EXPECT_EQ(health.Render(clock.Now()).first, 200);  // 21599.999 s: still alive
  clock.Advance(milliseconds(1));
  EXPECT_EQ(health.Render(clock.Now()).first, 500);  // exactly 21600 s: the SDK's rule is "<"

  clock.Advance(seconds(1));
  health.Heartbeat(clock.Now());
  EXPECT_EQ(health.Render(clock.Now()).first, 500);

  health.EventsForwarded(clock.Now());
  const auto [status, body] = health.Render(clock.Now());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(nlohmann::json::parse(body)["last_events_time"], "2026-01-21T18:53:21");
}

TEST(HealthState, ResetErrorsZeroesTheCountAndSetsTheLastEventsTime) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  health.CountError();
  health.CountError();
  clock.Advance(hours(6));
  EXPECT_EQ(health.Render(clock.Now()).first, 500);
  health.ResetErrors(clock.Now());
  const auto [status, body] = health.Render(clock.Now());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(nlohmann::json::parse(body)["error_count"], 0);
  EXPECT_EQ(nlohmann::json::parse(body)["last_events_time"], "2026-01-21T18:53:20");
  health.CountError();
  EXPECT_EQ(nlohmann::json::parse(health.Render(clock.Now()).second)["error_count"], 1);
}

TEST(HealthState, DiesWhenTheHeartbeatIsLate) {
  FakeClock clock;
  HealthOptions options;
  options.last_heartbeat_threshold = seconds(300);
  HealthState health(options, clock.Now());

  clock.Advance(milliseconds(299750));
  health.EventsForwarded(clock.Now());
  EXPECT_EQ(health.Render(clock.Now()).first, 200);

  clock.Advance(milliseconds(250));
  const auto [status, body] = health.Render(clock.Now());
  EXPECT_EQ(status, 500);
  const auto json = nlohmann::json::parse(body);
  EXPECT_EQ(json["last_heartbeat"], "2026-01-21T12:53:20");
  EXPECT_EQ(json["last_events_time"], "2026-01-21T12:58:19.750000");
  EXPECT_EQ(json["last_heartbeat_threshold"].get<int>(), 300);

  health.Heartbeat(clock.Now());
  const auto [status_after, body_after] = health.Render(clock.Now());
  EXPECT_EQ(status_after, 200);
  EXPECT_EQ(nlohmann::json::parse(body_after)["last_heartbeat"], "2026-01-21T12:58:20");
}

TEST(HealthState, CountsErrors) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  health.CountError();
  health.CountError();
  const auto [status, body] = health.Render(clock.Now());
  EXPECT_EQ(status, 200);
  EXPECT_EQ(nlohmann::json::parse(body)["error_count"].get<int>(), 2);
}

// --- The real server, over loopback ---------------------------------------------------------
// Every server binds ephemeral ports (0) and the tests read them back; nothing is bound and
// released first.

constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kNotFound = R"({"status_code": 404, "reason": "Endpoint doesn't exist"})";

struct Reply {
  int status = 0;
  std::string head;  ///< status line and headers, as received
  std::string content_type;
  std::string content_length;
  std::string allow;
  std::string body;
  std::string raw;  ///< every byte received
};

std::string HeaderValue(const std::string& head, const std::string& name) {
  std::string lower_head;
  for (char c : head) lower_head += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = lower_head.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  std::size_t start = at + 2 + name.size() + 1;
  while (start < head.size() && head[start] == ' ') ++start;
  return head.substr(start, head.find("\r\n", start) - start);
}

/** A connected socket to 127.0.0.1:port, -1 when the connection is refused. Receives time out
 *  after 10 s, so a bug cannot hang the test. */
int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/** Sends `request` as is and reads the answer until the server closes the connection (it
 *  serves one request per connection). */
Reply Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) {
    ADD_FAILURE() << "cannot connect to port " << port;
    return {};
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  Reply reply;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reply.raw.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const std::size_t end = reply.raw.find("\r\n\r\n");
  if (end == std::string::npos || reply.raw.rfind("HTTP/1.1 ", 0) != 0) {
    ADD_FAILURE() << "no complete answer from port " << port << ": " << reply.raw;
    return reply;
  }
  reply.head = reply.raw.substr(0, end + 2);
  reply.status = std::stoi(reply.raw.substr(9, 3));
  reply.content_type = HeaderValue(reply.head, "content-type");
  reply.content_length = HeaderValue(reply.head, "content-length");
  reply.allow = HeaderValue(reply.head, "allow");
  reply.body = reply.raw.substr(end + 4);
  return reply;
}

Reply Request(int port, const std::string& method, const std::string& path) {
  return Exchange(port, method + " " + path +
                            " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n");
}

/** The health server on two ephemeral ports. */
struct Served {
  FakeClock clock;
  HealthState health{HealthOptions{}, clock.Now()};
  Metrics metrics{"intake-key", clock};
  std::unique_ptr<HealthServer> server;

  explicit Served(std::optional<int> metrics_port = 0) {
    HealthServerOptions options;
    options.liveness_port = 0;
    options.metrics_port = metrics_port;
    server = StartHealthServer(options, health, metrics, clock);
  }
};

std::size_t ThreadCount() {
  std::size_t count = 0;
  DIR* tasks = ::opendir("/proc/self/task");
  while (const dirent* entry = ::readdir(tasks)) count += entry->d_name[0] != '.' ? 1 : 0;
  ::closedir(tasks);
  return count;
}

double ProcessCpuSeconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

TEST(HealthServer, ServesHealthAndMetricsOnTheirPortsAnd404Elsewhere) {
  Served served;
  served.metrics.AddForwarded(7);
  const int liveness_port = served.server->liveness_port();
  const int metrics_port = served.server->metrics_port();
  ASSERT_GT(liveness_port, 0);
  ASSERT_GT(metrics_port, 0);
  ASSERT_NE(liveness_port, metrics_port);

  Reply alive = Request(liveness_port, "GET", "/health");
  EXPECT_EQ(alive.status, 200);
  EXPECT_EQ(alive.content_type, "application/json");
  EXPECT_EQ(alive.body, served.health.Render(served.clock.Now()).second);
  EXPECT_EQ(alive.content_length, std::to_string(alive.body.size()));

  // The metrics port answers any path, as prometheus_client's MetricsHandler.
  for (const char* path : {"/metrics", "/", "/health", "/anything?x=1"}) {
    Reply scraped = Request(metrics_port, "GET", path);
    EXPECT_EQ(scraped.status, 200) << path;
    EXPECT_EQ(scraped.content_type, kPrometheusText) << path;
    EXPECT_EQ(scraped.body, served.metrics.RenderPrometheus()) << path;
  }
  EXPECT_NE(Request(metrics_port, "GET", "/metrics")
                .body.find("forwarded_events_total{intake_key=\"intake-key\"} 7.0"),
            std::string::npos);

  // The liveness port: exactly /health, a query string included in "exactly".
  for (const char* path : {"/nothing-here", "/metrics", "/health?verbose=1", "/health/", "/"}) {
    Reply missing = Request(liveness_port, "GET", path);
    EXPECT_EQ(missing.status, 404) << path;
    EXPECT_EQ(missing.content_type, "application/json") << path;
    EXPECT_EQ(missing.body, kNotFound) << path;
  }

  served.clock.Advance(hours(7));
  Reply dead = Request(liveness_port, "GET", "/health");
  EXPECT_EQ(dead.status, 500);
  EXPECT_EQ(dead.content_type, "application/json");
  EXPECT_EQ(dead.body, served.health.Render(served.clock.Now()).second);
}

TEST(HealthServer, ServesBothOnOneSharedPort) {
  Served served(std::nullopt);
  const int port = served.server->liveness_port();
  EXPECT_EQ(served.server->metrics_port(), port);
  EXPECT_EQ(Request(port, "GET", "/health").body, served.health.Render(served.clock.Now()).second);
  for (const char* path : {"/metrics", "/", "/health?x=1", "/other"}) {
    Reply scraped = Request(port, "GET", path);
    EXPECT_EQ(scraped.status, 200) << path;
    EXPECT_EQ(scraped.content_type, kPrometheusText) << path;
    EXPECT_EQ(scraped.body, served.metrics.RenderPrometheus()) << path;
  }
}

TEST(HealthServer, EqualPortNumbersShareOneListener) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  Metrics metrics("k", clock);
  auto server = StartHealthServer(0, 0, health, metrics, clock);
  EXPECT_EQ(server->metrics_port(), server->liveness_port());
  EXPECT_EQ(Request(server->liveness_port(), "GET", "/health").status, 200);
  EXPECT_EQ(Request(server->liveness_port(), "GET", "/metrics").body, metrics.RenderPrometheus());
}

TEST(HealthServer, HeadAnswersTheHeadersOfGetWithoutBody) {
  Served served;
  for (auto [port, path] : {std::pair<int, const char*>{served.server->liveness_port(), "/health"},
                            {served.server->liveness_port(), "/missing"},
                            {served.server->metrics_port(), "/metrics"}}) {
    Reply get = Request(port, "GET", path);
    Reply head = Request(port, "HEAD", path);
    EXPECT_EQ(head.status, get.status) << path;
    EXPECT_EQ(head.content_type, get.content_type) << path;
    EXPECT_EQ(head.content_length, std::to_string(get.body.size())) << path;
    EXPECT_EQ(head.body, "") << path;
  }
}

TEST(HealthServer, RefusesEveryOtherMethodWith405WithoutEchoingTheRequest) {
  Served served;
  const std::string sentinel = "SENTINEL-echo-5e1f";
  for (int port : {served.server->liveness_port(), served.server->metrics_port()}) {
    for (const char* method :
         {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"}) {
      const std::string body = "{\"secret\": \"" + sentinel + "\"}";
      Reply refused = Exchange(port, std::string(method) + " /health?" + sentinel +
                                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Echo: " + sentinel +
                                         "\r\nCookie: " + sentinel + "\r\nContent-Length: " +
                                         std::to_string(body.size()) + "\r\n\r\n" + body);
      EXPECT_EQ(refused.status, 405) << method << " on " << port;
      EXPECT_EQ(refused.allow, "GET, HEAD") << method;
      EXPECT_EQ(refused.content_type, "application/json") << method;
      EXPECT_EQ(refused.body, R"({"status_code": 405, "reason": "Method not allowed"})") << method;
      EXPECT_EQ(refused.raw.find(sentinel), std::string::npos) << method << ": " << refused.raw;
    }
  }
  // A request asking for 100-continue gets the 405 instead, and no invitation to send the body.
  Reply expecting = Exchange(served.server->liveness_port(),
                             "POST /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                             "Content-Length: 10\r\n\r\n");
  EXPECT_EQ(expecting.status, 405);
  EXPECT_EQ(expecting.raw.find("100 Continue"), std::string::npos) << expecting.raw;
  EXPECT_EQ(expecting.body, R"({"status_code": 405, "reason": "Method not allowed"})");
}

TEST(HealthServer, StaysResponsiveWith2000IdleConnectionsAndDoesNotSpin) {
  constexpr int kIdle = 2000;
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < kIdle + 200) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, kIdle + 500);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  ASSERT_GE(files.rlim_cur, static_cast<rlim_t>(kIdle + 200))
      << "this test needs " << kIdle + 200 << " file descriptors (ulimit -n)";

  Served served(std::nullopt);
  const int port = served.server->liveness_port();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  std::vector<int> idle;
  for (int i = 0; i < kIdle; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << std::strerror(errno);
    idle.push_back(fd);
  }
  // Every connection completes its handshake (the server may close it after, to make room).
  std::vector<pollfd> pending;
  for (int fd : idle) pending.push_back({fd, POLLOUT, 0});
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  std::size_t connected = 0;
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_GE(::poll(pending.data(), pending.size(), 100), 0);
    for (std::size_t i = 0; i < pending.size();) {
      if (pending[i].revents == 0) {
        ++i;
        continue;
      }
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(pending[i].fd, SOL_SOCKET, SO_ERROR, &error, &length);
      connected += error == 0 ? 1 : 0;
      pending[i] = pending.back();
      pending.pop_back();
    }
  }
  EXPECT_EQ(connected, static_cast<std::size_t>(kIdle));

  // And a slow client that never finishes its request head.
  const int slow = Connect(port);
  ASSERT_GE(slow, 0);
  const std::string partial = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  ::send(slow, partial.data(), partial.size(), MSG_NOSIGNAL);

  const auto asked = std::chrono::steady_clock::now();
  Reply fresh = Request(port, "GET", "/health");
  const auto answered_in = std::chrono::steady_clock::now() - asked;
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.body, served.health.Render(served.clock.Now()).second);
  EXPECT_LT(answered_in, seconds(5));
  std::cout << "GET /health answered in "
            << std::chrono::duration_cast<milliseconds>(answered_in).count() << " ms with " << kIdle
            << " idle connections\n";

  // With every idle connection still open on our side, the server does not burn CPU: this
  // process (server thread included) uses a small part of one second of wall time.
  const double cpu_before = ProcessCpuSeconds();
  std::this_thread::sleep_for(seconds(1));
  const double cpu_used = ProcessCpuSeconds() - cpu_before;
  EXPECT_LT(cpu_used, 0.25) << "CPU seconds used in 1 s while idle connections are open";
  std::cout << "CPU used in 1 s with idle connections open: " << cpu_used << " s\n";

  const auto asked_again = std::chrono::steady_clock::now();
  EXPECT_EQ(Request(port, "GET", "/metrics").body, served.metrics.RenderPrometheus());
  EXPECT_LT(std::chrono::steady_clock::now() - asked_again, seconds(5));
  for (int fd : idle) ::close(fd);
  ::close(slow);
}

/** Sends `chunk` repeatedly after `start` until the server closes the connection or 256 MiB
 *  went out; returns the bytes sent, -1 when the server neither read nor closed for 10 s. */
long long SendHeaderStream(int port, const std::string& start, const std::string& chunk) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  // A fixed send buffer, so what "sent" counts is what the server took, give or take 256 KiB.
  const int buffer = 256 * 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return 0;  // refused: nothing sent
  }
  long long sent = 0;
  bool first = true;
  while (sent < 256LL * 1024 * 1024) {
    const std::string& data = first ? start : chunk;
    first = false;
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      if (error == EAGAIN || error == EWOULDBLOCK) return -1;
      return sent;
    }
    sent += n;
  }
  ::close(fd);
  return sent;
}

TEST(HealthServer, CutsOffAHugeHeaderStreamAfterAFewKilobytes) {
  Served served;
  const int port = served.server->liveness_port();
  const std::string start = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  // Many header lines, each under httplib's per-line limit; and one endless line.
  const std::string lines = [] {
    std::string text;
    while (text.size() < 64 * 1024) text += "X-Filler: " + std::string(4000, 'a') + "\r\n";
    return text;
  }();
  const std::string endless(64 * 1024, 'b');
  for (const std::string* chunk : {&lines, &endless}) {
    const long long sent = SendHeaderStream(port, start, *chunk);
    EXPECT_GE(sent, 0) << "the server stopped reading but kept the connection";
    EXPECT_LT(sent, 4LL * 1024 * 1024) << "bytes accepted before the connection was cut";
    std::cout << "header stream cut off after " << sent << " bytes\n";
  }
  EXPECT_EQ(Request(port, "GET", "/health").status, 200);
}

TEST(HealthServer, UsesOneThreadForBothPortsAndStopsIt) {
  const std::size_t before = ThreadCount();
  Served served;
  EXPECT_EQ(ThreadCount(), before + 1);
  EXPECT_EQ(Request(served.server->liveness_port(), "GET", "/health").status, 200);
  EXPECT_EQ(Request(served.server->metrics_port(), "GET", "/").status, 200);
  EXPECT_EQ(ThreadCount(), before + 1);
  served.server->Stop();
  EXPECT_EQ(ThreadCount(), before);
}

TEST(HealthServer, StopIsBoundedAndIdempotentWithClientsConnected) {
  Served served;
  const int port = served.server->liveness_port();
  const int idle = Connect(port);
  const int partial = Connect(port);
  ASSERT_GE(idle, 0);
  ASSERT_GE(partial, 0);
  ::send(partial, "GET /hea", 8, MSG_NOSIGNAL);

  const auto start = std::chrono::steady_clock::now();
  served.server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
  const auto again = std::chrono::steady_clock::now();
  served.server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - again, milliseconds(100));

  // Both ports are closed, and so are the connections.
  EXPECT_EQ(Connect(port), -1);
  EXPECT_EQ(Connect(served.server->metrics_port()), -1);
  // Closed: an end of stream, or a reset when it was still in the listener's queue; not a
  // receive timeout.
  char byte = 0;
  const ssize_t received = ::recv(idle, &byte, 1, 0);
  EXPECT_TRUE(received == 0 || (received < 0 && errno == ECONNRESET)) << std::strerror(errno);
  ::close(idle);
  ::close(partial);
}

TEST(HealthServer, ThrowsNamingThePortWhenItCannotListen) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  Metrics metrics("k");
  // A socket listening on all interfaces, as the server would.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);

  for (auto [liveness, metrics_port] : {std::pair<int, int>{port, port}, {0, port}}) {
    try {
      auto server = StartHealthServer(liveness, metrics_port, health, metrics, clock);
      ADD_FAILURE() << "listened on the busy port " << port;
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(
          std::string(e.what()).rfind("cannot listen on port " + std::to_string(port) + ": ", 0),
          0u)
          << e.what();
    }
  }
  ::close(fd);
}

TEST(HealthServer, RejectsAPortOutOfRange) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  Metrics metrics("k");
  EXPECT_THROW(StartHealthServer(70000, 70000, health, metrics, clock), std::runtime_error);
  EXPECT_THROW(StartHealthServer(0, -1, health, metrics, clock), std::runtime_error);
}

}  // namespace
}  // namespace sekoia
