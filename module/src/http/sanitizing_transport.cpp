#include "sekoia/http/sanitizing_transport.hpp"

#include <algorithm>
#include <cctype>

#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"

namespace sekoia::http {

bool IsSafeHeaderValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t') || byte == 0x7f;
  });
}

bool IsHeaderName(std::string_view name) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

bool IsToken68(std::string_view value) {
  std::size_t end = value.size();
  while (end > 0 && value[end - 1] == '=') --end;
  if (end == 0) return false;
  return std::all_of(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(end), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '+' || c == '/';
  });
}

void CheckRequest(const HttpRequest& request) {
  if (!ParseUrl(request.url)) {
    throw TransportError("refusing to send a request to a malformed URL: " +
                         DisplayUrl(request.url));
  }
  if (!IsHeaderName(request.method))
    throw TransportError("refusing to send a request with a malformed method");
  for (const auto& [name, value] : request.headers) {
    if (!IsHeaderName(name))
      throw TransportError("refusing to send a request with a malformed header name");
    if (!IsSafeHeaderValue(value)) {
      throw TransportError(
          "refusing to send the header " + name +
          ": its value holds a control character (CR, LF...), which would inject headers");
    }
  }
}

HttpResponse SanitizingTransport::Send(const HttpRequest& request, const StopSignal& stop) {
  CheckRequest(request);
  HttpResponse response = inner_->Send(request, stop);
  if (response.status < 200 || response.status > 299) {
    response.body = redactor_.Apply(std::move(response.body));
    for (auto& header : response.headers) header.second = redactor_.Apply(std::move(header.second));
  }
  return response;
}

}  // namespace sekoia::http
