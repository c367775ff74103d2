#include "sekoia/http/transport.hpp"

#include <strings.h>

namespace sekoia::http {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0)
      return value;
  }
  return "";
}

}  // namespace sekoia::http
