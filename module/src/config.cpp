#include "sekoia/config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sekoia/errors.hpp"
#include "sekoia/http/sanitizing_transport.hpp"
#include "sekoia/url.hpp"

namespace sekoia {
namespace {

std::string Upper(const std::string& name) {
  std::string out = name;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return out;
}

const char* TypeName(const nlohmann::json& value) {
  if (value.is_string()) return "a string";
  if (value.is_number()) return "a number";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  if (value.is_array()) return "an array";
  return "an object";
}

}  // namespace

std::optional<ConfigSource::Found> ConfigSource::Lookup(const std::string& name) const {
  std::error_code ec;
  std::filesystem::path file = dir_ / name;
  if (std::filesystem::is_regular_file(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(name + ": the file " + file.string() + " exists but cannot be read");
    std::ostringstream content;
    content << in.rdbuf();
    return Found{content.str(), false};
  }
  // As the SDK: an empty variable is no value (`if value := os.environ.get(...)`).
  const char* env = std::getenv(Upper(name).c_str());
  if (env != nullptr && *env != '\0') return Found{std::string(env), true};
  return std::nullopt;
}

std::optional<std::string> ConfigSource::Get(const std::string& name) const {
  auto found = Lookup(name);
  if (!found) return std::nullopt;
  return std::move(found->text);
}

std::optional<nlohmann::json> ConfigSource::GetJson(const std::string& name) const {
  auto found = Lookup(name);
  if (!found) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(found->text, nullptr, false);
  if (value.is_discarded() && found->from_environment) {
    // The SDK's json_load: a variable that is not JSON may be the base64 of it.
    if (auto decoded = DecodeBase64(found->text))
      value = nlohmann::json::parse(*decoded, nullptr, false);
  }
  if (value.is_discarded()) {
    throw ConfigError(name + ": not valid JSON; give it as a JSON object (file " +
                      (dir_ / name).string() + ", or environment variable " + Upper(name) +
                      " holding the JSON or its base64)");
  }
  return value;
}

std::optional<std::string> DecodeBase64(const std::string& text) {
  auto digit = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;  // alphabet characters seen
  int padding = 0;
  for (unsigned char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    const int value = digit(c);
    if (value < 0) continue;               // b64decode(validate=False) discards them
    if (padding > 0) return std::nullopt;  // data after the padding
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    if (++count % 4 == 0) {
      out += static_cast<char>((bits >> 16) & 0xff);
      out += static_cast<char>((bits >> 8) & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
    }
  }
  const int rest = count % 4;
  if (rest == 1 || (rest != 0 && rest + padding < 4)) return std::nullopt;
  if (rest == 2) out += static_cast<char>((bits >> 4) & 0xff);
  if (rest == 3) {
    out += static_cast<char>((bits >> 10) & 0xff);
    out += static_cast<char>((bits >> 2) & 0xff);
  }
  return out;
}

std::filesystem::path DataPath(const ConfigSource& source, const std::filesystem::path& root) {
  auto sub_folder = source.Get("sub_folder");
  if (!sub_folder || sub_folder->empty()) return root;
  return root / *sub_folder;
}

namespace {

// A value bound for an HTTP header or a number: a final newline (a file written with `echo`) is
// not part of it. Python's int() ignores it too; in a header it would make every request fail.
std::optional<std::string> Line(const ConfigSource& source, const std::string& name) {
  auto value = source.Get(name);
  while (value && !value->empty() && (value->back() == '\n' || value->back() == '\r'))
    value->pop_back();
  return value;
}

}  // namespace

ModuleConfig LoadModuleConfig(const ConfigSource& source) {
  ModuleConfig config;
  config.token = Line(source, "token").value_or("");
  // It goes into the logs API's Authorization header: a CR or LF inside would inject headers.
  if (!http::IsSafeHeaderValue(config.token)) {
    config.token.clear();
    throw ConfigError(
        "token: holds a control character (a line break inside?); give the platform's token alone");
  }
  config.url_callback = Line(source, "url_callback").value_or("");
  config.intake_url = Line(source, "intake_url").value_or("");
  auto derived = [&](const std::string& name, const std::string& replacement) {
    if (auto value = Line(source, name)) return *value;
    auto pos = config.url_callback.rfind("/callback");
    if (pos == std::string::npos) return std::string();
    return config.url_callback.substr(0, pos) + replacement + config.url_callback.substr(pos + 9);
  };
  config.url_logs = derived("url_logs", "/logs");
  auto port = [&](const std::string& name, int fallback) {
    auto value = Line(source, name);
    if (!value) return fallback;
    try {
      std::size_t used = 0;
      int port = std::stoi(*value, &used);
      if (used == value->size() && port >= 0 && port <= 65535) return port;
    } catch (const std::exception&) {
    }
    throw ConfigError(name + ": '" + *value +
                      "' is not a port number; give an integer from 1 to 65535");
  };
  config.liveness_port = port("liveness_port", 8000);
  config.metrics_port = port("metrics_port", 8020);
  return config;
}

nlohmann::json LoadTriggerArguments(const ConfigSource& source) {
  for (const char* name : {"connector_configuration", "trigger_configuration"}) {
    auto value = source.GetJson(name);
    if (!value) continue;
    if (!value->is_object()) {
      throw ConfigError(std::string(name) +
                        ": expected a JSON object of the trigger's arguments, got " +
                        TypeName(*value));
    }
    return *value;
  }
  throw ConfigError(
      "trigger_configuration: missing; give the trigger's arguments as a JSON object in the file "
      "<config-dir>/trigger_configuration or the environment variable TRIGGER_CONFIGURATION");
}

const nlohmann::json* Arguments::Find(const std::string& name) const {
  asked_.insert(name);
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Arguments::Has(const std::string& name) const {
  const nlohmann::json* value = Find(name);
  return value && !(value->is_string() && value->get_ref<const std::string&>().empty());
}

std::string Arguments::RequiredString(const std::string& name) const {
  const nlohmann::json* value = Find(name);
  if (!value) throw ConfigError(name + ": missing; this argument is required");
  if (!value->is_string()) throw ConfigError(name + ": expected a string, got " + TypeName(*value));
  const std::string& text = value->get_ref<const std::string&>();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ConfigError(name + ": empty; this argument is required");
  return text;
}

std::string Arguments::String(const std::string& name, const std::string& fallback) const {
  const nlohmann::json* value = Find(name);
  if (!value) return fallback;
  if (!value->is_string()) throw ConfigError(name + ": expected a string, got " + TypeName(*value));
  const std::string& text = value->get_ref<const std::string&>();
  return text.empty() ? fallback : text;
}

std::int64_t Arguments::Integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) const {
  const nlohmann::json* value = Find(name);
  std::int64_t number = fallback;
  auto range = [&] {
    return "; give an integer from " + std::to_string(min) + " to " + std::to_string(max);
  };
  if (!value) return fallback;
  if (value->is_number_unsigned() &&
      value->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    throw ConfigError(name + ": " + value->dump() + " is out of range" + range());
  } else if (value->is_number_integer()) {
    number = value->get<std::int64_t>();
  } else if (value->is_number_float()) {
    double d = value->get<double>();
    // Range first: converting a double beyond int64 (found by fuzzing: 1e92) is undefined.
    if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)))
      throw ConfigError(name + ": " + value->dump() + " is out of range" + range());
    if (d != static_cast<double>(static_cast<std::int64_t>(d)))
      throw ConfigError(name + ": " + value->dump() + " is not a whole number" + range());
    number = static_cast<std::int64_t>(d);
  } else if (value->is_string()) {
    // The platform's forms may send numbers as text; the Python SDK (pydantic) accepts them.
    const std::string& text = value->get_ref<const std::string&>();
    try {
      std::size_t used = 0;
      number = std::stoll(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
      throw ConfigError(name + ": '" + text + "' is not an integer" + range());
    }
  } else {
    throw ConfigError(name + ": expected an integer, got " + TypeName(*value) + range());
  }
  if (number < min || number > max)
    throw ConfigError(name + ": " + std::to_string(number) + " is out of range" + range());
  return number;
}

std::chrono::seconds Arguments::Minutes(const std::string& name, double fallback, double min,
                                        double max) const {
  const nlohmann::json* value = Find(name);
  auto range = [&] {
    std::ostringstream text;
    text << "; give a number of minutes from " << min << " to " << max;
    return text.str();
  };
  double minutes = fallback;
  if (value) {
    if (value->is_number()) {
      minutes = value->get<double>();
    } else if (value->is_string()) {
      const std::string& text = value->get_ref<const std::string&>();
      try {
        std::size_t used = 0;
        minutes = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
      } catch (const std::exception&) {
        throw ConfigError(name + ": '" + text + "' is not a number" + range());
      }
    } else {
      throw ConfigError(name + ": expected a number, got " + TypeName(*value) + range());
    }
  }
  if (!(minutes >= min && minutes <= max)) {
    std::ostringstream shown;
    shown << minutes;
    throw ConfigError(name + ": " + shown.str() + " is out of range" + range());
  }
  return std::chrono::seconds(std::llround(minutes * 60));
}

std::string Arguments::HttpUrl(const std::string& name, const std::string& fallback) const {
  std::string text = String(name, fallback);
  // A base URL: no user information (never quoted: it holds a password), no query, no fragment.
  if (std::string problem = BaseUrlProblem(text); !problem.empty())
    throw ConfigError(name + ": " + problem);
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

std::string Arguments::SecureUrl(const std::string& name, const std::string& fallback) const {
  std::string text = String(name, fallback);
  // A base URL: no user information (never quoted: it holds a password), no query, no fragment.
  if (std::string problem = BaseUrlProblem(text); !problem.empty())
    throw ConfigError(name + ": " + problem);
  auto url = ParseUrl(text);
  if (!IsSecureOrLoopback(*url)) {
    throw ConfigError(
        name + ": '" + DisplayUrl(text) +
        "' must use https (plain http is only allowed for a loopback host such as 127.0.0.1)");
  }
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

std::vector<std::string> Arguments::Asked() const { return {asked_.begin(), asked_.end()}; }

std::vector<std::string> Arguments::Unread() const {
  std::vector<std::string> unread;
  if (!object_.is_object()) return unread;
  for (const auto& item : object_.items()) {
    if (asked_.count(item.key()) == 0) unread.push_back(item.key());
  }
  return unread;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string ClosestName(const std::string& name, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const std::string& candidate : known) {
    const std::size_t distance = EditDistance(name, candidate);
    const std::size_t allowed =
        std::max<std::size_t>(2, std::max(name.size(), candidate.size()) / 3);
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::vector<std::string> UnknownArgumentWarnings(const Arguments& arguments) {
  std::vector<std::string> warnings;
  const std::vector<std::string> known = arguments.Asked();
  for (const std::string& name : arguments.Unread()) {
    // The name is quoted as the user typed it; a control character would break the log line.
    std::string shown;
    for (char c : name) shown += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    const std::string closest = ClosestName(name, known);
    if (!closest.empty()) {
      warnings.push_back("unknown argument '" + shown + "' is ignored; did you mean '" + closest +
                         "'?");
    } else {
      std::string list;
      for (const std::string& candidate : known) list += (list.empty() ? "" : ", ") + candidate;
      warnings.push_back("unknown argument '" + shown +
                         "' is ignored; this trigger's arguments are " + list);
    }
  }
  return warnings;
}

}  // namespace sekoia
