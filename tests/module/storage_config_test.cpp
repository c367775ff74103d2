#include "sekoia/storage_config.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "sekoia/errors.hpp"
#include "test_dir.hpp"

namespace sekoia {
namespace {

// The configuration directory of one test; the same names in the environment would be read too.
class StorageConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"FILE_BACKEND", "SUB_FOLDER", "AWS_BUCKET_NAME", "AWS_ACCESS_KEY_ID",
                             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
                             "AWS_S3_ENDPOINT_URL", "CA_CERT", "CLIENT_CERT", "CLIENT_KEY"})
      ::unsetenv(name);
  }
  void S3() {
    dir.Write("file_backend", "s3\n");  // any case, as the SDK's .upper()
    dir.Write("aws_bucket_name", "state");
    dir.Write("aws_access_key_id", "AKIAEXAMPLE\n");
    dir.Write("aws_secret_access_key", "SENTINEL-aws-secret-0b4e\n");
    dir.Write("aws_default_region", "eu-west-3");
  }
  std::string ErrorOf() {
    try {
      LoadStorageConfig(ConfigSource(dir.path()));
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "(no ConfigError)";
  }
  testing::TestDir dir;
};

TEST_F(StorageConfigTest, TheDataDirectoryUnlessFileBackendIsS3) {
  EXPECT_EQ(LoadStorageConfig(ConfigSource(dir.path())).backend, StorageBackend::kDirectory);
  dir.Write("file_backend", "local");
  EXPECT_EQ(LoadStorageConfig(ConfigSource(dir.path())).backend, StorageBackend::kDirectory);
}

TEST_F(StorageConfigTest, S3WithAwsRegionalEndpointByDefault) {
  S3();
  dir.Write("sub_folder", "/triggers/one/\n");
  const StorageConfig config = LoadStorageConfig(ConfigSource(dir.path()));
  ASSERT_EQ(config.backend, StorageBackend::kS3);
  EXPECT_EQ(config.s3.endpoint, "https://s3.eu-west-3.amazonaws.com");
  EXPECT_EQ(config.s3.bucket, "state");
  EXPECT_EQ(config.s3.prefix, "triggers/one");
  EXPECT_EQ(config.s3.access_key_id, "AKIAEXAMPLE");
  EXPECT_EQ(config.s3.secret_access_key, "SENTINEL-aws-secret-0b4e");
  EXPECT_EQ(config.s3.session_token, "");
}

TEST_F(StorageConfigTest, AnS3CompatibleEndpointAndTls) {
  S3();
  ::setenv("AWS_S3_ENDPOINT_URL", "https://minio.example:9000/", 1);
  dir.Write("aws_session_token", "FwoGZXIvYXdz\n");
  dir.Write("ca_cert", "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  dir.Write("client_cert", "-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----\n");
  StorageConfig config = LoadStorageConfig(ConfigSource(dir.path()));
  ::unsetenv("AWS_S3_ENDPOINT_URL");
  EXPECT_EQ(config.s3.endpoint, "https://minio.example:9000");
  EXPECT_EQ(config.s3.session_token, "FwoGZXIvYXdz");
  EXPECT_EQ(config.s3.ca_cert, "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(config.s3.client_cert, "");  // as the SDK: only with client_key
  dir.Write("client_key", "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n");
  config = LoadStorageConfig(ConfigSource(dir.path()));
  EXPECT_EQ(config.s3.client_cert, "-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(config.s3.client_key, "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n");
}

TEST_F(StorageConfigTest, EachMissingValueIsNamed) {
  for (const char* name :
       {"aws_bucket_name", "aws_access_key_id", "aws_secret_access_key", "aws_default_region"}) {
    S3();
    std::filesystem::remove(dir.path() / name);
    const std::string error = ErrorOf();
    EXPECT_EQ(error.rfind(std::string(name) + ": missing; file_backend is S3", 0), 0u) << error;
  }
}

TEST_F(StorageConfigTest, BadValuesAreRefusedWithoutQuotingSecrets) {
  S3();
  dir.Write("aws_s3_endpoint_url", "https://AKIA:SENTINEL-aws-secret-0b4e@minio.example");
  std::string error = ErrorOf();
  EXPECT_EQ(error.rfind("aws_s3_endpoint_url: holds user information", 0), 0u) << error;
  EXPECT_EQ(error.find("SENTINEL"), std::string::npos) << error;
  dir.Write("aws_s3_endpoint_url", "minio:9000");
  EXPECT_EQ(ErrorOf().rfind("aws_s3_endpoint_url: is not an absolute http(s) URL", 0), 0u);
  std::filesystem::remove(dir.path() / "aws_s3_endpoint_url");
  dir.Write("aws_bucket_name", "s3://state/folder");
  EXPECT_EQ(ErrorOf().rfind("aws_bucket_name: not a bucket name", 0), 0u);
  S3();
  dir.Write("aws_secret_access_key", "SENTINEL aws secret");
  error = ErrorOf();
  EXPECT_EQ(error.rfind("aws_secret_access_key: holds a space", 0), 0u) << error;
  EXPECT_EQ(error.find("SENTINEL"), std::string::npos) << error;
  S3();
  dir.Write("aws_default_region", "eu-west-3:s3");  // would change libcurl's signing parameter
  EXPECT_EQ(ErrorOf().rfind("aws_default_region: not a region name", 0), 0u);
}

}  // namespace
}  // namespace sekoia
