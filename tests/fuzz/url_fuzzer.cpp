// libFuzzer target: a URL as a next link, a stored checkpoint or a configuration may give it.
// The origin a credential is bound to must be stable, and nothing printed may quote userinfo.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sekoia/url.hpp"

namespace {

bool HasControl(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto url = sekoia::ParseUrl(text)) {
    if (url->host.empty() || url->port < 1 || url->port > 65535) __builtin_trap();
    if (url->path_and_query.empty() || url->path_and_query.front() != '/') __builtin_trap();
    if (HasControl(url->host) || HasControl(url->path_and_query)) __builtin_trap();
    const std::string origin = sekoia::Origin(*url);
    // The origin's own text has the same origin: the binding compares like with like.
    auto again = sekoia::ParseUrl(origin);
    if (!again || sekoia::Origin(*again) != origin) __builtin_trap();
    if (!sekoia::HasOrigin(text, origin)) __builtin_trap();
    sekoia::IsSecureOrLoopback(*url);
  }
  const std::string problem = sekoia::BaseUrlProblem(text);
  if (problem.empty()) {
    if (!sekoia::ParseUrl(text) || text.find('?') != std::string_view::npos ||
        text.find('#') != std::string_view::npos)
      __builtin_trap();
  } else if (problem.size() > 120) {
    __builtin_trap();  // a fixed reason, never the text
  }
  const std::string shown = sekoia::DisplayUrl(text);
  if (HasControl(shown)) __builtin_trap();
  // Userinfo is never shown: whatever precedes the last '@' of the authority is masked.
  const std::size_t scheme = text.find("://");
  if (scheme != std::string_view::npos) {
    const std::string_view rest = text.substr(scheme + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos && shown.compare(scheme + 3, 4, "***@") != 0) __builtin_trap();
  }
  sekoia::PercentEncode(text);
  return 0;
}
