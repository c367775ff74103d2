// libFuzzer target: header values (what reaches a request header: tokens, keys) and the
// redaction of a secret from a service's text. The input is `secret \0 text`.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sekoia/errors.hpp"
#include "sekoia/http/sanitizing_transport.hpp"
#include "sekoia/redaction.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string secret(input.substr(0, split));
  const std::string text(split == std::string_view::npos ? std::string_view()
                                                         : input.substr(split + 1));

  // What may be sent in a header cannot end it.
  for (const std::string& value : {secret, text}) {
    const bool safe = sekoia::http::IsSafeHeaderValue(value);
    if (safe && value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
      __builtin_trap();
    if (sekoia::http::IsToken68(value) && (!safe || value.find(' ') != std::string::npos))
      __builtin_trap();
    sekoia::http::HttpRequest request{"GET", "https://graph.test/x", "", {{"X-Value", value}}};
    bool refused = false;
    try {
      sekoia::http::CheckRequest(request);
    } catch (const sekoia::TransportError&) {
      refused = true;
    }
    if (refused == safe) __builtin_trap();
  }

  // A registered secret leaves no form of itself in any text (a secret holding the mask's '*'
  // could be rebuilt around a mask, and is not a case of interest).
  sekoia::Redactor redactor;
  redactor.Add(secret);
  const std::string masked = redactor.Apply(text + secret + text);
  if (secret.size() >= 4 && secret.find('*') == std::string::npos) {
    for (const std::string& form : sekoia::SecretForms(secret)) {
      if (masked.find(form) != std::string::npos) __builtin_trap();
    }
  }
  redactor.AddUntil(text, sekoia::TimePoint{});
  redactor.Expire(sekoia::TimePoint{} + std::chrono::seconds(1));
  if (redactor.size() > 1) __builtin_trap();  // the expired one left
  sekoia::MaskUrlUserinfo(text);
  return 0;
}
