#include "sekoia/storage_config.hpp"

#include <algorithm>
#include <cctype>

#include "sekoia/errors.hpp"
#include "sekoia/url.hpp"

namespace sekoia {
namespace {

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return text;
}

// A one-line value: the final newline of a file written with `echo` is not part of it.
std::string Line(const ConfigSource& source, const std::string& name) {
  std::string value = source.Get(name).value_or("");
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

std::string Required(const ConfigSource& source, const std::string& name, const std::string& what) {
  std::string value = Line(source, name);
  if (value.empty()) {
    throw ConfigError(name + ": missing; file_backend is S3, so give " + what + " (the file " +
                      name + " in the configuration directory, or the environment variable " +
                      Upper(name) + ")");
  }
  return value;
}

// Printable ASCII without spaces: what goes into a signature, a header or a URL.
bool IsToken(const std::string& value) {
  return std::all_of(value.begin(), value.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

StorageConfig LoadStorageConfig(const ConfigSource& source) {
  StorageConfig config;
  std::string backend = Line(source, "file_backend");
  backend.erase(0, backend.find_first_not_of(" \t"));
  backend.erase(backend.find_last_not_of(" \t") + 1);
  if (Upper(backend) != "S3") return config;  // as the SDK: anything else is the local directory
  config.backend = StorageBackend::kS3;
  S3Options& s3 = config.s3;

  s3.bucket = Required(source, "aws_bucket_name", "the bucket that holds the checkpoint");
  if (s3.bucket.size() > 255 ||
      !std::all_of(s3.bucket.begin(), s3.bucket.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-' || c == '_';
      })) {
    throw ConfigError(
        "aws_bucket_name: not a bucket name; give the bucket's name alone (letters, digits, '.', "
        "'-', '_'), without s3:// or a path (a folder inside it is sub_folder)");
  }
  s3.access_key_id = Required(source, "aws_access_key_id", "the object storage's access key id");
  if (!IsToken(s3.access_key_id)) {
    throw ConfigError(
        "aws_access_key_id: holds a space or a control character; give the access key id alone");
  }
  s3.secret_access_key =
      Required(source, "aws_secret_access_key", "the secret of aws_access_key_id");
  if (!IsToken(s3.secret_access_key)) {
    throw ConfigError(
        "aws_secret_access_key: holds a space or a control character; give the secret alone");
  }
  s3.session_token = Line(source, "aws_session_token");
  if (!IsToken(s3.session_token)) {
    throw ConfigError(
        "aws_session_token: holds a space or a control character; give the token alone, or "
        "nothing");
  }
  s3.region =
      Required(source, "aws_default_region", "the bucket's region (eu-west-3, us-east-1, ...)");
  if (!std::all_of(s3.region.begin(), s3.region.end(),
                   [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; })) {
    throw ConfigError("aws_default_region: not a region name; give one such as eu-west-3");
  }

  std::string endpoint = Line(source, "aws_s3_endpoint_url");
  if (endpoint.empty()) endpoint = "https://s3." + s3.region + ".amazonaws.com";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (const std::string problem = BaseUrlProblem(endpoint); !problem.empty()) {
    throw ConfigError("aws_s3_endpoint_url: " + problem +
                      "; give the store's URL, such as https://s3.eu-west-3.amazonaws.com or "
                      "https://minio.example:9000");
  }
  s3.endpoint = endpoint;

  // sub_folder as a key prefix: S3 keys have no leading '/', and "a//b" would be another key.
  std::string prefix = source.Get("sub_folder").value_or("");
  while (!prefix.empty() &&
         (prefix.back() == '\n' || prefix.back() == '\r' || prefix.back() == '/'))
    prefix.pop_back();
  prefix.erase(0, prefix.find_first_not_of('/'));
  if (!std::all_of(prefix.begin(), prefix.end(),
                   [](unsigned char c) { return c >= 0x20 && c != 0x7f; })) {
    throw ConfigError("sub_folder: holds a control character; give the folder's name alone");
  }
  s3.prefix = prefix;

  // PEM texts as the SDK writes them to its files: verbatim.
  s3.ca_cert = source.Get("ca_cert").value_or("");
  s3.client_cert = source.Get("client_cert").value_or("");
  s3.client_key = source.Get("client_key").value_or("");
  if (s3.client_cert.empty() || s3.client_key.empty()) {
    s3.client_cert.clear();  // as the SDK: a client certificate only with both
    s3.client_key.clear();
  }
  return config;
}

}  // namespace sekoia
