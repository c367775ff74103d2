// libFuzzer target: a Microsoft Graph messageTraces answer page, as GraphSource reads it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "graph_source.hpp"
#include "sekoia/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  try {
    message_trace::TracePage page = message_trace::ParseGraphPage(body);
    // Every record is a view into the page's own body: reading it must stay inside.
    std::size_t bytes = 0;
    for (const auto& record : page.records) bytes += record.raw.size();
    if (bytes > page.body.size()) __builtin_trap();
  } catch (const sekoia::ParseError&) {
  }
  (void)message_trace::DescribeGraphError(403, body);
  return 0;
}
