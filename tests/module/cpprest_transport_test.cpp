// The real transport against loopback servers: TLS verification, CA bundle, proxy, redirects.
#include <gtest/gtest.h>

#include <cstdlib>

#include "loopback_server.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/http/proxy.hpp"
#include "sekoia/http/transport.hpp"
#include "test_certificates.hpp"

namespace sekoia::http {
namespace {

// cpprest writes `Name:value`, curl `Name: value`: compare without the space.
bool HasHeader(const std::string& head, const std::string& line) {
  std::string compact = head;
  for (std::size_t at; (at = compact.find(": ")) != std::string::npos;) compact.erase(at + 1, 1);
  std::string wanted = line;
  for (std::size_t at; (at = wanted.find(": ")) != std::string::npos;) wanted.erase(at + 1, 1);
  return compact.find(wanted) != std::string::npos;
}

std::string Ok(const std::string&) { return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"; }

HttpResponse Get(HttpTransport& transport, const std::string& url, Headers headers = {}) {
  StopSignal stop;
  return transport.Send({"GET", url, "", std::move(headers)}, stop);
}

CpprestTransportOptions Options() {
  CpprestTransportOptions options;
  options.timeout = std::chrono::seconds(10);
  options.user_agent = "transport-test";
  return options;
}

TEST(CpprestTransport, ReturnsARedirectWithoutFollowingIt) {
  testing::LoopbackServer elsewhere(Ok);
  testing::LoopbackServer redirecting([&](const std::string&) {
    return "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + std::to_string(elsewhere.port()) +
           "/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  });
  auto transport = MakeCpprestTransport(Options());
  auto response = Get(*transport, "http://127.0.0.1:" + std::to_string(redirecting.port()) + "/page",
                      {{"Authorization", "Bearer secret-token"}});
  EXPECT_EQ(response.status, 302);
  ASSERT_EQ(redirecting.heads().size(), 1u);
  EXPECT_TRUE(HasHeader(redirecting.heads()[0], "Authorization: Bearer secret-token")) << redirecting.heads()[0];
  EXPECT_EQ(elsewhere.connections(), 0) << "the redirect was followed";
}

TEST(CpprestTransport, SendsTheBodyWithItsContentType) {
  testing::LoopbackServer server(Ok);
  auto transport = MakeCpprestTransport(Options());
  StopSignal stop;
  auto response = transport->Send({"POST", "http://127.0.0.1:" + std::to_string(server.port()) + "/token", "a=1&b=2",
                                   {{"Content-Type", "application/x-www-form-urlencoded"}}},
                                  stop);
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(server.heads().size(), 1u);
  EXPECT_TRUE(HasHeader(server.heads()[0], "Content-Type: application/x-www-form-urlencoded")) << server.heads()[0];
  EXPECT_TRUE(HasHeader(server.heads()[0], "Content-Length: 7")) << server.heads()[0];
}

TEST(CpprestTransport, VerifiesServerCertificatesAndTrustsTheCaBundle) {
  auto certificate = testing::MakeTestCertificate("127.0.0.1", -60, 86400, "IP:127.0.0.1");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";

  auto untrusting = MakeCpprestTransport(Options());
  EXPECT_THROW(Get(*untrusting, url), TransportError);  // self-signed: refused by default

  CpprestTransportOptions options = Options();
  options.ca_bundle = testing::MakeTestCertificate().certificate_pem + certificate.certificate_pem;
  auto trusting = MakeCpprestTransport(options);
  auto response = Get(*trusting, url);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
}

TEST(CpprestTransport, RefusesAServerCertificateForAnotherHost) {
  auto certificate = testing::MakeTestCertificate("login.example.test", -60, 86400, "DNS:login.example.test");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  CpprestTransportOptions options = Options();
  options.ca_bundle = certificate.certificate_pem;  // trusted, but not for 127.0.0.1
  auto transport = MakeCpprestTransport(options);
  EXPECT_THROW(Get(*transport, "https://127.0.0.1:" + std::to_string(server.port()) + "/"), TransportError);
}

TEST(CpprestTransport, RefusesAnExpiredServerCertificate) {
  auto certificate = testing::MakeTestCertificate("127.0.0.1", -7200, -3600, "IP:127.0.0.1");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  CpprestTransportOptions options = Options();
  options.ca_bundle = certificate.certificate_pem;
  auto transport = MakeCpprestTransport(options);
  EXPECT_THROW(Get(*transport, "https://127.0.0.1:" + std::to_string(server.port()) + "/"), TransportError);
}

TEST(CpprestTransport, RefusesACaBundleWithoutCertificates) {
  CpprestTransportOptions options = Options();
  options.ca_bundle = "not a PEM";
  EXPECT_THROW(MakeCpprestTransport(options), std::invalid_argument);
}

TEST(CpprestTransport, TunnelsHttpsThroughTheProxyWithItsCredentials) {
  testing::LoopbackServer proxy([](const std::string&) {
    return std::string("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  CpprestTransportOptions options = Options();
  options.proxy.https_proxy = "http://proxy-user:proxy%40pass@127.0.0.1:" + std::to_string(proxy.port());
  auto transport = MakeCpprestTransport(options);
  // The proxy refuses the tunnel, so no name is ever resolved and nothing leaves loopback.
  EXPECT_THROW(Get(*transport, "https://login.example.test/tenant/oauth2/v2.0/token"), TransportError);
  ASSERT_GE(proxy.heads().size(), 1u);
  const std::string head = proxy.heads()[0];
  EXPECT_EQ(head.rfind("CONNECT login.example.test:443 HTTP/1.1", 0), 0u) << head;
  EXPECT_TRUE(HasHeader(head, "Proxy-Authorization: Basic cHJveHktdXNlcjpwcm94eUBwYXNz")) << head;  // proxy-user:proxy@pass
}

TEST(CpprestTransport, NoProxyAndLoopbackGoDirect) {
  auto certificate = testing::MakeTestCertificate("127.0.0.1", -60, 86400, "IP:127.0.0.1");
  testing::LoopbackServer server(Ok, certificate.certificate_pem, certificate.private_key_pem);
  testing::LoopbackServer proxy(Ok);
  CpprestTransportOptions options = Options();
  options.ca_bundle = certificate.certificate_pem;
  options.proxy.https_proxy = "127.0.0.1:" + std::to_string(proxy.port());
  auto transport = MakeCpprestTransport(options);
  EXPECT_EQ(Get(*transport, "https://127.0.0.1:" + std::to_string(server.port()) + "/").status, 200);
  EXPECT_EQ(proxy.connections(), 0);
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
