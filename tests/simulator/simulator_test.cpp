// Simulator::Handle end to end, without sockets: what a trigger sees over HTTP.
#include "simulator.hpp"

#include <gtest/gtest.h>

#include <set>

#include "http_text.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr const char* kBase = "http://127.0.0.1:1";
constexpr const char* kTokenPath = "/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token";

Request Make(const std::string& method, const std::string& target, std::string body = "") {
  Request request;
  request.method = method;
  const size_t question = target.find('?');
  request.raw_path = target.substr(0, question);
  request.raw_query = question == std::string::npos ? "" : target.substr(question + 1);
  request.path = PercentDecode(request.raw_path, false);
  request.body = std::move(body);
  request.headers["prefer"] = "include-unknown-enum-members";  // as the trigger asks
  return request;
}

Request WithAuth(Request request, const std::string& authorization) {
  request.headers["authorization"] = authorization;
  return request;
}

std::string Token(Simulator& simulator, const std::string& scope) {
  const Reply reply = simulator.Handle(
      Make("POST", kTokenPath,
           "grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555"
           "&client_secret=sim-secret&scope=" +
               PercentEncode(scope)));
  EXPECT_EQ(reply.status, 200) << reply.body;
  return nlohmann::json::parse(reply.body)["access_token"];
}

std::string GraphQuery(Micros start, Micros end, int top) {
  return "/v1.0/admin/exchange/tracing/messageTraces?%24filter=" +
         PercentEncode("receivedDateTime ge " + FormatIsoSeconds(start) +
                       " and receivedDateTime le " + FormatIsoSeconds(end)) +
         "&$top=" + std::to_string(top);
}

std::string Header(const Reply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (IEquals(key, name)) return value;
  }
  return "";
}

TenantOptions Records(TraceApi api, std::size_t count) {
  TenantOptions options;
  options.records = count;
  options.newest = NowMicros() - 60 * kMicrosPerSecond;
  options.oldest = options.newest - 2 * kMicrosPerDay;
  options.api = api;
  return options;
}

// Splits a page's array into its elements' exact bytes.
std::vector<std::string> RawElements(const std::string& page, const std::string& array_key) {
  std::vector<std::string> out;
  size_t pos = page.find("\"" + array_key + "\":[") + array_key.size() + 4;
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = 0;
  for (; pos < page.size(); ++pos) {
    const char c = page[pos];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      if (depth++ == 0) start = pos;
    } else if (c == '}') {
      if (--depth == 0) out.push_back(page.substr(start, pos - start + 1));
    } else if (c == ']' && depth == 0) {
      break;
    }
  }
  return out;
}

Reply Forward(Simulator& simulator, const std::vector<std::string>& events,
              const std::string& user_agent = "sekoiaio-connector-sim-intake-key") {
  Request request = Make(
      "POST", "/batch", nlohmann::json{{"intake_key", "sim-intake-key"}, {"jsons", events}}.dump());
  request.headers["user-agent"] = user_agent;
  return simulator.Handle(request);
}

TEST(Simulator, GraphPagesThroughNextLinksAndTheIntakeSeesEveryRecord) {
  Tenant tenant(Records(TraceApi::kGraph, 2500));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  const std::string bearer = "Bearer " + Token(simulator, "https://graph.microsoft.com/.default");
  const Micros now = NowMicros();
  std::string target = GraphQuery(now - 3 * kMicrosPerDay, now, 700);
  std::vector<std::string> events;
  int pages = 0;
  while (!target.empty()) {
    const Reply reply = simulator.Handle(WithAuth(Make("GET", target), bearer));
    ASSERT_EQ(reply.status, 200) << reply.body;
    const nlohmann::json page = nlohmann::json::parse(reply.body);
    const auto raw = RawElements(reply.body, "value");
    ASSERT_EQ(raw.size(), page["value"].size());
    events.insert(events.end(), raw.begin(), raw.end());
    ++pages;
    target.clear();
    if (page.contains("@odata.nextLink")) {
      const std::string link = page["@odata.nextLink"];
      ASSERT_EQ(link.rfind(kBase, 0), 0u) << link;
      target = link.substr(std::string(kBase).size());
    }
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(events.size(), 2500u);
  EXPECT_EQ(std::set<std::string>(events.begin(), events.end()).size(), 2500u);

  const Reply accepted = Forward(simulator, events);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(nlohmann::json::parse(accepted.body)["event_ids"].size(), 2500u);
  ASSERT_EQ(Forward(simulator, {events[0]}, "python-requests").status, 200);

  const Reply stats_reply =
      simulator.Handle(Make("GET", "/stats?until=" + FormatIsoSeconds(NowMicros())));
  const nlohmann::json stats = nlohmann::json::parse(stats_reply.body);
  EXPECT_EQ(stats["served_distinct"], 2500);
  EXPECT_EQ(stats["received_total"], 2501);
  EXPECT_EQ(stats["duplicates"], 1);
  EXPECT_EQ(stats["unknown"], 0);
  EXPECT_EQ(stats["expected"], 2500);
  EXPECT_EQ(stats["missing"], 0);
  EXPECT_EQ(stats["graph_requests"], 4);
  EXPECT_EQ(stats["bad_user_agent"], 1);
}

TEST(Simulator, GraphEnforcesMicrosoftsRules) {
  Tenant tenant(Records(TraceApi::kGraph, 10));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  const std::string bearer = "Bearer " + Token(simulator, "https://graph.microsoft.com/.default");
  const std::string outlook =
      "Bearer " + Token(simulator, "https://outlook.office365.com/.default");
  const Micros now = NowMicros();
  const auto status = [&](const std::string& target, const std::string& auth) {
    return simulator.Handle(WithAuth(Make("GET", target), auth)).status;
  };
  EXPECT_EQ(status(GraphQuery(now - kMicrosPerDay, now, 10), bearer), 200);
  EXPECT_EQ(status(GraphQuery(now - kMicrosPerDay, now, 10), ""), 401);
  EXPECT_EQ(status(GraphQuery(now - kMicrosPerDay, now, 10), outlook), 401);
  EXPECT_EQ(status(GraphQuery(now - 11 * kMicrosPerDay, now, 10), bearer), 400);
  EXPECT_EQ(status(GraphQuery(now - 91 * kMicrosPerDay, now - 89 * kMicrosPerDay, 10), bearer),
            400);
  EXPECT_EQ(status(GraphQuery(now, now + 120 * kMicrosPerSecond, 10), bearer), 400);
  EXPECT_EQ(status(GraphQuery(now - kMicrosPerDay, now, 0), bearer), 400);
  EXPECT_EQ(status(GraphQuery(now - kMicrosPerDay, now, 5001), bearer), 400);
  EXPECT_EQ(status(GraphQuery(now - kMicrosPerDay, now, 10) + "&$skiptoken=1.5", bearer), 400);
  EXPECT_EQ(status("/v1.0/admin/exchange/tracing/messageTraces?$filter=nonsense", bearer), 400);
}

TEST(Simulator, GraphFollowsTheSpecOnFiltersRecordsAndStatuses) {
  Tenant tenant(Records(TraceApi::kGraph, 4000));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  const std::string bearer = "Bearer " + Token(simulator, "https://graph.microsoft.com/.default");
  const Micros now = NowMicros();
  const auto get = [&](const std::string& target, bool prefer) {
    Request request = WithAuth(Make("GET", target), bearer);
    if (!prefer) request.headers.erase("prefer");
    request.headers["client-request-id"] = "00000000-1111-4222-8333-444444444444";
    return simulator.Handle(request);
  };
  // Both bounds, ge and le only [LIST], [RES].
  const std::string base = "/v1.0/admin/exchange/tracing/messageTraces?%24filter=";
  const std::string start = FormatIsoSeconds(now - kMicrosPerDay), end = FormatIsoSeconds(now);
  EXPECT_EQ(get(base + PercentEncode("receivedDateTime ge " + start), true).status, 400);
  EXPECT_EQ(
      get(base + PercentEncode("receivedDateTime gt " + start + " and receivedDateTime le " + end),
          true)
          .status,
      400);
  EXPECT_EQ(
      get(base + PercentEncode("receivedDateTime ge " + start + " and receivedDateTime lt " + end),
          true)
          .status,
      400);
  const Reply bad = get(base + PercentEncode("receivedDateTime ge " + start), true);
  const nlohmann::json inner = nlohmann::json::parse(bad.body)["error"]["innerError"];
  EXPECT_EQ(inner["client-request-id"], "00000000-1111-4222-8333-444444444444");
  EXPECT_EQ(inner["request-id"], Header(bad, "request-id"));
  EXPECT_EQ(Header(bad, "client-request-id"), "00000000-1111-4222-8333-444444444444");
  // v1.0 records have no @odata.type, beta's have; recalled only with the Prefer header [RES].
  const std::string query = GraphQuery(now - 3 * kMicrosPerDay, now, 5000);
  const nlohmann::json v1 = nlohmann::json::parse(get(query, true).body)["value"];
  const nlohmann::json plain = nlohmann::json::parse(get(query, false).body)["value"];
  std::string beta_query = query;
  beta_query.replace(0, 5, "/beta");
  const nlohmann::json beta = nlohmann::json::parse(get(beta_query, true).body)["value"];
  ASSERT_EQ(v1.size(), 4000u);
  ASSERT_EQ(plain.size(), 4000u);
  ASSERT_EQ(beta.size(), 4000u);
  int recalled = 0;
  for (std::size_t i = 0; i < v1.size(); ++i) {
    EXPECT_FALSE(v1[i].contains("@odata.type"));
    EXPECT_EQ(beta[i]["@odata.type"], "#microsoft.graph.exchangeMessageTrace");
    EXPECT_NE(plain[i]["status"], "recalled");
    if (v1[i]["status"] == "recalled") {
      ++recalled;
      EXPECT_EQ(plain[i]["status"], "unknownFutureValue");
    } else {
      EXPECT_EQ(plain[i]["status"], v1[i]["status"]);
    }
  }
  EXPECT_GT(recalled, 0);
  const nlohmann::json stats = nlohmann::json::parse(simulator.Handle(Make("GET", "/stats")).body);
  EXPECT_EQ(stats["graph_requests_without_prefer"], 1);
}

TEST(Simulator, ThrottleAnswers429WithRetryAfterAndCountsThePeak) {
  Tenant tenant(Records(TraceApi::kGraph, 10));
  SimulatorOptions options;
  options.throttle_limit = 3;
  Simulator simulator(options, tenant, kBase);
  const std::string bearer = "Bearer " + Token(simulator, "https://graph.microsoft.com/.default");
  const Request request =
      WithAuth(Make("GET", "/beta/admin/exchange/tracing/messageTraces"), bearer);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(simulator.Handle(request).status, 200);
  const Reply refused = simulator.Handle(request);
  EXPECT_EQ(refused.status, 429);
  // The exact wait, to the millisecond, as Microsoft wrote it ("2.128") [THR].
  const std::string retry_after = Header(refused, "Retry-After");
  EXPECT_GT(std::stod(retry_after), 299.0) << retry_after;
  EXPECT_LE(std::stod(retry_after), 300.0) << retry_after;
  EXPECT_TRUE(retry_after.find('.') == std::string::npos ||
              retry_after.size() - retry_after.find('.') == 4)
      << retry_after;
  EXPECT_EQ(RetryAfterText(2.128), "2.128");
  EXPECT_EQ(RetryAfterText(10), "10");
  EXPECT_EQ(nlohmann::json::parse(refused.body)["error"]["code"], "TooManyRequests");
  const nlohmann::json stats = nlohmann::json::parse(simulator.Handle(Make("GET", "/stats")).body);
  EXPECT_EQ(stats["throttled"], 1);
  EXPECT_EQ(stats["peak_requests_in_window"], 3);
}

TEST(Simulator, ReportingPagesBySkipTokenWhenThereIsNoNextLink) {
  Tenant tenant(Records(TraceApi::kReporting, 2300));
  SimulatorOptions options;
  options.reporting_next_link = false;
  options.reporting_page = 1000;
  Simulator simulator(options, tenant, kBase);
  const std::string basic = "Basic cmVwb3J0ZXJAY29udG9zby5vbm1pY3Jvc29mdC5jb206c2ltLXBhc3N3b3Jk";
  const Micros now = NowMicros();
  const std::string target =
      "/ECP/ReportingWebService/Reporting.svc/MessageTrace?$format=json&$filter=" +
      PercentEncode("StartDate eq datetime'" + FormatIsoSeconds(now - 3 * kMicrosPerDay) +
                    "' and EndDate eq datetime'" + FormatIsoSeconds(now) + "'");
  std::vector<std::string> events;
  for (int offset = 0;; offset += 1000) {
    const Reply reply = simulator.Handle(
        WithAuth(Make("GET", target + "&$skiptoken=" + std::to_string(offset)), basic));
    ASSERT_EQ(reply.status, 200) << reply.body;
    const nlohmann::json page = nlohmann::json::parse(reply.body);
    EXPECT_FALSE(page["d"].contains("__next"));
    const auto raw = RawElements(reply.body, "results");
    for (size_t i = 0; i < raw.size(); ++i) {
      EXPECT_EQ(nlohmann::json::parse(raw[i])["Index"], offset + static_cast<int>(i));
    }
    events.insert(events.end(), raw.begin(), raw.end());
    if (raw.size() < 1000) break;
  }
  ASSERT_EQ(events.size(), 2300u);
  ASSERT_EQ(Forward(simulator, events).status, 200);
  const nlohmann::json stats = nlohmann::json::parse(
      simulator.Handle(Make("GET", "/stats?until=" + FormatIsoSeconds(NowMicros()))).body);
  EXPECT_EQ(stats["missing"], 0);
  EXPECT_EQ(stats["unknown"], 0);

  const auto status = [&](const std::string& auth) {
    return simulator.Handle(WithAuth(Make("GET", target), auth)).status;
  };
  EXPECT_EQ(status("Basic d3Jvbmc6d3Jvbmc="), 401);
  EXPECT_EQ(status("Bearer " + Token(simulator, "https://outlook.office365.com/.default")), 200);
  EXPECT_EQ(status("Bearer " + Token(simulator, "https://graph.microsoft.com/.default")), 401);
}

TEST(Simulator, TokenEndpointAnswersInAzureAdsShape) {
  Tenant tenant(Records(TraceApi::kGraph, 1));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  const auto error = [&](const std::string& path, const std::string& body) {
    const Reply reply = simulator.Handle(Make("POST", path, body));
    const nlohmann::json json = nlohmann::json::parse(reply.body);
    return std::to_string(reply.status) + " " + json["error"].get<std::string>() + " " +
           std::to_string(json["error_codes"][0].get<int>());
  };
  const std::string ok_client =
      "grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555";
  EXPECT_EQ(error("/other-tenant/oauth2/v2.0/token", ok_client), "400 invalid_request 90002");
  EXPECT_EQ(error(kTokenPath, "grant_type=client_credentials&client_id=x"),
            "400 unauthorized_client 700016");
  EXPECT_EQ(error(kTokenPath, ok_client + "&client_secret=wrong&scope=x"),
            "401 invalid_client 7000215");
  EXPECT_EQ(error(kTokenPath, ok_client + "&client_secret=sim-secret&scope=x"),
            "400 invalid_scope 70011");
  EXPECT_EQ(error(kTokenPath, ok_client + "&client_assertion_type=jwt&client_assertion=a"),
            "400 invalid_request 700026");
  EXPECT_EQ(
      error(kTokenPath, ok_client + "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
                                    "assertion-type%3Ajwt-bearer&client_assertion=not.a.jwt"),
      "401 invalid_client 50027");
}

TEST(Simulator, IntakeAndLogsCheckTheirCredentials) {
  Tenant tenant(Records(TraceApi::kGraph, 1));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  EXPECT_EQ(simulator.Handle(Make("POST", "/batch", R"({"intake_key":"no","jsons":[]})")).status,
            401);
  EXPECT_EQ(simulator.Handle(Make("POST", "/batch", R"({"intake_key":)")).status, 400);
  Request too_large = Make("POST", "/intake/batch");
  too_large.body_too_large = true;
  EXPECT_EQ(simulator.Handle(too_large).status, 413);

  const std::string logs =
      R"({"logs":[{"date":"2026-01-21T14:12:34Z","level":"info","message":"hi"}]})";
  EXPECT_EQ(simulator.Handle(Make("POST", "/logs", logs)).status, 401);
  EXPECT_EQ(simulator.Handle(WithAuth(Make("POST", "/api/logs", logs), "Bearer sim-platform-token"))
                .status,
            200);
  const nlohmann::json kept =
      nlohmann::json::parse(simulator.Handle(Make("GET", "/logs-received")).body);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0]["message"], "hi");
  const nlohmann::json requests =
      nlohmann::json::parse(simulator.Handle(Make("GET", "/requests")).body);
  ASSERT_EQ(requests.size(), 5u);  // introspection is not listed
  EXPECT_EQ(requests[4]["auth"], "Bearer");
  EXPECT_EQ(requests[4]["target"], "/api/logs");
}

// The soak's faults: bursts of intake 503s, an outage started on demand, a body limit, logs
// failing, and where the intake stands past a client's checkpoint.
TEST(Simulator, IntakeFaultsForTheSoak) {
  Tenant tenant(Records(TraceApi::kGraph, 10));
  SimulatorOptions options;
  options.max_intake_body = 2000;
  options.faults.logs_503 = 1;
  options.intake_latency = std::chrono::milliseconds(250);
  Simulator simulator(options, tenant, kBase);
  const Reply too_large = Forward(simulator, {std::string(3000, 'x')});
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(too_large.delay, std::chrono::milliseconds(250));
  EXPECT_EQ(Forward(simulator, {"{}"}).status, 200);

  const Reply outage = simulator.Handle(Make("POST", "/control/intake-outage?seconds=60"));
  ASSERT_EQ(outage.status, 200) << outage.body;
  EXPECT_EQ(Forward(simulator, {"{}"}).status, 503);
  ASSERT_EQ(simulator.Handle(Make("POST", "/control/intake-outage?seconds=0")).status, 200);
  EXPECT_EQ(Forward(simulator, {"{}"}).status, 200);
  EXPECT_EQ(simulator.Handle(Make("POST", "/control/intake-outage?seconds=x")).status, 400);

  const std::string logs =
      R"({"logs":[{"date":"2026-01-21T14:12:34Z","level":"info","message":"hi"}]})";
  EXPECT_EQ(
      simulator.Handle(WithAuth(Make("POST", "/logs", logs), "Bearer sim-platform-token")).status,
      503);
  const nlohmann::json faults =
      nlohmann::json::parse(simulator.Handle(Make("GET", "/stats")).body)["faults"];
  EXPECT_EQ(faults["intake_413"], 1);
  EXPECT_EQ(faults["intake_outage"], 1);
  EXPECT_EQ(faults["logs_503"], 1);
  EXPECT_EQ(faults["token_expired_early"], 0);
}

TEST(Simulator, ForcedFaultsHitTheNextEligibleRequest) {
  Tenant tenant(Records(TraceApi::kGraph, 40));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  EXPECT_EQ(simulator.Handle(Make("POST", "/control/fault?kind=intake_503")).status, 200);
  EXPECT_EQ(simulator.Handle(Make("POST", "/control/fault?kind=503")).status, 200);
  EXPECT_EQ(simulator.Handle(Make("POST", "/control/fault?kind=401")).status, 200);
  EXPECT_EQ(simulator.Handle(Make("POST", "/control/fault?kind=teapot")).status, 400);
  EXPECT_EQ(Forward(simulator, {"{}"}).status, 503);
  EXPECT_EQ(Forward(simulator, {"{}"}).status, 200);
  const std::string bearer = "Bearer " + Token(simulator, "https://graph.microsoft.com/.default");
  const Micros now = NowMicros();
  const std::string first_page = GraphQuery(now - 3 * kMicrosPerDay, now, 5);
  EXPECT_EQ(simulator.Handle(WithAuth(Make("GET", first_page), bearer)).status, 503);
  // A 401 is for a next page: the first page goes through, its next link gets it.
  const Reply page = simulator.Handle(WithAuth(Make("GET", first_page), bearer));
  ASSERT_EQ(page.status, 200);
  const std::string link = nlohmann::json::parse(page.body)["@odata.nextLink"];
  EXPECT_EQ(simulator.Handle(WithAuth(Make("GET", link.substr(std::string(kBase).size())), bearer))
                .status,
            401);
  const nlohmann::json faults =
      nlohmann::json::parse(simulator.Handle(Make("GET", "/stats")).body)["faults"];
  EXPECT_EQ(faults["intake_503"], 1);
  EXPECT_EQ(faults["503"], 1);
  EXPECT_EQ(faults["401"], 1);
}

TEST(Simulator, StatsSayWhatWasReceivedPastAPosition) {
  Tenant tenant(Records(TraceApi::kGraph, 100));
  Simulator simulator(SimulatorOptions{}, tenant, kBase);
  const std::string bearer = "Bearer " + Token(simulator, "https://graph.microsoft.com/.default");
  const Micros now = NowMicros();
  const Reply page = simulator.Handle(
      WithAuth(Make("GET", GraphQuery(now - 3 * kMicrosPerDay, now, 100)), bearer));
  ASSERT_EQ(page.status, 200);
  const auto records = RawElements(page.body, "value");
  ASSERT_EQ(records.size(), 100u);
  // Records 40 to 59 delivered: a client at position 50 of the same query has 10 past it.
  ASSERT_EQ(Forward(simulator, std::vector<std::string>(records.begin() + 40, records.begin() + 60))
                .status,
            200);
  const std::string after = FormatIsoSeconds(now - 3 * kMicrosPerDay);
  auto received_after = [&](const std::string& query) {
    const Reply reply = simulator.Handle(Make("GET", "/stats?" + query));
    EXPECT_EQ(reply.status, 200) << reply.body;
    return nlohmann::json::parse(reply.body).value("received_after", -1);
  };
  EXPECT_EQ(received_after("after=" + after + "&skip=50"), 10);
  EXPECT_EQ(received_after("after=" + after + "&skip=0"), 20);
  EXPECT_EQ(received_after("after=" + after + "&skip=1000"), 0);
  EXPECT_EQ(received_after("until=" + after), -1);  // only asked with after
  EXPECT_EQ(simulator.Handle(Make("GET", "/stats?after=yesterday")).status, 400);
}

TEST(FaultInjector, AnIntake503StartsABurst) {
  FaultOptions options;
  options.intake_503 = 0.3;
  options.intake_503_burst = 4;
  FaultInjector faults(options, 7);
  int draws = 0;
  while (!faults.DrawIntake503()) ASSERT_LT(++draws, 1000);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(faults.DrawIntake503()) << i;
  EXPECT_EQ(faults.Counts()["intake_503"], 4u);
}

}  // namespace
}  // namespace mtsim
