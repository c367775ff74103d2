// libFuzzer target: a Reporting Web Service MessageTrace answer in either legacy shape
// (verbose OData v2 `d.results` / `d.__next`, light `value` / `odata.nextLink`). The same code
// reads both; two binaries are built from this file so each shape has its own corpus.
#include <cstddef>
#include <cstdint>
#include <string>

#include "reporting_source.hpp"
#include "sekoia/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  try {
    message_trace::TracePage page = message_trace::ParseReportingPage(body);
    std::size_t bytes = 0;
    for (const auto& record : page.records) bytes += record.raw.size();
    if (bytes > page.body.size()) __builtin_trap();
  } catch (const sekoia::ParseError&) {
  }
  (void)message_trace::DescribeReportingError(500, body, message_trace::ReportingAuth::kOAuth);
  return 0;
}
