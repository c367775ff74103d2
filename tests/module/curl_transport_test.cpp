// The real transport against loopback servers: TLS verification, CA bundle, proxy, redirects,
// compression, bounded answers, stalls and stops.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <thread>

#include "loopback_server.hpp"
#include "raw_server.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/http/curl_transport.hpp"
#include "sekoia/http/proxy.hpp"
#include "test_certificates.hpp"

namespace sekoia::http {
namespace {

// Header lines compared without the space after the colon.
bool HasHeader(const std::string& head, const std::string& line) {
  std::string compact = head;
  for (std::size_t at; (at = compact.find(": ")) != std::string::npos;) compact.erase(at + 1, 1);
  std::string wanted = line;
  for (std::size_t at; (at = wanted.find(": ")) != std::string::npos;) wanted.erase(at + 1, 1);
  return compact.find(wanted) != std::string::npos;
}

std::string Ok(const std::string&) {
  return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
}

HttpResponse Get(HttpTransport& transport, const std::string& url, Headers headers = {}) {
  StopSignal stop;
  return transport.Send({"GET", url, "", std::move(headers)}, stop);
}

CurlTransportOptions Options() {
  CurlTransportOptions options;
  options.timeout = std::chrono::seconds(10);
  options.user_agent = "transport-test";
  return options;
}

TEST(CurlTransport, ReturnsARedirectWithoutFollowingIt) {
  testing::LoopbackServer elsewhere(Ok);
  testing::LoopbackServer redirecting([&](const std::string&) {
    return "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + std::to_string(elsewhere.port()) +
           "/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  });
  auto transport = MakeCurlTransport(Options());
  auto response =
      Get(*transport, "http://127.0.0.1:" + std::to_string(redirecting.port()) + "/page",
          {{"Authorization", "Bearer secret-token"}});
  EXPECT_EQ(response.status, 302);
  ASSERT_EQ(redirecting.heads().size(), 1u);
  EXPECT_TRUE(HasHeader(redirecting.heads()[0], "Authorization: Bearer secret-token"))
      << redirecting.heads()[0];
  EXPECT_EQ(elsewhere.connections(), 0) << "the redirect was followed";
}

TEST(CurlTransport, SendsTheBodyWithItsContentType) {
  testing::LoopbackServer server(Ok);
  auto transport = MakeCurlTransport(Options());
  StopSignal stop;
  auto response = transport->Send({"POST",
                                   "http://127.0.0.1:" + std::to_string(server.port()) + "/token",
                                   "a=1&b=2",
                                   {{"Content-Type", "application/x-www-form-urlencoded"}}},
                                  stop);
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(server.heads().size(), 1u);
  EXPECT_TRUE(HasHeader(server.heads()[0], "Content-Type: application/x-www-form-urlencoded"))
      << server.heads()[0];
  EXPECT_TRUE(HasHeader(server.heads()[0], "Content-Length: 7")) << server.heads()[0];
}

TEST(CurlTransport, VerifiesServerCertificatesAndTrustsTheCaBundle) {
  auto certificate = testing::MakeTestCertificate("127.0.0.1", -60, 86400, "IP:127.0.0.1");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";

  CurlTransportOptions untrusting_options = Options();
  untrusting_options.service_names = {
      {"https://127.0.0.1:" + std::to_string(server.port()), "login_url"}};
  auto untrusting = MakeCurlTransport(untrusting_options);
  try {
    Get(*untrusting, url);  // self-signed: refused by default
    ADD_FAILURE() << "an unknown authority was trusted";
  } catch (const TransportError& error) {
    const std::string message = error.what();
    EXPECT_EQ(
        message.rfind("login_url 127.0.0.1:" + std::to_string(server.port()) +
                          ": the TLS certificate could not be verified (self-signed certificate",
                      0),
        0u)
        << message;
    EXPECT_NE(message.find("set ca_bundle to its CA"), std::string::npos) << message;
  }

  CurlTransportOptions options = Options();
  options.ca_bundle = testing::MakeTestCertificate().certificate_pem + certificate.certificate_pem;
  auto trusting = MakeCurlTransport(options);
  auto response = Get(*trusting, url);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
}

TEST(CurlTransport, RefusesAServerCertificateForAnotherHost) {
  auto certificate =
      testing::MakeTestCertificate("login.example.test", -60, 86400, "DNS:login.example.test");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  CurlTransportOptions options = Options();
  options.ca_bundle = certificate.certificate_pem;  // trusted, but not for 127.0.0.1
  auto transport = MakeCurlTransport(options);
  try {
    Get(*transport, "https://127.0.0.1:" + std::to_string(server.port()) + "/");
    ADD_FAILURE() << "a certificate for another name was accepted";
  } catch (const TransportError& error) {
    EXPECT_NE(std::string(error.what()).find("the TLS certificate is for another host name"),
              std::string::npos)
        << error.what();
  }
}

TEST(CurlTransport, RefusesAnExpiredServerCertificate) {
  auto certificate = testing::MakeTestCertificate("127.0.0.1", -7200, -3600, "IP:127.0.0.1");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  CurlTransportOptions options = Options();
  options.ca_bundle = certificate.certificate_pem;
  auto transport = MakeCurlTransport(options);
  EXPECT_THROW(Get(*transport, "https://127.0.0.1:" + std::to_string(server.port()) + "/"),
               TransportError);
}

TEST(CurlTransport, RefusesACaBundleWithoutCertificates) {
  CurlTransportOptions options = Options();
  options.ca_bundle = "not a PEM";
  EXPECT_THROW(MakeCurlTransport(options), std::invalid_argument);
}

TEST(CurlTransport, TunnelsHttpsThroughTheProxyWithItsCredentials) {
  testing::LoopbackServer proxy([](const std::string&) {
    return std::string("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  CurlTransportOptions options = Options();
  options.proxy.https_proxy =
      "http://proxy-user:proxy%40pass@127.0.0.1:" + std::to_string(proxy.port());
  auto transport = MakeCurlTransport(options);
  // The proxy refuses the tunnel, so no name is ever resolved and nothing leaves loopback.
  EXPECT_THROW(Get(*transport, "https://login.example.test/tenant/oauth2/v2.0/token"),
               TransportError);
  ASSERT_GE(proxy.heads().size(), 1u);
  const std::string head = proxy.heads()[0];
  EXPECT_EQ(head.rfind("CONNECT login.example.test:443 HTTP/1.1", 0), 0u) << head;
  EXPECT_TRUE(HasHeader(head, "Proxy-Authorization: Basic cHJveHktdXNlcjpwcm94eUBwYXNz"))
      << head;  // proxy-user:proxy@pass
}

TEST(CurlTransport, NoProxyAndLoopbackGoDirect) {
  auto certificate = testing::MakeTestCertificate("127.0.0.1", -60, 86400, "IP:127.0.0.1");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  testing::LoopbackServer proxy(Ok);
  CurlTransportOptions options = Options();
  options.ca_bundle = certificate.certificate_pem;
  options.proxy.https_proxy = "127.0.0.1:" + std::to_string(proxy.port());
  auto transport = MakeCurlTransport(options);
  EXPECT_EQ(Get(*transport, "https://127.0.0.1:" + std::to_string(server.port()) + "/").status,
            200);
  EXPECT_EQ(proxy.connections(), 0);
}

TEST(CurlTransport, TunnelsThroughAConnectProxyUnlessTheHostIsInNoProxy) {
  auto certificate =
      testing::MakeTestCertificate("graph.example.test", -60, 86400, "DNS:graph.example.test");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  testing::ConnectProxy proxy(server.port());
  CurlTransportOptions options = Options();
  options.ca_bundle = certificate.certificate_pem;
  options.proxy.https_proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  // graph.example.test resolves nowhere: only the proxy can reach it (it tunnels to the server).
  const std::string url = "https://graph.example.test:" + std::to_string(server.port()) + "/v1.0/x";
  auto through = MakeCurlTransport(options);
  auto response = Get(*through, url, {{"Authorization", "Bearer tunnelled-token"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
  ASSERT_EQ(proxy.heads().size(), 1u);
  EXPECT_EQ(proxy.heads()[0].rfind(
                "CONNECT graph.example.test:" + std::to_string(server.port()) + " HTTP/1.1", 0),
            0u)
      << proxy.heads()[0];
  // The request itself travelled inside the tunnel: the proxy never saw its headers.
  EXPECT_EQ(proxy.heads()[0].find("tunnelled-token"), std::string::npos);
  ASSERT_EQ(server.heads().size(), 1u);
  EXPECT_TRUE(HasHeader(server.heads()[0], "Authorization: Bearer tunnelled-token"));

  options.proxy.no_proxy = "intake.sekoia.io,.example.test";
  auto direct = MakeCurlTransport(options);
  EXPECT_THROW(Get(*direct, url), TransportError);  // direct: the name does not resolve
  EXPECT_EQ(proxy.heads().size(), 1u) << "a NO_PROXY host went through the proxy";
}

TEST(CurlTransport, PlainHttpGoesThroughHttpProxyOnlyWhenOneIsSet) {
  testing::LoopbackServer proxy([](const std::string&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied");
  });
  CurlTransportOptions options = Options();
  options.proxy.http_proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  options.proxy.https_proxy = "http://127.0.0.1:1";  // not used for http
  auto transport = MakeCurlTransport(options);
  auto response = Get(*transport, "http://intake.example.test/batch");
  EXPECT_EQ(response.body, "proxied");
  ASSERT_EQ(proxy.heads().size(), 1u);
  EXPECT_EQ(proxy.heads()[0].rfind("GET http://intake.example.test/batch HTTP/1.1", 0), 0u)
      << proxy.heads()[0];
}

std::string Gzip(const std::string& text) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);  // 31: gzip framing
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(CurlTransport, OffersCompressionAndDecodesACompressedPage) {
  std::string page = R"({"@odata.context":"x","value":[)";
  for (int i = 0; i < 2000; ++i)
    page += std::string(i ? "," : "") + R"({"id":"record-)" + std::to_string(i) +
            R"(","status":"delivered"})";
  page += "]}";
  const std::string compressed = Gzip(page);
  ASSERT_LT(compressed.size(), page.size() / 4);
  testing::LoopbackServer server([&](const std::string&) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: "
           "gzip\r\nContent-Length: " +
           std::to_string(compressed.size()) + "\r\nConnection: close\r\n\r\n" + compressed;
  });
  auto transport = MakeCurlTransport(Options());
  auto response =
      Get(*transport, "http://127.0.0.1:" + std::to_string(server.port()) + "/v1.0/page");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, page);
  ASSERT_EQ(server.heads().size(), 1u);
  const std::string head = server.heads()[0];
  EXPECT_NE(head.find("Accept-Encoding: "), std::string::npos) << head;
  EXPECT_NE(head.find("gzip"), std::string::npos) << head;
}

// An endless 200 answer: counts what it could send before the client hung up.
struct EndlessServer {
  std::atomic<long long> sent{0};
  testing::RawServer server{[this](int fd, const std::atomic<bool>& stopping) {
    if (testing::ReadHead(fd).empty()) return;
    if (!testing::SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")) return;
    const std::string block(64 * 1024, ' ');
    while (!stopping && sent < (1LL << 30)) {
      if (!testing::SendAll(fd, block)) return;
      sent += static_cast<long long>(block.size());
    }
  }};
};

TEST(CurlTransport, RefusesAnOversizedAnswerWhileItArrives) {
  EndlessServer endless;
  CurlTransportOptions options = Options();
  options.max_answer_bytes = 1 << 20;
  auto transport = MakeCurlTransport(options);
  try {
    Get(*transport, "http://127.0.0.1:" + std::to_string(endless.server.port()) + "/page");
    ADD_FAILURE() << "an endless answer was accepted";
  } catch (const TransportError& error) {
    EXPECT_NE(std::string(error.what()).find("larger than 1 MiB, the limit for one answer"),
              std::string::npos)
        << error.what();
  }
  // The client stopped reading at the limit: the server could only fill the socket buffers.
  EXPECT_LT(endless.sent.load(), 64LL << 20);
}

TEST(CurlTransport, ReadsOnlyAnExcerptOfAnErrorBody) {
  testing::RawServer server([](int fd, const std::atomic<bool>& stopping) {
    if (testing::ReadHead(fd).empty()) return;
    testing::SendAll(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 41943040\r\n\r\n");
    const std::string block(64 * 1024, 'e');
    for (int i = 0; i < 640 && !stopping; ++i) {
      if (!testing::SendAll(fd, block)) return;
    }
  });
  CurlTransportOptions options = Options();
  options.max_error_body_bytes = 1000;
  auto transport = MakeCurlTransport(options);
  auto response = Get(*transport, "http://127.0.0.1:" + std::to_string(server.port()) + "/page");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, std::string(1000, 'e'));
}

TEST(CurlTransport, AStopEndsARequestWaitingForAnAnswerWithinASecond) {
  testing::RawServer silent([](int fd, const std::atomic<bool>& stopping) {
    testing::ReadHead(fd);
    while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // never answers
  });
  auto transport = MakeCurlTransport(Options());
  StopSignal stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.Request();
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(
      transport->Send({"GET", "http://127.0.0.1:" + std::to_string(silent.port()) + "/", "", {}},
                      stop),
      StopRequested);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  stopper.join();
  EXPECT_LT(elapsed, std::chrono::milliseconds(1800));
}

TEST(CurlTransport, AStalledTransferIsLost) {
  testing::RawServer dripping([](int fd, const std::atomic<bool>& stopping) {
    if (testing::ReadHead(fd).empty()) return;
    testing::SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
    for (int i = 0; i < 200 && !stopping; ++i) {
      if (!testing::SendAll(fd, "x")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // 10 bytes a second
    }
  });
  CurlTransportOptions options = Options();
  options.stall_timeout = std::chrono::seconds(2);
  options.min_bytes_per_second = 100;
  auto transport = MakeCurlTransport(options);
  try {
    Get(*transport, "http://127.0.0.1:" + std::to_string(dripping.port()) + "/page");
    ADD_FAILURE() << "a dripping answer was waited for";
  } catch (const TransportError& error) {
    EXPECT_NE(std::string(error.what()).find("the transfer stalled"), std::string::npos)
        << error.what();
  }
}

TEST(CurlTransport, TheWholeRequestIsBoundedByTheTimeout) {
  testing::RawServer slow([](int fd, const std::atomic<bool>& stopping) {
    if (testing::ReadHead(fd).empty()) return;
    testing::SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
    const std::string block(4096, 'x');
    while (!stopping) {
      if (!testing::SendAll(fd, block)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // steady, above any floor rate
    }
  });
  CurlTransportOptions options = Options();
  options.timeout = std::chrono::seconds(2);
  auto transport = MakeCurlTransport(options);
  const auto started = std::chrono::steady_clock::now();
  try {
    Get(*transport, "http://127.0.0.1:" + std::to_string(slow.port()) + "/page");
    ADD_FAILURE() << "a slow endless answer was waited for";
  } catch (const TransportError& error) {
    EXPECT_NE(std::string(error.what()).find("no complete answer within 2 s (http_timeout)"),
              std::string::npos)
        << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(CurlTransport, ARefusedConnectionNamesTheArgumentAndTheAddress) {
  int port;
  {
    testing::RawServer closed([](int, const std::atomic<bool>&) {});
    port = closed.port();
  }  // nothing listens there any more
  CurlTransportOptions options = Options();
  options.service_names = {{"http://127.0.0.1:" + std::to_string(port), "intake_server"}};
  auto transport = MakeCurlTransport(options);
  try {
    Get(*transport, "http://127.0.0.1:" + std::to_string(port) + "/batch");
    ADD_FAILURE() << "no error";
  } catch (const TransportError& error) {
    EXPECT_EQ(std::string(error.what()),
              "intake_server 127.0.0.1:" + std::to_string(port) + ": connection refused");
  }
}

TEST(CurlTransport, ReusesTheConnectionForTheNextRequestToTheSameHost) {
  testing::RawServer keeping([](int fd, const std::atomic<bool>& stopping) {
    while (!stopping) {
      if (testing::ReadHead(fd).empty()) return;
      if (!testing::SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
    }
  });
  auto transport = MakeCurlTransport(Options());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Get(*transport, "http://127.0.0.1:" + std::to_string(keeping.port()) + "/x").body,
              "ok");
  }
  EXPECT_EQ(keeping.connections(), 1);
}

TEST(Proxy, BypassesHostsDomainsAndLoopback) {
  EXPECT_TRUE(BypassesProxy("127.0.0.1", ""));
  EXPECT_TRUE(BypassesProxy("localhost", ""));
  EXPECT_TRUE(BypassesProxy("[::1]", ""));
  EXPECT_FALSE(BypassesProxy("graph.microsoft.com", ""));
  EXPECT_TRUE(BypassesProxy("graph.microsoft.com", "*"));
  EXPECT_TRUE(BypassesProxy("graph.microsoft.com", "intake.sekoia.io, microsoft.com"));
  EXPECT_TRUE(BypassesProxy("Graph.Microsoft.com", ".microsoft.com"));
  EXPECT_TRUE(BypassesProxy("microsoft.com", ".microsoft.com"));
  EXPECT_FALSE(BypassesProxy("notmicrosoft.com", "microsoft.com"));
  EXPECT_TRUE(BypassesProxy("intake.sekoia.io", "intake.sekoia.io:443"));
  EXPECT_TRUE(BypassesProxy("10.1.2.3", "10.1.2.3"));
  EXPECT_FALSE(BypassesProxy("10.1.2.3", "10.1.2.4,,"));
}

TEST(Proxy, SplitsCredentialsFromTheUrl) {
  auto plain = SplitProxyUrl("proxy.corp:3128");
  EXPECT_EQ(plain.url, "http://proxy.corp:3128");
  EXPECT_EQ(plain.user, "");
  auto with = SplitProxyUrl("http://me:p%3Ass@proxy.corp:8080/");
  EXPECT_EQ(with.url, "http://proxy.corp:8080");
  EXPECT_EQ(with.user, "me");
  EXPECT_EQ(with.password, "p:ss");
  EXPECT_EQ(SplitProxyUrl("ftp://proxy").url, "");
}

TEST(Proxy, ReadsTheEnvironmentAndRefusesAnInvalidProxyWithoutQuotingIt) {
  ::setenv("HTTPS_PROXY", "http://proxy.corp:3128", 1);
  ::setenv("no_proxy", "intake.sekoia.io", 1);
  auto settings = ProxyFromEnvironment();
  EXPECT_EQ(settings.https_proxy, "http://proxy.corp:3128");
  EXPECT_EQ(settings.no_proxy, "intake.sekoia.io");
  ::unsetenv("HTTPS_PROXY");
  ::setenv("https_proxy", "socks5://user:hunter22@proxy", 1);
  try {
    ProxyFromEnvironment();
    ADD_FAILURE() << "accepted a socks proxy";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()).find("hunter22"), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).rfind("HTTPS_PROXY: ", 0), 0u) << error.what();
  }
  ::unsetenv("https_proxy");
  ::unsetenv("no_proxy");
}

}  // namespace
}  // namespace sekoia::http
