// Uses one piece of each part of the runtime, so the link needs each of the package's
// dependencies: Redactor (OpenSSL), Arguments (nlohmann_json), the libcurl transport and the
// cpp-httplib health server.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sekoia/clock.hpp"
#include "sekoia/config.hpp"
#include "sekoia/health.hpp"
#include "sekoia/http/curl_transport.hpp"
#include "sekoia/metrics.hpp"
#include "sekoia/redaction.hpp"

int main() {
  sekoia::Redactor redactor;
  redactor.Add("s3cret-value");
  const std::string line = redactor.Apply("token=s3cret-value");

  const sekoia::Arguments arguments(nlohmann::json{{"frequency", 60}});
  const auto frequency = arguments.Integer("frequency", 10, 1, 3600);

  const std::unique_ptr<sekoia::http::HttpTransport> transport =
      sekoia::http::MakeCurlTransport(sekoia::http::CurlTransportOptions{});

  sekoia::SystemClock clock;
  const sekoia::HealthState health(sekoia::HealthOptions{}, clock.Now());
  const sekoia::Metrics metrics("intake-key", clock);
  const std::unique_ptr<sekoia::HealthServer> server = sekoia::StartHealthServer(
      sekoia::HealthServerOptions{0, std::nullopt}, health, metrics, clock);
  const bool listening = server->liveness_port() > 0;
  server->Stop();

  std::cout << line << " frequency=" << frequency << " transport=" << (transport != nullptr)
            << " health=" << listening << "\n";
  return line == "token=***" && frequency == 60 && transport != nullptr && listening ? 0 : 1;
}
