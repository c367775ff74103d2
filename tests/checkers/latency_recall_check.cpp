// latency-recall's checker (scripts/latency-recall.sh starts the processes, this does the
// accounting):
//   latency_recall_check progress --sim-a URL --sim-b URL --data-a DIR --data-b DIR --since ISO
//   --until ISO
//                                 --age MIN --elapsed S
//     prints "<unpublished, A+B> <A passed until: 0|1> <B passed until: 0|1>", then the progress
//     line
//   latency_recall_check report   --sim-a URL --sim-b URL --context-a FILE --context-b FILE
//                                 --metrics-a FILE --metrics-b FILE --exit-a N --exit-b N --since
//                                 ISO
//                                 --until ISO --age MIN --ages LIST --lookback MIN --scale S
//                                 --scale-label 1/20 --rate R --measured-at EPOCH --trigger-seconds
//                                 S
//     prints the table; exit 1 when B failed (a duplicate, a state missed within its last age, not
//     past the period, or a trigger that did not exit 0)
// Exit 2 on bad arguments or an unreachable simulator.
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "arguments.hpp"
#include "iso_time.hpp"
#include "latency_recall_report.hpp"
#include "stats_source.hpp"

namespace {

using checkers::Arguments;
using nlohmann::json;

// most_recent_date_requested of a context.json, or nothing (absent, unreadable).
std::optional<long long> Checkpoint(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const json context = json::parse(in, nullptr, false);
  if (!context.is_object() || !context.contains("most_recent_date_requested") ||
      !context["most_recent_date_requested"].is_string()) {
    return std::nullopt;
  }
  return checkers::ParseIsoSeconds(context["most_recent_date_requested"].get<std::string>());
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json Stats(const Arguments& arguments, const std::string& run) {
  checkers::CurlStatsSource source(arguments.Text("sim-" + run));
  return source.Get("/stats?since=" + arguments.Text("since") + "&until=" +
                    arguments.Text("until") + "&delay_at_most=" + arguments.Text("age"));
}

long long RequireTime(const Arguments& arguments, const std::string& name) {
  const auto epoch = checkers::ParseIsoSeconds(arguments.Text(name));
  if (!epoch) throw std::invalid_argument("--" + name + ": a time such as 2026-12-07T08:00:00Z");
  return *epoch;
}

int Run(const Arguments& arguments) {
  checkers::RecallSetup setup;
  setup.until = RequireTime(arguments, "until");
  if (arguments.command() == "progress") {
    const json a = Stats(arguments, "a");
    const json b = Stats(arguments, "b");
    std::cout
        << (a.at("unpublished").get<std::uint64_t>() + b.at("unpublished").get<std::uint64_t>())
        << " "
        << checkers::PassedUntil(setup, Checkpoint(arguments.Text("data-a") + "/context.json"))
        << " "
        << checkers::PassedUntil(setup, Checkpoint(arguments.Text("data-b") + "/context.json"))
        << "\n"
        << checkers::ProgressLine(static_cast<long long>(arguments.Number("elapsed")), a, b)
        << "\n";
    return 0;
  }
  if (arguments.command() == "report") {
    setup.scale = arguments.Number("scale");
    if (!(setup.scale > 0 && setup.scale <= 1))
      throw std::invalid_argument("--scale must be within (0, 1]");
    setup.scale_label = arguments.Text("scale-label");
    setup.rate = arguments.Number("rate");
    setup.ages = arguments.Text("ages");
    setup.last_age = arguments.Text("age");
    setup.lookback = arguments.Text("lookback");
    setup.measured_at = static_cast<long long>(arguments.Number("measured-at"));
    setup.trigger_seconds = arguments.Number("trigger-seconds");
    checkers::RecallRun runs[2];
    const char* names[2] = {"a", "b"};
    for (int i = 0; i < 2; ++i) {
      const std::string run = names[i];
      runs[i].stats = Stats(arguments, run);
      runs[i].checkpoint = Checkpoint(arguments.Text("context-" + run));
      runs[i].budget_waits = checkers::PrometheusCounter(
          ReadText(arguments.Text("metrics-" + run)), "symphony_module_common_budget_waits_total");
      runs[i].exit_code = static_cast<int>(arguments.Number("exit-" + run));
    }
    const checkers::RecallReport report = checkers::BuildRecallReport(setup, runs[0], runs[1]);
    std::cout << report.text;
    return report.failures.empty() ? 0 : 1;
  }
  throw std::invalid_argument("unknown command '" + arguments.command() + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(Arguments(argc, argv));
  } catch (const std::invalid_argument& error) {
    std::cerr << "latency_recall_check: " << error.what()
              << " (usage: latency_recall_check progress|report ...; see "
                 "tests/checkers/latency_recall_check.cpp)\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "latency_recall_check: " << error.what() << "\n";
    return 2;
  }
}
