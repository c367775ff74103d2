// Azure AD v2 token endpoint: POST /{tenant}/oauth2/v2.0/token, client credentials.
#include "http_text.hpp"
#include "simulator.hpp"
#include "time_text.hpp"

namespace mtsim {
namespace {

constexpr std::string_view kGraphScope = "https://graph.microsoft.com/.default";
constexpr std::string_view kOutlookScope = "https://outlook.office365.com/.default";

// Azure AD's error shape (samples/token_error.json).
Reply AadError(int status, const std::string& error, int code, const std::string& description) {
  Reply reply;
  reply.status = status;
  reply.headers.emplace_back("Cache-Control", "no-store, no-cache");
  reply.body = Dump({{"error", error},
                     {"error_description", "AADSTS" + std::to_string(code) + ": " + description},
                     {"error_codes", {code}},
                     {"timestamp", FormatAadTimestamp(NowMicros())},
                     {"trace_id", NewGuid()},
                     {"correlation_id", NewGuid()}});
  return reply;
}

Reply MissingParameter(const std::string& name) {
  return AadError(400, "invalid_request", 900144,
                  "The request body must contain the following parameter: '" + name + "'.");
}

}  // namespace

Reply Simulator::HandleToken(const Request& request, const std::string& tenant) {
  Count(Counter::kTokenRequests);
  if (faults_.DrawToken503()) {
    Reply reply = AadError(503, "temporarily_unavailable", 90033,
                           "A transient error has occurred. Please try again.");
    return reply;
  }
  if (!IEquals(tenant, options_.tenant_id)) {
    return AadError(400, "invalid_request", 90002,
                    "Tenant '" + tenant +
                        "' not found. Check to make sure you have the correct tenant ID and are "
                        "signing into the correct cloud. Check with your subscription "
                        "administrator, this may happen if there are no active subscriptions "
                        "for the tenant.");
  }
  const QueryParams form(request.body);
  const QueryParam* grant_type = form.Find("grant_type");
  const QueryParam* client_id = form.Find("client_id");
  const QueryParam* client_secret = form.Find("client_secret");
  const QueryParam* assertion = form.Find("client_assertion");
  const QueryParam* assertion_type = form.Find("client_assertion_type");
  const QueryParam* scope = form.Find("scope");

  if (grant_type == nullptr) return MissingParameter("grant_type");
  if (grant_type->value != "client_credentials") {
    return AadError(400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + grant_type->value + "'.");
  }
  if (client_id == nullptr) return MissingParameter("client_id");
  if (!IEquals(client_id->value, options_.client_id)) {
    return AadError(400, "unauthorized_client", 700016,
                    "Application with identifier '" + client_id->value +
                        "' was not found in the directory '" + tenant +
                        "'. This can happen if the application has not been installed by the "
                        "administrator of the tenant or consented to by any user in the tenant. "
                        "You may have sent your authentication request to the wrong tenant.");
  }
  if (assertion != nullptr || assertion_type != nullptr) {
    // Certificate credentials come later; until then every assertion is refused, but counted
    // so tests can see the trigger tried.
    Count(Counter::kTokenClientAssertions);
    return AadError(400, "invalid_client", 700027,
                    "Client assertion failed signature validation. (The simulator does not "
                    "verify certificate credentials yet.)");
  }
  if (client_secret == nullptr) {
    return AadError(401, "invalid_client", 7000218,
                    "The request body must contain the following parameter: 'client_assertion' "
                    "or 'client_secret'.");
  }
  if (client_secret->value != options_.client_secret) {
    return AadError(401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID, for a secret added to "
                    "app '" + options_.client_id + "'.");
  }
  if (scope == nullptr) return MissingParameter("scope");
  TokenScope token_scope;
  if (IEquals(scope->value, kGraphScope)) {
    token_scope = TokenScope::kGraph;
  } else if (IEquals(scope->value, kOutlookScope)) {
    token_scope = TokenScope::kOutlook;
  } else {
    return AadError(400, "invalid_scope", 70011,
                    "The provided request must include a 'scope' input parameter. The provided "
                    "value for the input parameter 'scope' is not valid. The scope " +
                        scope->value + " is not valid.");
  }
  const long long ttl = options_.token_ttl.count();
  Reply reply;
  reply.headers.emplace_back("Cache-Control", "no-store, no-cache");
  reply.body = Dump({{"token_type", "Bearer"},
                     {"expires_in", ttl},
                     {"ext_expires_in", ttl},
                     {"access_token", tokens_.Issue(token_scope, options_.token_ttl)}});
  return reply;
}

}  // namespace mtsim
