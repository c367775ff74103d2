// bench-floor-client: the floor of scripts/bench.sh. It does what the trigger does on the
// network, with the same HTTP client (the project's libcurl transport), and nothing else: it
// fetches the same pages of message traces from the simulator and posts the same bytes to its
// intake, without reading any JSON. Each page is cut into as many equal pieces as it holds records
// (its byte count over the size of a record, learnt from the first, full, page), and the pieces are
// posted as intake batches of `--chunk-size` events, at most 4 in flight, as the trigger does.
// Escaping a piece into a JSON string is the one byte transformation left: without it the intake
// would refuse the batch. It uses the project's own escaping (sekoia::json::AppendQuoted).
//
// Prints one line of `key=value`: pages, bytes_in, bytes_out, posts, cpu_seconds (user +
// system), system_seconds, wall_seconds, peak_rss_kib. Exits 1 on any HTTP failure.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sekoia/http/curl_transport.hpp"
#include "sekoia/json/raw_json.hpp"
#include "sekoia/url.hpp"

namespace {

using sekoia::http::HttpRequest;
using sekoia::http::HttpResponse;
using sekoia::http::HttpTransport;

struct Options {
  std::string base;  ///< http://127.0.0.1:PORT
  std::string api = "graph";
  std::string start, end;  ///< the window, ISO 8601 UTC
  int page_size = 5000;    ///< Graph $top; the Reporting Web Service's pages are its own (2000)
  std::size_t chunk_size = 1000;
  std::string intake_key = "sim-intake-key";
  std::string tenant_id = "00000000-0000-0000-0000-0000000000aa";
  std::string client_id = "11111111-2222-3333-4444-555555555555";
  std::string client_secret = "sim-secret";
  std::string account_name = "reporter@contoso.onmicrosoft.com";
  std::string account_password = "sim-password";
};

Options ParseArguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("missing value for " + name);
    std::string value = argv[++i];
    if (name == "--base")
      options.base = value;
    else if (name == "--api")
      options.api = value;
    else if (name == "--start")
      options.start = value;
    else if (name == "--end")
      options.end = value;
    else if (name == "--page-size")
      options.page_size = std::stoi(value);
    else if (name == "--chunk-size")
      options.chunk_size = std::stoul(value);
    else if (name == "--intake-key")
      options.intake_key = value;
    else
      throw std::invalid_argument("unknown option " + name);
  }
  if (options.base.empty() || options.start.empty() || options.end.empty() ||
      (options.api != "graph" && options.api != "legacy") || options.page_size < 1 ||
      options.chunk_size < 1) {
    throw std::invalid_argument(
        "usage: bench-floor-client --base URL --start ISO --end ISO [--api graph|legacy] "
        "[--page-size N] "
        "[--chunk-size N] [--intake-key KEY]");
  }
  return options;
}

// The text after `"<name>":"` up to the next quote, searched from the end (where next links are).
std::string StringAfter(const std::string& body, const std::string& name) {
  const std::string marker = "\"" + name + "\":\"";
  const std::size_t at = body.rfind(marker);
  if (at == std::string::npos) return "";
  const std::size_t start = at + marker.size();
  const std::size_t end = body.find('"', start);
  if (end == std::string::npos || body.find('\\', start) < end)
    throw std::runtime_error("unexpected " + name);
  return body.substr(start, end - start);
}

HttpResponse Check(HttpResponse response, const char* what) {
  if (response.status != 200) {
    throw std::runtime_error(std::string(what) + ": HTTP " + std::to_string(response.status) + " " +
                             response.body.substr(0, 200));
  }
  return response;
}

std::string GraphToken(HttpTransport& client, const Options& options,
                       const sekoia::StopSignal& stop) {
  const std::string form = "grant_type=client_credentials&client_id=" + options.client_id +
                           "&client_secret=" + options.client_secret +
                           "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
  std::string body =
      Check(client.Send({"POST",
                         options.base + "/" + options.tenant_id + "/oauth2/v2.0/token",
                         form,
                         {{"Content-Type", "application/x-www-form-urlencoded"}}},
                        stop),
            "token")
          .body;
  std::string token = StringAfter(body, "access_token");
  if (token.empty()) throw std::runtime_error("no access_token in " + body.substr(0, 200));
  return token;
}

// `at`, moved forward past UTF-8 continuation bytes: a piece never splits a character (the intake
// refuses a batch that is not well-formed UTF-8).
std::size_t Boundary(const std::string& text, std::size_t at) {
  while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
  return at;
}

std::string Base64(const std::string& text) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(text[i]) << 16) |
                       (i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) << 8 : 0) |
                       (i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < text.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

double CpuSeconds(const rusage& usage) {
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = ParseArguments(argc, argv);
    const auto started = std::chrono::steady_clock::now();
    sekoia::http::CurlTransportOptions transport_options;
    transport_options.timeout = std::chrono::seconds(120);
    auto client = sekoia::http::MakeCurlTransport(transport_options);
    sekoia::StopSignal stop;

    std::string authorization;
    std::string url;
    const std::string filter_graph =
        "receivedDateTime ge " + options.start + " and receivedDateTime le " + options.end;
    const std::string filter_legacy =
        "StartDate eq datetime'" + options.start + "' and EndDate eq datetime'" + options.end + "'";
    if (options.api == "graph") {
      authorization = "Bearer " + GraphToken(*client, options, stop);
      url = options.base + "/v1.0/admin/exchange/tracing/messageTraces?$filter=" +
            sekoia::PercentEncode(filter_graph) + "&$top=" + std::to_string(options.page_size);
    } else {
      authorization = "Basic " + Base64(options.account_name + ":" + options.account_password);
      url = options.base +
            "/ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json&$filter=" +
            sekoia::PercentEncode(filter_legacy);
    }
    const std::string link_name = options.api == "graph" ? "@odata.nextLink" : "__next";
    const std::string user_agent = "sekoiaio-connector-" + options.intake_key;

    std::size_t pages = 0, posts = 0;
    unsigned long long bytes_in = 0, bytes_out = 0;
    double record_bytes = 0;  // learnt from the first page, which is full
    while (!url.empty()) {
      const std::string page =
          Check(client->Send({"GET",
                              url,
                              "",
                              {{"Authorization", authorization}, {"Accept", "application/json"}}},
                             stop),
                "page")
              .body;
      ++pages;
      bytes_in += page.size();
      const int per_page = options.api == "graph" ? options.page_size : 2000;
      if (record_bytes == 0) record_bytes = static_cast<double>(page.size()) / per_page;
      const auto pieces = std::max<std::size_t>(
          1, std::min<std::size_t>(per_page,
                                   static_cast<std::size_t>(page.size() / record_bytes + 0.5)));

      std::vector<std::future<void>> in_flight;
      for (std::size_t first = 0; first < pieces; first += options.chunk_size) {
        const std::size_t last = std::min(pieces, first + options.chunk_size);
        auto body = std::make_shared<std::string>("{\"intake_key\":\"" + options.intake_key +
                                                  "\",\"jsons\":[");
        body->reserve(static_cast<std::size_t>((last - first) * record_bytes * 1.25) + 64);
        for (std::size_t piece = first; piece < last; ++piece) {
          const std::size_t from = Boundary(page, page.size() * piece / pieces);
          const std::size_t to = Boundary(page, page.size() * (piece + 1) / pieces);
          if (piece != first) *body += ',';
          sekoia::json::AppendQuoted(*body, std::string_view(page).substr(from, to - from));
        }
        *body += "]}";
        bytes_out += body->size();
        ++posts;
        in_flight.push_back(std::async(std::launch::async, [&, body] {
          Check(client->Send({"POST",
                              options.base + "/batch",
                              *body,
                              {{"User-Agent", user_agent}, {"Content-Type", "application/json"}}},
                             stop),
                "intake");
        }));
        if (in_flight.size() == 4) {
          for (auto& task : in_flight) task.get();
          in_flight.clear();
        }
      }
      for (auto& task : in_flight) task.get();
      url = StringAfter(page, link_name);
      if (!url.empty() && url.compare(0, options.base.size(), options.base) != 0) {
        throw std::runtime_error("next link elsewhere: " + url);
      }
    }

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "pages=%zu bytes_in=%llu bytes_out=%llu posts=%zu cpu_seconds=%.3f system_seconds=%.3f "
        "wall_seconds=%.3f "
        "peak_rss_kib=%ld\n",
        pages, bytes_in, bytes_out, posts, CpuSeconds(usage),
        usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6, wall, usage.ru_maxrss);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench-floor-client: " << error.what() << "\n";
    return 1;
  }
}
