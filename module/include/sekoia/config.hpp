#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sekoia {

/**
 * The platform's configuration values as the SDK reads them (FileSystemConfiguration.load): the
 * file `<dir>/<name>` as it is, else the environment variable `<NAME>` when not empty, else
 * missing. Any name can be read (`file_backend`, `aws_*`, `ca_cert`, `client_cert`, ...).
 */
class ConfigSource final {
 public:
  explicit ConfigSource(std::filesystem::path dir) : dir_(std::move(dir)) {}
  /** The text, verbatim; throws ConfigError when the file exists but cannot be read. */
  std::optional<std::string> Get(const std::string& name) const;
  /** The value parsed as JSON; from the environment it may also be the base64 of the JSON (the
   *  SDK's json_load). Throws ConfigError naming the value when it does not parse. */
  std::optional<nlohmann::json> GetJson(const std::string& name) const;

 private:
  struct Found {
    std::string text;
    bool from_environment = false;
  };
  std::optional<Found> Lookup(const std::string& name) const;
  std::filesystem::path dir_;
};

/** Where the trigger's files live, as the SDK's get_data_path: `root`, then `sub_folder`
 *  appended when it is set and not empty. */
std::filesystem::path DataPath(const ConfigSource& source, const std::filesystem::path& root);

/** Decodes standard base64 (characters outside the alphabet skipped, as Python's b64decode);
 *  nullopt when the padding is wrong. */
std::optional<std::string> DecodeBase64(const std::string& text);

/** Module-level values of the protocol. */
struct ModuleConfig final {
  std::string token;  ///< Bearer token for platform calls; secret
  std::string url_callback;
  std::string url_logs;    ///< derived from url_callback when absent
  std::string intake_url;  ///< intake base when the trigger has no intake_server
  int liveness_port = 8000;
  int metrics_port = 8020;
};

/** Reads the module values; throws ConfigError on an invalid port. */
ModuleConfig LoadModuleConfig(const ConfigSource& source);

/** `connector_configuration`, else `trigger_configuration`; throws ConfigError when neither
 *  holds a JSON object. */
nlohmann::json LoadTriggerArguments(const ConfigSource& source);

/**
 * Typed, validated access to a trigger's arguments. Every error is a ConfigError of the form
 * "<argument>: <what is wrong>; <how to fix>".
 */
class Arguments final {
 public:
  explicit Arguments(nlohmann::json object) : object_(std::move(object)) {}
  bool Has(const std::string& name) const;
  std::string RequiredString(const std::string& name) const;
  std::string String(const std::string& name, const std::string& fallback) const;
  /** An integer in [min, max]; JSON numbers with no fraction and numeric strings are accepted. */
  std::int64_t Integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) const;
  /** A duration given in minutes, decimals allowed (numbers or numeric strings), in [min, max]
   *  minutes; returned to the second. */
  std::chrono::seconds Minutes(const std::string& name, double fallback, double min,
                               double max) const;
  /** An absolute http or https URL (an in-cluster intake is plain http, as the SDK allows);
   *  the trailing '/' removed. */
  std::string HttpUrl(const std::string& name, const std::string& fallback) const;
  /** A URL that is https, or http on a loopback host; the trailing '/' removed. */
  std::string SecureUrl(const std::string& name, const std::string& fallback) const;

  /** The arguments as given. */
  const nlohmann::json& object() const { return object_; }
  /** Every name an accessor above was asked for, given or not, sorted: once a loader ran, the
   *  names the trigger knows. */
  std::vector<std::string> Asked() const;
  /** The names given that no accessor was asked for, in the object's order: once a loader ran,
   *  the arguments the trigger ignores. */
  std::vector<std::string> Unread() const;

 private:
  const nlohmann::json* Find(const std::string& name) const;
  nlohmann::json object_;
  mutable std::set<std::string> asked_;
};

/** Levenshtein distance between `a` and `b`, ignoring ASCII case. */
std::size_t EditDistance(std::string_view a, std::string_view b);

/** The name of `known` nearest to `name` by EditDistance when it is near enough to be a typo of
 *  it (at most a third of the longer name's length, and at least 2 edits allowed); "" when none
 *  is. On a tie, the first in `known`. */
std::string ClosestName(const std::string& name, const std::vector<std::string>& known);

/** After a loader ran on `arguments`: one warning per argument it did not read, "unknown
 *  argument 'X' is ignored; did you mean 'Y'?" (ClosestName of the names it asked for), else
 *  listing the names it knows. */
std::vector<std::string> UnknownArgumentWarnings(const Arguments& arguments);

}  // namespace sekoia
