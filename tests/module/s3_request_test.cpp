// The text parts of S3ObjectStore: URLs, signed headers, error messages. The requests themselves
// run against a real S3 server in the integration tests (object_storage_test.cpp).
#include <gtest/gtest.h>

#include "sekoia/s3_object_store.hpp"

namespace sekoia {
namespace {

S3Options Options() {
  S3Options options;
  options.endpoint = "https://s3.eu-west-3.amazonaws.com";
  options.bucket = "sekoia-state";
  options.prefix = "trigger 7/é";
  options.region = "eu-west-3";
  options.access_key_id = "AKIAEXAMPLE";
  options.secret_access_key = "SENTINEL-aws-secret-0b4e";
  return options;
}

TEST(S3Request, Sha256OfTheBody) {
  EXPECT_EQ(s3::Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s3::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(S3Request, PathStyleUrlsEncodeEachSegmentOnce) {
  S3Options options = Options();
  EXPECT_EQ(s3::ObjectKey(options, "context.json"), "trigger 7/é/context.json");
  EXPECT_EQ(s3::ObjectUrl(options, "context.json"),
            "https://s3.eu-west-3.amazonaws.com/sekoia-state/trigger%207/%C3%A9/context.json");
  options.prefix.clear();
  EXPECT_EQ(s3::ObjectUrl(options, "forwarded_keys.txt"),
            "https://s3.eu-west-3.amazonaws.com/sekoia-state/forwarded_keys.txt");
  EXPECT_EQ(s3::BucketCheckUrl(options),
            "https://s3.eu-west-3.amazonaws.com/sekoia-state?list-type=2&max-keys=0");
}

TEST(S3Request, SigningInputs) {
  S3Options options = Options();
  EXPECT_EQ(s3::SigV4Parameter(options), "aws:amz:eu-west-3:s3");
  EXPECT_EQ(
      s3::SignedHeaders(options, ""),
      std::vector<std::string>{"x-amz-content-sha256: "
                               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"});
  options.session_token = "FwoGZXIvYXdzEXAMPLE";
  EXPECT_EQ(
      s3::SignedHeaders(options, "abc"),
      (std::vector<std::string>{
          "x-amz-content-sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
          "x-amz-security-token: FwoGZXIvYXdzEXAMPLE"}));
}

TEST(S3Request, AuthorityAlwaysGivesThePort) {
  EXPECT_EQ(s3::Authority("https://s3.eu-west-3.amazonaws.com"), "s3.eu-west-3.amazonaws.com:443");
  EXPECT_EQ(s3::Authority("http://127.0.0.1:4568"), "127.0.0.1:4568");
  EXPECT_EQ(s3::Authority("https://[::1]:9000"), "[::1]:9000");
}

std::string ErrorBody(const std::string& code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
         "</Code><Message>Some text</Message><RequestId>1</RequestId></Error>";
}

TEST(S3Request, RefusedCredentialsNameTheSettingAndTheFix) {
  S3Options options = Options();
  options.endpoint = "http://127.0.0.1:4568";
  EXPECT_EQ(s3::DescribeFailure(options, "checking bucket sekoia-state", 403,
                                ErrorBody("InvalidAccessKeyId")),
            "object storage 127.0.0.1:4568: access key id refused (InvalidAccessKeyId) when "
            "checking bucket "
            "sekoia-state: check aws_access_key_id/aws_secret_access_key");
  const std::string signature =
      s3::DescribeFailure(options, "writing x", 403, ErrorBody("SignatureDoesNotMatch"));
  EXPECT_NE(signature.find("(SignatureDoesNotMatch)"), std::string::npos) << signature;
  EXPECT_NE(signature.find("check aws_secret_access_key"), std::string::npos) << signature;
  EXPECT_NE(s3::DescribeFailure(options, "reading x", 400, ErrorBody("ExpiredToken"))
                .find("check aws_session_token"),
            std::string::npos);
  EXPECT_EQ(
      s3::DescribeFailure(options, "checking bucket sekoia-state", 404, ErrorBody("NoSuchBucket")),
      "object storage 127.0.0.1:4568: bucket sekoia-state does not exist (NoSuchBucket) when "
      "checking bucket "
      "sekoia-state: create it, or correct aws_bucket_name");
  const std::string denied =
      s3::DescribeFailure(options, "writing x", 403, ErrorBody("AccessDenied"));
  EXPECT_NE(denied.find("access denied to bucket sekoia-state (AccessDenied)"), std::string::npos)
      << denied;
  EXPECT_NE(denied.find("under trigger 7/é/"), std::string::npos) << denied;
  EXPECT_NE(
      s3::DescribeFailure(options, "reading x", 400, ErrorBody("AuthorizationHeaderMalformed"))
          .find("check aws_default_region"),
      std::string::npos);
  EXPECT_NE(s3::DescribeFailure(options, "reading x", 301, "").find("(HTTP 301)"),
            std::string::npos);
  for (int status : {401, 403, 404, 500}) {
    EXPECT_EQ(s3::DescribeFailure(options, "reading x", status, ErrorBody("X"))
                  .find(options.secret_access_key),
              std::string::npos);
  }
}

TEST(S3Request, OtherAnswersAreDescribedWithoutTrustingTheirText) {
  S3Options options = Options();
  EXPECT_NE(s3::DescribeFailure(options, "writing x", 503, ErrorBody("SlowDown"))
                .find("the store failed (SlowDown)"),
            std::string::npos);
  // An answer that is not S3's: its status, no code.
  const std::string html = s3::DescribeFailure(options, "reading x", 404, "<html>Not Found</html>");
  EXPECT_NE(html.find("unexpected answer (HTTP 404) when reading x"), std::string::npos) << html;
  EXPECT_NE(html.find("check aws_s3_endpoint_url"), std::string::npos) << html;
  // A code with control characters cannot break the log line.
  EXPECT_EQ(s3::ErrorCode("<Code>Bad\nCode\x1b[31m</Code>"), "Bad?Code?[31m");
  EXPECT_EQ(s3::ErrorCode("no xml"), "");
}

TEST(S3Request, UnreachableSaysWhichSettingToCheck) {
  S3Options options = Options();
  EXPECT_EQ(
      s3::DescribeUnreachable(options, "checking bucket sekoia-state", "Connection refused", false),
      "object storage s3.eu-west-3.amazonaws.com:443: unreachable when checking bucket "
      "sekoia-state "
      "(Connection refused): check aws_s3_endpoint_url and that the store is up and reachable from "
      "here");
  EXPECT_NE(s3::DescribeUnreachable(options, "reading x", "SSL certificate problem", true)
                .find("check ca_cert"),
            std::string::npos);
}

}  // namespace
}  // namespace sekoia
