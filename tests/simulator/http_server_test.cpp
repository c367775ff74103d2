// The simulator's HTTP layer over loopback, with plain sockets as the client.
#include "http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mtsim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
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

struct Answer {
  int status = 0;
  std::string head;
  std::size_t announced = 0;  ///< Content-Length
  std::string body;           ///< what arrived of it
  bool closed = false;        ///< the server closed the connection after it
};

/** Reads one answer from `fd`: the head, then the body up to Content-Length or EOF. */
Answer ReadAnswer(int fd) {
  Answer answer;
  std::string data;
  char buffer[4096];
  std::size_t end = std::string::npos;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      answer.closed = true;
      return answer;
    }
    data.append(buffer, static_cast<std::size_t>(n));
  }
  answer.head = data.substr(0, end + 2);
  answer.status = std::stoi(data.substr(9, 3));
  const std::size_t at = answer.head.find("Content-Length: ");
  if (at != std::string::npos) answer.announced = std::stoul(answer.head.substr(at + 16));
  answer.body = data.substr(end + 4);
  while (answer.body.size() < answer.announced) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      answer.closed = true;
      return answer;
    }
    answer.body.append(buffer, static_cast<std::size_t>(n));
  }
  return answer;
}

void SendAll(int fd, const std::string& data) {
  ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
}

/** A server on an ephemeral port whose handler records the requests and replies `next`. */
struct Fixture {
  std::mutex mutex;
  std::vector<Request> requests;
  Reply next;
  HttpServer server{"http://127.0.0.1:0",
                    [this](const Request& request) {
                      std::lock_guard<std::mutex> lock(mutex);
                      requests.push_back(request);
                      return next;
                    },
                    /*max_body_bytes=*/1000};
  int port = 0;

  Fixture() {
    port = server.Bind();
    server.Open();
  }
  std::vector<Request> Requests() {
    std::lock_guard<std::mutex> lock(mutex);
    return requests;
  }
};

TEST(HttpServer, BindsAnEphemeralPortAndReportsIt) {
  Fixture fixture;
  EXPECT_GT(fixture.port, 0);
  EXPECT_EQ(fixture.server.Bind(), fixture.port);  // idempotent
  const int fd = Connect(fixture.port);
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ReadAnswer(fd).status, 200);
  ::close(fd);
}

TEST(HttpServer, GivesTheRawTargetDecodedPathAndLowerCaseHeaders) {
  Fixture fixture;
  fixture.next.body = "{}";
  const int fd = Connect(fixture.port);
  ASSERT_GE(fd, 0);
  SendAll(fd,
          "GET /v1.0/a%20b/c?$filter=x%20eq%20%27{1}%27&$top=5 HTTP/1.1\r\nHost: x\r\n"
          "X-Mixed-Case: Value\r\nX-Twice: 1\r\nx-twice: 2\r\n\r\n");
  const Answer answer = ReadAnswer(fd);
  ::close(fd);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "{}");
  const auto requests = fixture.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const Request& request = requests[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.raw_path, "/v1.0/a%20b/c");
  EXPECT_EQ(request.path, "/v1.0/a b/c");
  EXPECT_EQ(request.raw_query, "$filter=x%20eq%20%27{1}%27&$top=5");
  EXPECT_EQ(request.Header("x-mixed-case"), "Value");
  EXPECT_EQ(request.Header("x-twice"), "1, 2");
  EXPECT_EQ(request.headers.count("remote_addr"), 0u);
  EXPECT_EQ(request.headers.count("local_port"), 0u);
  for (const auto& [name, value] : request.headers) {
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
}

TEST(HttpServer, ReadsBodiesAndDropsTheTooLargeOnesKeepingTheConnection) {
  Fixture fixture;
  const int fd = Connect(fixture.port);
  ASSERT_GE(fd, 0);
  const std::string small(1000, 's');
  SendAll(fd, "POST /intake HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + small);
  EXPECT_EQ(ReadAnswer(fd).status, 200);
  const std::string large(5000, 'l');
  SendAll(fd, "POST /intake HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + large);
  EXPECT_EQ(ReadAnswer(fd).status, 200);
  // A POST without Content-Length has no body (curl -X POST sends none): answered at once.
  SendAll(fd, "POST /control/fault?kind=500 HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto asked = steady_clock::now();
  EXPECT_EQ(ReadAnswer(fd).status, 200);
  EXPECT_LT(steady_clock::now() - asked, seconds(2));
  // Chunked too, and the same connection still serves.
  SendAll(fd,
          "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(ReadAnswer(fd).status, 200);
  ::close(fd);

  const auto requests = fixture.Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].body, small);
  EXPECT_FALSE(requests[0].body_too_large);
  EXPECT_EQ(requests[1].body, "");
  EXPECT_TRUE(requests[1].body_too_large);
  EXPECT_EQ(requests[2].method, "POST");
  EXPECT_EQ(requests[2].raw_query, "kind=500");
  EXPECT_EQ(requests[2].body, "");
  EXPECT_EQ(requests[3].method, "PUT");
  EXPECT_EQ(requests[3].body, "hello");
}

TEST(HttpServer, CutConnectionAnnouncesTheFullLengthSendsHalfAndCloses) {
  Fixture fixture;
  fixture.next.body = std::string(1000, 'x');
  fixture.next.cut_connection = true;
  const int fd = Connect(fixture.port);
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  const Answer answer = ReadAnswer(fd);
  ::close(fd);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.announced, 1000u);
  EXPECT_EQ(answer.body, std::string(500, 'x'));
  EXPECT_TRUE(answer.closed);
}

TEST(HttpServer, SendsDelayedRepliesLateAndConcurrently) {
  Fixture fixture;
  fixture.next.delay = milliseconds(600);
  std::vector<int> fds;
  const auto start = steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    fds.push_back(Connect(fixture.port));
    ASSERT_GE(fds.back(), 0);
    SendAll(fds.back(), "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  for (int fd : fds) {
    EXPECT_EQ(ReadAnswer(fd).status, 200);
    ::close(fd);
  }
  const auto took = steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(600));
  EXPECT_LT(took, milliseconds(600 * 4)) << "eight delayed replies were not sent side by side";
}

TEST(HttpServer, CloseSendsDelayedRepliesAtOnce) {
  Fixture fixture;
  fixture.next.delay = seconds(60);
  fixture.next.body = "late";
  const int fd = Connect(fixture.port);
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answer = std::async(std::launch::async, [fd] { return ReadAnswer(fd); });
  while (fixture.Requests().empty()) std::this_thread::sleep_for(milliseconds(10));
  const auto start = steady_clock::now();
  fixture.server.Close();
  EXPECT_LT(steady_clock::now() - start, seconds(5));
  ASSERT_EQ(answer.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_EQ(answer.get().body, "late");
  ::close(fd);
  EXPECT_EQ(Connect(fixture.port), -1);  // no longer listening
  fixture.server.Close();                // idempotent
}

}  // namespace
}  // namespace mtsim
