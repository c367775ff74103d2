#pragma once

// `office365-messagetrace check <command>`: one pass over what a trigger needs (configuration,
// token, one message-trace query, the intake), one line per step, before it is deployed.
#include <functional>
#include <initializer_list>
#include <ostream>
#include <string>

#include "sekoia/auth/token_provider.hpp"
#include "sekoia/clock.hpp"
#include "sekoia/http/retrying_transport.hpp"
#include "sekoia/http/transport.hpp"
#include "sekoia/redaction.hpp"
#include "sekoia/stop_signal.hpp"
#include "trace_source.hpp"

namespace message_trace {

/**
 * Prints the steps of a check, one line each: `ok   <step> (<detail>)`, `FAIL <step>: <error
 * and its fix>`, and after a failure `skip <step>` for every later one. Every line passes the
 * redactor first, so no registered secret is printed. Not thread-safe.
 */
class CheckReport final {
 public:
  CheckReport(std::ostream& out, const sekoia::Redactor& redactor)
      : out_(out), redactor_(redactor) {}
  /** Runs `step` unless an earlier step failed (then prints `skip`). Its result is the ok line's
   *  detail; the text of any exception it throws is the FAIL line's. Returns true when it passed.
   */
  bool Step(const std::string& name, const std::function<std::string()>& step);
  /** Prints `warn <step>: <text>` (something the operator should fix, that does not fail it). */
  void Warning(const std::string& name, const std::string& text);
  /** Prints `skip <step>` for each of `names`. */
  void Skip(std::initializer_list<const char*> names);
  bool failed() const { return failed_; }
  /** 0 when every step passed, 1 after a failure. */
  int ExitCode() const { return failed_ ? 1 : 0; }

 private:
  void Line(const std::string& line);
  std::ostream& out_;
  const sekoia::Redactor& redactor_;
  bool failed_ = false;
};

/** Attempts of the check's requests: an operator waits for the answer, so two attempts, short
 *  backoffs and a short ceiling on Retry-After. */
sekoia::http::RetryOptions CheckRetryOptions();

/** Asks `credential` for a token (never printed); returns the token service's host. Throws
 *  AuthError (credentials refused, with the AADSTS code and its fix), HttpStatusError or
 *  TransportError (the message names login_url). */
std::string CheckToken(sekoia::auth::TokenProvider& credential, const std::string& token_url,
                       const sekoia::StopSignal& stop);

/** One query over the hour before `now`, of the first page only (build `source` with a page
 *  size of 1: `$top=1`); `service_url` is the configured `argument` (graph_url or reporting_url).
 *  Returns the host and whether a record came back. Throws as TraceSource::FetchPage does, with
 *  the argument named when no answer arrived. */
std::string CheckQuery(TraceSource& source, const std::string& argument,
                       const std::string& service_url, sekoia::TimePoint now,
                       const sekoia::StopSignal& stop);

/** The batch of a check: `{"intake_key": <key>, "jsons": []}`: the intake checks the key and
 *  receives no event. */
std::string EmptyBatchBody(const std::string& intake_key);

/** POSTs EmptyBatchBody to `<intake_server>/batch` as the trigger's batches go (same
 *  User-Agent); returns the intake's host when it answers 2xx with JSON. Throws HttpStatusError
 *  naming intake_key or intake_server with the fix, or TransportError naming intake_server. */
std::string CheckIntake(sekoia::http::HttpTransport& transport, const std::string& intake_server,
                        const std::string& intake_key, const sekoia::StopSignal& stop);

}  // namespace message_trace
