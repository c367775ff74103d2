#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sekoia/object_store.hpp"

namespace sekoia {

/** An S3 bucket (AWS, MinIO, any S3-compatible store) as the SDK's `file_backend` S3 uses it. */
struct S3Options final {
  std::string
      endpoint;  ///< `scheme://host[:port]`, no final '/'; AWS: https://s3.<region>.amazonaws.com
  std::string bucket;         ///< aws_bucket_name
  std::string prefix;         ///< sub_folder without leading or final '/'; "" for the bucket's root
  std::string region;         ///< aws_default_region, signs the requests (SigV4)
  std::string access_key_id;  ///< aws_access_key_id
  std::string secret_access_key;  ///< aws_secret_access_key; secret
  std::string session_token;      ///< aws_session_token, "" for none; secret
  std::string ca_cert;            ///< PEM of the CAs to trust, "" for the system's
  std::string client_cert;        ///< PEM; used only with client_key
  std::string client_key;         ///< PEM; secret
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{30};           ///< a whole request; bounds the save at SIGTERM too
  std::size_t max_object_bytes = 128u << 20;  ///< a longer answer is refused, not read
};

namespace s3 {

/** Lower-case hex SHA-256 of `data` (the `x-amz-content-sha256` header's value). */
std::string Sha256Hex(std::string_view data);
/** The object's key in the bucket: `<prefix>/<name>`, or `<name>` without a prefix. */
std::string ObjectKey(const S3Options& options, const std::string& name);
/** Path-style URL `<endpoint>/<bucket>/<key>`, each path segment percent-encoded once (as SigV4's
 *  canonical URI for S3 wants it). */
std::string ObjectUrl(const S3Options& options, const std::string& name);
/** The start check's URL: a ListObjectsV2 of no key, answered with an error code when refused (a
 *  HEAD answer has no body to say which credential is wrong). */
std::string BucketCheckUrl(const S3Options& options);
/** libcurl's CURLOPT_AWS_SIGV4 parameter: `aws:amz:<region>:s3`. */
std::string SigV4Parameter(const S3Options& options);
/** The headers to sign with the request, besides those libcurl adds (Host, x-amz-date,
 *  Authorization): `x-amz-content-sha256`, and `x-amz-security-token` with a session token. */
std::vector<std::string> SignedHeaders(const S3Options& options, std::string_view body);
/** `host:port` of the endpoint, the port always given. */
std::string Authority(const std::string& endpoint);
/** The `<Code>` of an S3 XML error document, "" when there is none (printable ASCII, cut). */
std::string ErrorCode(const std::string& body);
/**
 * What an answer other than success means, as one line naming the store, the setting to check
 * and the fix: `object storage <host:port>: <what> (<Code>) <action>: <fix>`. `action` says what
 * was being done ("writing bucket/key"). Never quotes a credential.
 */
std::string DescribeFailure(const S3Options& options, const std::string& action, int status,
                            const std::string& body);
/** The same when no answer came: `tls` when the TLS handshake or the certificate check failed. */
std::string DescribeUnreachable(const S3Options& options, const std::string& action,
                                const std::string& reason, bool tls);

}  // namespace s3

/**
 * Objects in an S3 bucket under the prefix, as whole-object GETs and PUTs signed with SigV4
 * (libcurl), TLS verified (1.2 or later), no redirect followed, answers bounded. Cannot append.
 * Every failure is a StorageError from s3::DescribeFailure / DescribeUnreachable.
 * Not thread-safe.
 */
class S3ObjectStore final : public ObjectStore {
 public:
  explicit S3ObjectStore(S3Options options);
  ~S3ObjectStore() override;
  /** Checks that the bucket exists and the credentials are accepted (as the SDK does at start);
   *  throws StorageError saying what to fix. */
  void CheckBucket();
  std::optional<std::string> Read(const std::string& name) override;
  void Write(const std::string& name, std::string_view content) override;
  bool Append(const std::string& name, std::string_view content) override;
  std::string Where(const std::string& name) const override;

 private:
  struct Answer;
  struct Connection;
  Answer Send(const std::string& method, const std::string& url, std::string_view body,
              const std::string& action);
  S3Options options_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace sekoia
