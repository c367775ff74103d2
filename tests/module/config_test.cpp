#include "sekoia/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "sekoia/errors.hpp"
#include "test_dir.hpp"

namespace sekoia {
namespace {

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ConfigSource, FileWinsOverEnvironment) {
  testing::TestDir dir;
  dir.Write("token", "from-file\n");
  ::setenv("TOKEN", "from-env", 1);
  ::setenv("URL_LOGS", "http://127.0.0.1:1/logs", 1);
  ConfigSource source(dir.path());
  EXPECT_EQ(source.Get("token"), "from-file\n");  // verbatim, as the SDK reads it
  EXPECT_EQ(source.Get("url_logs"), "http://127.0.0.1:1/logs");
  EXPECT_FALSE(source.Get("nothing_like_this"));
  ::unsetenv("TOKEN");
  ::unsetenv("URL_LOGS");
}

TEST(ConfigSource, AnEmptyVariableIsMissing) {
  testing::TestDir dir;
  ::setenv("SUB_FOLDER", "", 1);
  ::setenv("TRIGGER_CONFIGURATION", "", 1);
  ConfigSource source(dir.path());
  EXPECT_FALSE(source.Get("sub_folder"));
  EXPECT_FALSE(source.GetJson("trigger_configuration"));
  EXPECT_EQ(DataPath(source, "/symphony_data"), "/symphony_data");
  ::unsetenv("SUB_FOLDER");
  ::unsetenv("TRIGGER_CONFIGURATION");
}

TEST(ConfigSource, AnEmptyFileIsAValue) {
  testing::TestDir dir;
  dir.Write("url_logs", "");
  ::setenv("URL_LOGS", "http://127.0.0.1:1/logs", 1);
  EXPECT_EQ(ConfigSource(dir.path()).Get("url_logs"), "");
  ::unsetenv("URL_LOGS");
}

TEST(ConfigSource, AVariableMayHoldTheBase64OfTheJson) {
  testing::TestDir dir;
  // base64 of {"intake_key": "k", "frequency": 10}
  ::setenv("TRIGGER_CONFIGURATION", "eyJpbnRha2Vfa2V5IjogImsiLCAiZnJlcXVlbmN5IjogMTB9", 1);
  ::setenv("MODULE_CONFIGURATION", R"({"a": true})", 1);
  ConfigSource source(dir.path());
  EXPECT_EQ(LoadTriggerArguments(source), (nlohmann::json{{"intake_key", "k"}, {"frequency", 10}}));
  EXPECT_EQ(source.GetJson("module_configuration"), (nlohmann::json{{"a", true}}));
  ::setenv("TRIGGER_CONFIGURATION", "bm90IGpzb24=", 1);  // base64 of "not json"
  EXPECT_NE(
      ErrorOf([&] { LoadTriggerArguments(source); }).find("trigger_configuration: not valid JSON"),
      std::string::npos);
  ::unsetenv("TRIGGER_CONFIGURATION");
  ::unsetenv("MODULE_CONFIGURATION");
}

TEST(ConfigSource, AFileIsJsonOnlyNotBase64) {
  testing::TestDir dir;
  dir.Write("trigger_configuration", "eyJhIjogMX0=");  // base64 of {"a": 1}
  EXPECT_NE(ErrorOf([&] { LoadTriggerArguments(ConfigSource(dir.path())); }).find("not valid JSON"),
            std::string::npos);
}

TEST(DecodeBase64, DecodesPaddedAndSkipsForeignCharacters) {
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(DecodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(DecodeBase64("aGk="), "hi");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("aGVsbG8"));  // Python: Incorrect padding
  EXPECT_FALSE(DecodeBase64("a"));
}

TEST(DataPath, AppendsTheSubFolder) {
  testing::TestDir dir;
  ConfigSource source(dir.path());
  EXPECT_EQ(DataPath(source, "/symphony_data"), "/symphony_data");
  dir.Write("sub_folder", "tenant-a");
  EXPECT_EQ(DataPath(source, "/symphony_data"), "/symphony_data/tenant-a");
  dir.Write("sub_folder", "");
  EXPECT_EQ(DataPath(source, "/symphony_data"), "/symphony_data");
}

TEST(ConfigSource, ReadsTheObjectStorageValues) {
  testing::TestDir dir;
  dir.Write("file_backend", "s3");
  dir.Write("ca_cert", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  ::setenv("AWS_BUCKET_NAME", "bucket", 1);
  ::setenv("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:4569", 1);
  ConfigSource source(dir.path());
  EXPECT_EQ(source.Get("file_backend"), "s3");
  EXPECT_EQ(source.Get("ca_cert"),
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(source.Get("aws_bucket_name"), "bucket");
  EXPECT_EQ(source.Get("aws_s3_endpoint_url"), "http://127.0.0.1:4569");
  EXPECT_FALSE(source.Get("aws_session_token"));
  EXPECT_FALSE(source.Get("client_cert"));
  EXPECT_FALSE(source.Get("client_key"));
  ::unsetenv("AWS_BUCKET_NAME");
  ::unsetenv("AWS_S3_ENDPOINT_URL");
}

TEST(ConfigSource, ModuleValuesToleratesATrailingNewline) {
  testing::TestDir dir;
  dir.Write("token", "abcd-token\n");
  dir.Write("liveness_port", "9001\n");  // Python's int() ignores it too
  ModuleConfig config = LoadModuleConfig(ConfigSource(dir.path()));
  EXPECT_EQ(config.token, "abcd-token");
  EXPECT_EQ(config.liveness_port, 9001);
}

TEST(ConfigSource, DerivesLogsUrlFromCallback) {
  testing::TestDir dir;
  dir.Write("url_callback", "https://api.example/api/v1/callback?x=1");
  dir.Write("liveness_port", "9001");
  ModuleConfig config = LoadModuleConfig(ConfigSource(dir.path()));
  EXPECT_EQ(config.url_logs, "https://api.example/api/v1/logs?x=1");
  EXPECT_EQ(config.liveness_port, 9001);
  EXPECT_EQ(config.metrics_port, 8020);
  dir.Write("metrics_port", "eighty");
  EXPECT_NE(ErrorOf([&] { LoadModuleConfig(ConfigSource(dir.path())); }).find("metrics_port"),
            std::string::npos);
}

TEST(ConfigSource, ConnectorConfigurationComesFirst) {
  testing::TestDir dir;
  dir.Write("trigger_configuration", R"({"a": 1})");
  EXPECT_EQ(LoadTriggerArguments(ConfigSource(dir.path()))["a"], 1);
  dir.Write("connector_configuration", R"({"a": 2})");
  EXPECT_EQ(LoadTriggerArguments(ConfigSource(dir.path()))["a"], 2);
}

TEST(ConfigSource, UnparsableOrMissingConfigurationNamesTheValue) {
  testing::TestDir dir;
  EXPECT_NE(ErrorOf([&] {
              LoadTriggerArguments(ConfigSource(dir.path()));
            }).find("trigger_configuration: missing"),
            std::string::npos);
  dir.Write("trigger_configuration", "{not json");
  EXPECT_NE(ErrorOf([&] {
              LoadTriggerArguments(ConfigSource(dir.path()));
            }).find("trigger_configuration: not valid JSON"),
            std::string::npos);
  dir.Write("trigger_configuration", "[1]");
  EXPECT_NE(ErrorOf([&] {
              LoadTriggerArguments(ConfigSource(dir.path()));
            }).find("expected a JSON object"),
            std::string::npos);
}

TEST(Arguments, TypedAccessNamesTheArgument) {
  Arguments args(
      nlohmann::json::parse(R"({"s": "x", "n": 5, "ns": "7", "f": 2.5, "neg": -1, "b": true,
                                           "empty": "", "url": "http://example.com", "local": "http://127.0.0.1:9/"})"));
  EXPECT_EQ(args.RequiredString("s"), "x");
  EXPECT_EQ(args.Integer("n", 1, 1, 10), 5);
  EXPECT_EQ(args.Integer("ns", 1, 1, 10), 7);
  EXPECT_EQ(args.Integer("absent", 3, 1, 10), 3);
  EXPECT_EQ(args.SecureUrl("local", ""), "http://127.0.0.1:9");
  EXPECT_EQ(ErrorOf([&] { args.RequiredString("missing"); }),
            "missing: missing; this argument is required");
  EXPECT_EQ(ErrorOf([&] { args.RequiredString("empty"); }),
            "empty: empty; this argument is required");
  EXPECT_EQ(ErrorOf([&] { args.RequiredString("n"); }), "n: expected a string, got a number");
  EXPECT_EQ(ErrorOf([&] { args.Integer("f", 1, 1, 10); }),
            "f: 2.5 is not a whole number; give an integer from 1 to 10");
  EXPECT_EQ(ErrorOf([&] { args.Integer("neg", 1, 1, 10); }),
            "neg: -1 is out of range; give an integer from 1 to 10");
  EXPECT_EQ(ErrorOf([&] { args.Integer("b", 1, 1, 10); }),
            "b: expected an integer, got a boolean; give an integer from 1 to 10");
  EXPECT_EQ(ErrorOf([&] { args.Integer("s", 1, 1, 10); }),
            "s: 'x' is not an integer; give an integer from 1 to 10");
  EXPECT_NE(
      ErrorOf([&] { args.SecureUrl("url", ""); }).find("url: 'http://example.com' must use https"),
      std::string::npos);
}

TEST(Arguments, HttpUrlAcceptsAPlainHttpServer) {
  Arguments args(nlohmann::json::parse(
      R"({"intake": "http://intake.sekoia-system.svc:8080/", "bad": "intake"})"));
  EXPECT_EQ(args.HttpUrl("intake", ""), "http://intake.sekoia-system.svc:8080");
  EXPECT_EQ(args.HttpUrl("absent", "https://intake.sekoia.io"), "https://intake.sekoia.io");
  // The value is not quoted: a URL given here may hold a password.
  EXPECT_EQ(ErrorOf([&] { args.HttpUrl("bad", ""); }),
            "bad: is not an absolute http(s) URL; give the service's root, e.g. https://host");
}

// Found by fuzzing (tests/fuzz/regressions/config): a number beyond int64 was converted first,
// which is undefined behaviour; it is out of range, and says so.
TEST(Arguments, HugeNumbersAreOutOfRangeNotUndefined) {
  Arguments args(nlohmann::json::parse(
      R"({"float": 1.04444e92, "negative": -1e300, "unsigned": 18446744073709551615})"));
  EXPECT_EQ(ErrorOf([&] { args.Integer("float", 1, 1, 10); }),
            "float: 1.04444e+92 is out of range; give an integer from 1 to 10");
  EXPECT_EQ(ErrorOf([&] { args.Integer("negative", 1, 1, 10); }),
            "negative: -1e+300 is out of range; give an integer from 1 to 10");
  EXPECT_EQ(ErrorOf([&] { args.Integer("unsigned", 1, 1, 10); }),
            "unsigned: 18446744073709551615 is out of range; give an integer from 1 to 10");
}

}  // namespace
}  // namespace sekoia

namespace sekoia {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutionsIgnoringCase) {
  EXPECT_EQ(EditDistance("frequency", "frequency"), 0u);
  EXPECT_EQ(EditDistance("frequncy", "frequency"), 1u);
  EXPECT_EQ(EditDistance("client_secrte", "client_secret"), 2u);
  EXPECT_EQ(EditDistance("Client_ID", "client_id"), 0u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ClosestName, SuggestsATypoOfAKnownNameAndNothingForAStrangerName) {
  const std::vector<std::string> known = {"client_id", "client_secret", "frequency", "intake_key",
                                          "tenant_id"};
  EXPECT_EQ(ClosestName("client_secrte", known), "client_secret");
  EXPECT_EQ(ClosestName("frequence", known), "frequency");
  EXPECT_EQ(ClosestName("tenant", known), "tenant_id");
  EXPECT_EQ(ClosestName("intakekey", known), "intake_key");
  EXPECT_EQ(ClosestName("verbose", known), "");
  EXPECT_EQ(ClosestName("x", known), "");
}

TEST(Arguments, UnknownArgumentsAreTheOnesNoAccessorAskedFor) {
  Arguments arguments(nlohmann::json{{"frequncy", 30}, {"intake_key", "k"}, {"colour", "blue"}});
  arguments.RequiredString("intake_key");
  arguments.Integer("frequency", 60, 1, 86400);
  arguments.Has("client_secret");
  EXPECT_EQ(arguments.Asked(),
            (std::vector<std::string>{"client_secret", "frequency", "intake_key"}));
  EXPECT_EQ(arguments.Unread(), (std::vector<std::string>{"colour", "frequncy"}));
  EXPECT_EQ(UnknownArgumentWarnings(arguments),
            (std::vector<std::string>{
                "unknown argument 'colour' is ignored; this trigger's arguments are client_secret, "
                "frequency, "
                "intake_key",
                "unknown argument 'frequncy' is ignored; did you mean 'frequency'?"}));
}

TEST(Arguments, NoWarningWhenEveryArgumentIsRead) {
  Arguments arguments(nlohmann::json{{"intake_key", "k"}});
  arguments.RequiredString("intake_key");
  EXPECT_TRUE(UnknownArgumentWarnings(arguments).empty());
}

}  // namespace
}  // namespace sekoia
