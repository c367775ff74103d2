// S3ObjectStore over libcurl: SigV4 signing is libcurl's (CURLOPT_AWS_SIGV4, 7.75+).
#include <curl/curl.h>

#include <mutex>

#include "sekoia/errors.hpp"
#include "sekoia/s3_object_store.hpp"

namespace sekoia {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string body;
  std::size_t limit = 0;
  bool too_long = false;
};

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t length = size * count;
  if (sink->body.size() + length > sink->limit) {
    sink->too_long = true;
    return 0;  // ends the transfer with CURLE_WRITE_ERROR
  }
  sink->body.append(data, length);
  return length;
}

bool IsTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

// A blob option that libcurl copies (CURL_BLOB_COPY), so the PEM need not outlive the call.
void SetBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{};
  blob.data = const_cast<char*>(pem.data());
  blob.len = pem.size();
  blob.flags = CURL_BLOB_COPY;
  curl_easy_setopt(curl, option, &blob);
}

}  // namespace

struct S3ObjectStore::Answer {
  int status = 0;
  std::string body;
};

struct S3ObjectStore::Connection {
  CURL* curl = nullptr;
  ~Connection() {
    if (curl) curl_easy_cleanup(curl);
  }
};

S3ObjectStore::S3ObjectStore(S3Options options)
    : options_(std::move(options)), connection_(new Connection) {
  GlobalInit();
  // One handle for every request: its connection (and TLS session) is reused.
  connection_->curl = curl_easy_init();
  if (!connection_->curl)
    throw StorageError("object storage: libcurl could not start (out of memory?)");
}

S3ObjectStore::~S3ObjectStore() = default;

S3ObjectStore::Answer S3ObjectStore::Send(const std::string& method, const std::string& url,
                                          std::string_view body, const std::string& action) {
  CURL* curl = connection_->curl;
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION,
                   0L);  // a redirect is an answer (wrong region), never followed
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS,
                   1L);  // the key is signed as sent: no dot-segment folding
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_cert.empty()) SetBlob(curl, CURLOPT_CAINFO_BLOB, options_.ca_cert);
  if (!options_.client_cert.empty() && !options_.client_key.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, options_.client_cert);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, options_.client_key);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_object_bytes));
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, s3::SigV4Parameter(options_).c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, options_.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.secret_access_key.c_str());

  curl_slist* headers = nullptr;
  for (const std::string& header : s3::SignedHeaders(options_, body))
    headers = curl_slist_append(headers, header.c_str());
  // No "Expect:" to turn off 100-continue: libcurl 7.88 would sign that empty header too, and
  // the server, never receiving it, would refuse the signature.
  if (method == "PUT") {
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
    // The body as POSTFIELDS: libcurl 7.88 hashes it into the signature, equal to the header.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  Sink sink;
  sink.limit = options_.max_object_bytes;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (sink.too_long || code == CURLE_FILESIZE_EXCEEDED) {
    throw StorageError("object storage " + s3::Authority(options_.endpoint) + ": the answer when " +
                       action + " is longer than " +
                       std::to_string(options_.max_object_bytes >> 20) +
                       " MiB; refused (is aws_s3_endpoint_url an S3 API?)");
  }
  if (code != CURLE_OK) {
    std::string reason = error[0] != '\0' ? error : curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT)
      reason = "no answer within " + std::to_string(options_.timeout.count()) + " s";
    throw StorageError(s3::DescribeUnreachable(options_, action, reason, IsTlsError(code)));
  }
  return Answer{static_cast<int>(status), std::move(sink.body)};
}

void S3ObjectStore::CheckBucket() {
  const std::string action = "checking bucket " + options_.bucket;
  Answer answer = Send("GET", s3::BucketCheckUrl(options_), "", action);
  if (answer.status != 200)
    throw StorageError(s3::DescribeFailure(options_, action, answer.status, answer.body));
}

std::optional<std::string> S3ObjectStore::Read(const std::string& name) {
  const std::string action = "reading " + Where(name);
  Answer answer = Send("GET", s3::ObjectUrl(options_, name), "", action);
  if (answer.status == 200) return std::move(answer.body);
  // A missing object is no object; a missing bucket, or a 404 that is not S3's, is an error.
  if (answer.status == 404 && s3::ErrorCode(answer.body) == "NoSuchKey") return std::nullopt;
  throw StorageError(s3::DescribeFailure(options_, action, answer.status, answer.body));
}

void S3ObjectStore::Write(const std::string& name, std::string_view content) {
  const std::string action = "writing " + Where(name);
  Answer answer = Send("PUT", s3::ObjectUrl(options_, name), content, action);
  // A PUT replaces the object whole or not at all; only a 200 says it is stored.
  if (answer.status != 200)
    throw StorageError(s3::DescribeFailure(options_, action, answer.status, answer.body));
}

bool S3ObjectStore::Append(const std::string&, std::string_view) { return false; }

std::string S3ObjectStore::Where(const std::string& name) const {
  return "s3://" + options_.bucket + "/" + s3::ObjectKey(options_, name);
}

}  // namespace sekoia
