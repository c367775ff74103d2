// The parts of S3ObjectStore that are text only: URLs, signed headers, what an answer means.
#include <openssl/evp.h>

#include <cstdio>

#include "sekoia/s3_object_store.hpp"
#include "sekoia/url.hpp"

namespace sekoia::s3 {
namespace {

// RFC 3986 unreserved characters kept, everything else as %XX: the encoding SigV4 expects for
// each segment of an S3 key (its '/' are kept as separators).
std::string EncodeSegment(std::string_view segment) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string EncodePath(const std::string& key) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = key.find('/', start);
    out += EncodeSegment(std::string_view(key).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

// Text from the store's answer, fit for one log line: printable ASCII, at most `limit` chars.
std::string Printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= limit) break;
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

std::string Element(const std::string& body, const std::string& name) {
  const std::string open = "<" + name + ">";
  const std::size_t start = body.find(open);
  if (start == std::string::npos) return "";
  const std::size_t from = start + open.size();
  const std::size_t end = body.find("</" + name + ">", from);
  if (end == std::string::npos) return "";
  return Printable(std::string_view(body).substr(from, end - from), 120);
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string ObjectKey(const S3Options& options, const std::string& name) {
  return options.prefix.empty() ? name : options.prefix + "/" + name;
}

std::string ObjectUrl(const S3Options& options, const std::string& name) {
  return options.endpoint + "/" + EncodeSegment(options.bucket) + "/" +
         EncodePath(ObjectKey(options, name));
}

std::string BucketCheckUrl(const S3Options& options) {
  // Parameters in SigV4's canonical (sorted) order: libcurl 7.88 signs the query as it is. No
  // key is needed, only the answer's status and code (s3rver even fails a truncated listing).
  return options.endpoint + "/" + EncodeSegment(options.bucket) + "?list-type=2&max-keys=0";
}

std::string SigV4Parameter(const S3Options& options) { return "aws:amz:" + options.region + ":s3"; }

std::vector<std::string> SignedHeaders(const S3Options& options, std::string_view body) {
  // libcurl 7.88 neither adds x-amz-content-sha256 for S3 nor signs without it; it signs the
  // headers given here along with the rest.
  std::vector<std::string> headers = {"x-amz-content-sha256: " + Sha256Hex(body)};
  if (!options.session_token.empty())
    headers.push_back("x-amz-security-token: " + options.session_token);
  return headers;
}

std::string Authority(const std::string& endpoint) {
  const auto url = ParseUrl(endpoint);
  if (!url) return Printable(endpoint, 80);
  const std::string host =
      url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  return host + ":" + std::to_string(url->port);
}

std::string ErrorCode(const std::string& body) { return Element(body, "Code"); }

std::string DescribeFailure(const S3Options& options, const std::string& action, int status,
                            const std::string& body) {
  const bool has_code = !ErrorCode(body).empty();
  const std::string code = has_code ? ErrorCode(body) : "HTTP " + std::to_string(status);
  const std::string bucket = options.bucket;
  std::string what;
  std::string fix;
  if (code == "InvalidAccessKeyId") {
    what = "access key id refused";
    fix = "check aws_access_key_id/aws_secret_access_key";
  } else if (code == "SignatureDoesNotMatch") {
    what = "signature refused";
    fix =
        "check aws_secret_access_key (it must be the secret of aws_access_key_id) and "
        "aws_default_region";
  } else if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired") {
    what = "session token refused";
    fix =
        "check aws_session_token (a temporary one expires; give a fresh one with its key id and "
        "secret)";
  } else if (code == "NoSuchBucket") {
    what = "bucket " + bucket + " does not exist";
    fix = "create it, or correct aws_bucket_name";
  } else if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect" ||
             code == "IllegalLocationConstraintException" || status == 301) {
    what = "the bucket is not in this region";
    fix = "check aws_default_region (and aws_s3_endpoint_url)";
  } else if (code == "AccessDenied" || code == "AllAccessDisabled" || status == 403) {
    what = "access denied to bucket " + bucket;
    fix = "give these credentials the rights to list the bucket and read and write objects under " +
          (options.prefix.empty() ? std::string("it") : options.prefix + "/");
  } else if (status >= 500 || status == 429 || code == "SlowDown") {
    what = "the store failed";
    fix = "a passing failure: it is tried again";
  } else {
    what = has_code ? "unexpected answer HTTP " + std::to_string(status) : "unexpected answer";
    const std::string message = Element(body, "Message");
    fix = message.empty() ? "check aws_s3_endpoint_url (is it an S3 API?)" : message;
  }
  return "object storage " + Authority(options.endpoint) + ": " + what + " (" + code + ") when " +
         action + ": " + fix;
}

std::string DescribeUnreachable(const S3Options& options, const std::string& action,
                                const std::string& reason, bool tls) {
  const std::string store = "object storage " + Authority(options.endpoint);
  if (tls) {
    return store + ": TLS failed when " + action + " (" + Printable(reason, 200) +
           "): check ca_cert (the PEM of the CA that signed the store's certificate) and "
           "client_cert/client_key";
  }
  return store + ": unreachable when " + action + " (" + Printable(reason, 200) +
         "): check aws_s3_endpoint_url and that the store is up and reachable from here";
}

}  // namespace sekoia::s3
