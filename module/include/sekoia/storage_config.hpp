#pragma once

#include <string>

#include "sekoia/config.hpp"
#include "sekoia/s3_object_store.hpp"

namespace sekoia {

enum class StorageBackend { kDirectory, kS3 };

/** Where the trigger keeps its state, as the SDK's storage module chooses it (`file_backend`). */
struct StorageConfig final {
  StorageBackend backend = StorageBackend::kDirectory;  ///< kS3 when file_backend is "S3", any case
  S3Options s3;                                         ///< with kS3 only
};

/**
 * Reads `file_backend`, and with S3 `aws_bucket_name`, `aws_access_key_id`,
 * `aws_secret_access_key`, `aws_session_token` (optional), `aws_default_region`,
 * `aws_s3_endpoint_url` (absent: AWS's regional endpoint), `sub_folder`, `ca_cert`,
 * `client_cert` and `client_key` (PEM; the client certificate only when both are set).
 * Throws ConfigError "<name>: <what is wrong>; <fix>" without quoting a secret.
 */
StorageConfig LoadStorageConfig(const ConfigSource& source);

/** The configuration names holding storage secrets, to register before anything is logged. */
inline constexpr const char* kStorageSecretNames[] = {"aws_secret_access_key", "aws_session_token",
                                                      "client_key"};

}  // namespace sekoia
