#include "sekoia/health.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

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
  EXPECT_EQ(body, R"({"last_events_time":"2026-01-21T12:53:20","last_heartbeat":"2026-01-21T12:53:20",)"
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

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

/** A port the kernel just handed out and released: free unless another process races us. */
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("bind");
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string HeaderValue(const std::string& head, const std::string& name) {
  std::string lower_head;
  for (char c : head) lower_head += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t at = lower_head.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  std::size_t start = at + 2 + name.size() + 1;
  while (start < head.size() && head[start] == ' ') ++start;
  return head.substr(start, head.find("\r\n", start) - start);
}

/** One HTTP/1.1 request on 127.0.0.1, with a 10 s receive timeout so a bug cannot hang the test. */
Reply Request(int port, const std::string& method, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    ADD_FAILURE() << "cannot connect to port " << port;
    return {};
  }
  const std::string request = method + " " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nContent-Length: 0\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);

  std::string data;
  std::size_t body_start = std::string::npos;
  std::size_t content_length = 0;
  char buffer[4096];
  for (;;) {
    if (body_start != std::string::npos && data.size() >= body_start + content_length) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    if (body_start == std::string::npos) {
      const std::size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos) {
        body_start = end + 4;
        const std::string length = HeaderValue(data.substr(0, end + 2), "content-length");
        content_length = length.empty() ? 0 : std::stoul(length);
      }
    }
  }
  ::close(fd);

  Reply reply;
  if (body_start == std::string::npos) {
    ADD_FAILURE() << "no complete answer from port " << port << ": " << data;
    return reply;
  }
  reply.status = std::stoi(data.substr(data.find(' ') + 1, 3));
  reply.content_type = HeaderValue(data.substr(0, body_start - 2), "content-type");
  reply.body = data.substr(body_start, content_length);
  return reply;
}

TEST(HealthServer, ServesHealthAndMetricsOnTheirPortsAnd404Elsewhere) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  Metrics metrics("intake-key");
  metrics.AddForwarded(7);
  const int liveness_port = FreePort();
  int metrics_port = FreePort();
  while (metrics_port == liveness_port) metrics_port = FreePort();

  auto server = StartHealthServer(liveness_port, metrics_port, health, metrics, clock);

  Reply alive = Request(liveness_port, "GET", "/health");
  EXPECT_EQ(alive.status, 200);
  EXPECT_EQ(alive.content_type, "application/json");
  EXPECT_EQ(alive.body, health.Render(clock.Now()).second);

  Reply scraped = Request(metrics_port, "GET", "/metrics");
  EXPECT_EQ(scraped.status, 200);
  EXPECT_EQ(scraped.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(scraped.body, metrics.RenderPrometheus());
  EXPECT_NE(scraped.body.find("forwarded_events_total{intake_key=\"intake-key\"} 7.0"),
            std::string::npos);

  Reply missing = Request(liveness_port, "GET", "/nothing-here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/json");
  EXPECT_EQ(missing.body, R"({"error":"not found"})");
  EXPECT_EQ(Request(liveness_port, "GET", "/metrics").status, 404);
  EXPECT_EQ(Request(metrics_port, "GET", "/health").status, 404);
  EXPECT_EQ(Request(liveness_port, "POST", "/health").status, 405);

  clock.Advance(hours(7));
  Reply dead = Request(liveness_port, "GET", "/health");
  EXPECT_EQ(dead.status, 500);
  EXPECT_EQ(dead.body, health.Render(clock.Now()).second);

  server->Stop();
  server->Stop();  // idempotent
}

TEST(HealthServer, ServesBothPathsWhenThePortsAreTheSame) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  Metrics metrics("k");
  const int port = FreePort();
  auto server = StartHealthServer(port, port, health, metrics, clock);
  EXPECT_EQ(Request(port, "GET", "/health").status, 200);
  EXPECT_EQ(Request(port, "GET", "/metrics").body, metrics.RenderPrometheus());
  EXPECT_EQ(Request(port, "GET", "/").status, 404);
}

TEST(HealthServer, ThrowsNamingThePortWhenItCannotListen) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  Metrics metrics("k");
  // Another process's socket; a second listener of this process would share cpprest's acceptor.
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

  try {
    auto server = StartHealthServer(port, port, health, metrics, clock);
    ADD_FAILURE() << "listened on the busy port " << port;
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("cannot listen on port " + std::to_string(port) + ": ", 0), 0u)
        << e.what();
  }
  ::close(fd);
}

TEST(HealthServer, RejectsAPortOutOfRange) {
  FakeClock clock;
  HealthState health(HealthOptions{}, clock.Now());
  Metrics metrics("k");
  EXPECT_THROW(StartHealthServer(70000, 70000, health, metrics, clock), std::runtime_error);
}

}  // namespace
}  // namespace sekoia
