// Where the checkpoint lives: an S3 bucket (a real S3 server, s3rver, on loopback) and the data
// directory (lock, unreadable checkpoint, planted links), with the real executable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "harness.hpp"
#include "sekoia/errors.hpp"
#include "sekoia/s3_object_store.hpp"
#include "sekoia/time_format.hpp"
#include "test_certificates.hpp"

namespace integration {
namespace {

constexpr const char* kCommand = "office365_messagetrace_trigger_graph";
constexpr const char* kBucket = "sekoia-state";
constexpr const char* kSubFolder = "triggers/graph one";
constexpr const char* kAwsSecret = "SENTINEL-aws-secret-e91d";

// s3rver, installed by tests/s3/install-s3rver.sh (scripts/install-deps.sh runs it); the
// S3RVER_BINARY environment variable points elsewhere.
std::string S3rverBinary() {
  const char* env = std::getenv("S3RVER_BINARY");
  return env != nullptr && *env != '\0' ? env : S3RVER_BINARY;
}

/** s3rver with one bucket, on a port it chooses (`-p 0`) and prints; over TLS with `tls`. */
class S3rver final {
 public:
  explicit S3rver(const fs::path& dir, const sekoia::testing::TestCertificate* tls = nullptr) {
    const std::string binary = S3rverBinary();
    if (::access(binary.c_str(), X_OK) != 0) {
      ADD_FAILURE() << "s3rver is missing at " << binary
                    << ": run tests/s3/install-s3rver.sh (scripts/install-deps.sh does)";
      return;
    }
    fs::create_directories(dir / "s3rver-data");
    std::vector<std::string> argv = {
        binary,      "-d",       (dir / "s3rver-data").string(), "-p",   "0", "-a",
        "127.0.0.1", "--silent", "--configure-bucket",           kBucket};
    if (tls != nullptr) {
      WriteFile(dir / "s3rver.crt", tls->certificate_pem);
      WriteFile(dir / "s3rver.key", tls->private_key_pem);
      argv.insert(argv.end(), {"--cert", (dir / "s3rver.crt").string(), "--key",
                               (dir / "s3rver.key").string()});
    }
    process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{},
                                         dir / "s3rver.out", dir / "s3rver.err");
    const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    // The match points into the text it was found in: that text must outlive it.
    std::string out;
    std::smatch match;
    const bool ready = WaitUntil(
        [&] {
          out = process_->Stdout();
          return std::regex_search(out, match, listening);
        },
        30s);
    if (!ready) {
      ADD_FAILURE() << "s3rver did not start: " << process_->Stdout() << process_->Stderr();
      return;
    }
    url_ = std::string(tls != nullptr ? "https" : "http") + "://127.0.0.1:" + match[1].str();
  }
  ~S3rver() {
    if (!process_) return;
    process_->Signal(SIGTERM);
    process_->Wait(5s);
  }
  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  /** A client of the bucket with s3rver's own credentials (S3RVER/S3RVER). */
  sekoia::S3Options Options(const std::string& prefix = kSubFolder) const {
    sekoia::S3Options options;
    options.endpoint = url_;
    options.bucket = kBucket;
    options.prefix = prefix;
    options.region = "us-east-1";
    options.access_key_id = "S3RVER";
    options.secret_access_key = "S3RVER";
    options.timeout = std::chrono::seconds(10);
    return options;
  }
  std::optional<std::string> Read(const std::string& name) const {
    sekoia::S3ObjectStore store(Options());
    return store.Read(name);
  }

 private:
  std::unique_ptr<Process> process_;
  std::string url_;
};

void UseBucket(Trigger& trigger, const S3rver& s3, const std::string& access_key_id = "S3RVER",
               const std::string& bucket = kBucket) {
  trigger.env()["FILE_BACKEND"] = "s3";  // any case, as the SDK
  trigger.env()["AWS_BUCKET_NAME"] = bucket;
  trigger.env()["SUB_FOLDER"] = kSubFolder;
  trigger.env()["AWS_ACCESS_KEY_ID"] = access_key_id;
  trigger.env()["AWS_SECRET_ACCESS_KEY"] = access_key_id == "S3RVER" ? "S3RVER" : kAwsSecret;
  trigger.env()["AWS_DEFAULT_REGION"] = "us-east-1";
  trigger.env()["AWS_S3_ENDPOINT_URL"] = s3.url();
}

nlohmann::json StoredCheckpoint(const S3rver& s3) {
  try {
    auto text = s3.Read("context.json");
    if (!text) return nlohmann::json();
    auto value = nlohmann::json::parse(*text, nullptr, false);
    return value.is_discarded() ? nlohmann::json() : value;
  } catch (const sekoia::StorageError&) {
    return nlohmann::json();
  }
}

bool CaughtUp(const nlohmann::json& checkpoint) {
  if (!checkpoint.is_object() || checkpoint.contains("window")) return false;
  auto at = sekoia::ParseIso8601(checkpoint.value("most_recent_date_requested", ""));
  return at && std::chrono::system_clock::now() - *at < std::chrono::minutes(6);
}

TEST(ObjectStorage, TheCheckpointAndKeysLiveInTheBucketAndARestartResumesFromThem) {
  auto dir = ScratchDir();
  S3rver s3(dir);
  ASSERT_TRUE(s3.ok());
  Simulator simulator(dir, SimulatorArgs({"--records", "2000", "--days", "0.08", "--seed", "31"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"start_time", 2}}));
  UseBucket(trigger, s3);
  trigger.Start();
  ASSERT_TRUE(WaitUntil([&] { return CaughtUp(StoredCheckpoint(s3)); }, 90s))
      << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  ASSERT_EQ(trigger.process().Wait(10s), 0) << trigger.process().Stderr();
  const std::string until = StoredCheckpoint(s3).value("most_recent_date_requested", "");
  auto stats = simulator.Stats(until);
  EXPECT_GT(stats["expected"].get<int>(), 1000) << stats.dump();
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  // The keys of what was forwarded within the lookback are in the bucket too, one line each.
  const auto keys = s3.Read("forwarded_keys.txt");
  ASSERT_TRUE(keys.has_value());
  const std::regex key_line("[0-9a-f]{16} [0-9]+\n");
  std::size_t lines = 0;
  for (auto it = std::sregex_iterator(keys->begin(), keys->end(), key_line);
       it != std::sregex_iterator(); ++it)
    ++lines;
  EXPECT_GT(lines, 100u) << keys->substr(0, 200);
  EXPECT_EQ(lines, static_cast<std::size_t>(std::count(keys->begin(), keys->end(), '\n')))
      << keys->substr(0, 200);
  // Nothing in the data directory: no context.json, no lock (a bucket has no local lock).
  EXPECT_TRUE(fs::is_empty(trigger.data_dir()))
      << fs::directory_iterator(trigger.data_dir())->path();
  EXPECT_NE(trigger.process().Stderr().find("s3://sekoia-state/triggers/graph one/context.json"),
            std::string::npos);

  // A restart reads the checkpoint back from the bucket and resumes, forwarding nothing twice.
  const auto received_before = simulator.Stats()["received_total"].get<int>();
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find("resuming from the checkpoint: " + until) !=
               std::string::npos;
      },
      30s))
      << trigger.process().Stderr();
  ASSERT_TRUE(WaitUntil([&] { return CaughtUp(StoredCheckpoint(s3)); }, 30s));
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  stats = simulator.Stats(StoredCheckpoint(s3).value("most_recent_date_requested", ""));
  EXPECT_EQ(stats["duplicates"], 0) << stats.dump();
  EXPECT_EQ(stats["missing"], 0) << stats.dump();
  EXPECT_GE(stats["received_total"].get<int>(), received_before);
}

TEST(ObjectStorage, AnUnknownAccessKeyIsAClearErrorAndNothingIsCollectedNorClaimed) {
  auto dir = ScratchDir();
  S3rver s3(dir);
  ASSERT_TRUE(s3.ok());
  Simulator simulator(dir, SimulatorArgs({"--records", "200", "--days", "0.05"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"start_time", 2}}));
  UseBucket(trigger, s3, "AKIAUNKNOWN0000");
  trigger.Start();
  const std::string expected =
      "object storage " + s3.url().substr(7) +
      ": access key id refused (InvalidAccessKeyId) when checking bucket sekoia-state: "
      "check aws_access_key_id/aws_secret_access_key";
  ASSERT_TRUE(WaitUntil(
      [&] { return trigger.process().Stderr().find(expected) != std::string::npos; }, 20s))
      << trigger.process().Stderr();
  // No crash, no exit into a restart loop: it waits to try again; nothing read, sent or stored.
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(trigger.process().Running());
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
  EXPECT_FALSE(s3.Read("context.json").has_value());
  EXPECT_FALSE(fs::exists(trigger.data_dir() / "context.json"));
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  ASSERT_TRUE(WaitUntil([&] { return !simulator.Logs().empty(); }, 5s));
  bool critical = false;
  for (const auto& entry : simulator.Logs()) {
    critical |= entry.value("level", "") == "critical" &&
                entry.value("message", "").find("(InvalidAccessKeyId)") != std::string::npos;
  }
  EXPECT_TRUE(critical) << simulator.Logs().dump();
  const std::string everything = trigger.AllOutput() + simulator.Logs().dump();
  EXPECT_EQ(everything.find(kAwsSecret), std::string::npos) << "the secret access key was printed";
  ExpectNoSecrets(everything, "the output and logs");
}

TEST(ObjectStorage, AMissingBucketIsAClearError) {
  auto dir = ScratchDir();
  S3rver s3(dir);
  ASSERT_TRUE(s3.ok());
  Simulator simulator(dir, SimulatorArgs({"--records", "10"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"start_time", 2}}));
  UseBucket(trigger, s3, "S3RVER", "no-such-bucket");
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find(
                   "bucket no-such-bucket does not exist (NoSuchBucket) when checking bucket "
                   "no-such-bucket: create it, or correct aws_bucket_name") != std::string::npos;
      },
      20s))
      << trigger.process().Stderr();
  EXPECT_TRUE(trigger.process().Running());
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
}

TEST(S3ObjectStore, WholeObjectsRoundTripAndEachFailureIsNamed) {
  auto dir = ScratchDir();
  S3rver s3(dir);
  ASSERT_TRUE(s3.ok());
  sekoia::S3ObjectStore store(s3.Options("a b/ü"));
  store.CheckBucket();
  EXPECT_FALSE(store.Read("context.json").has_value());
  std::string large(3 << 20, 'x');  // several MiB: no 100-continue, the signature covers the body
  large += "\n";
  store.Write("forwarded_keys.txt", large);
  store.Write("context.json", "{\"a\":1}\n");
  store.Write("context.json", "{\"a\":2}\n");
  EXPECT_EQ(store.Read("context.json"), "{\"a\":2}\n");
  EXPECT_EQ(store.Read("forwarded_keys.txt"), large);
  EXPECT_FALSE(store.Append("context.json", "x"));
  EXPECT_EQ(store.Where("context.json"), "s3://sekoia-state/a b/ü/context.json");

  auto error_of = [](const std::function<void()>& action) -> std::string {
    try {
      action();
    } catch (const sekoia::StorageError& error) {
      return error.what();
    }
    return "(no StorageError)";
  };
  sekoia::S3Options bounded = s3.Options("a b/ü");
  bounded.max_object_bytes = 1 << 20;
  sekoia::S3ObjectStore small(bounded);
  EXPECT_NE(error_of([&] { small.Read("forwarded_keys.txt"); }).find("longer than 1 MiB; refused"),
            std::string::npos);
  sekoia::S3Options unknown = s3.Options();
  unknown.access_key_id = "AKIAUNKNOWN0000";
  sekoia::S3ObjectStore refused(unknown);
  EXPECT_NE(error_of([&] {
              refused.Write("context.json", "{}");
            }).find("(InvalidAccessKeyId) when writing"),
            std::string::npos);
  sekoia::S3Options closed = s3.Options();
  closed.endpoint = "http://127.0.0.1:" + std::to_string(FreePort());
  sekoia::S3ObjectStore unreachable(closed);
  EXPECT_NE(error_of([&] {
              unreachable.CheckBucket();
            }).find(": unreachable when checking bucket sekoia-state"),
            std::string::npos);
}

TEST(S3ObjectStore, TlsIsVerifiedAgainstCaCert) {
  auto dir = ScratchDir();
  const auto certificate =
      sekoia::testing::MakeTestCertificate("s3-test-only", -60, 86400, "IP:127.0.0.1");
  S3rver s3(dir, &certificate);
  ASSERT_TRUE(s3.ok());
  ASSERT_EQ(s3.url().rfind("https://", 0), 0u);
  sekoia::S3Options options = s3.Options();
  options.ca_cert = certificate.certificate_pem;
  sekoia::S3ObjectStore trusted(options);
  trusted.CheckBucket();
  trusted.Write("context.json", "{\"a\":1}\n");
  EXPECT_EQ(trusted.Read("context.json"), "{\"a\":1}\n");
  // Without the CA (the system's CAs do not know it) or with another CA, nothing is sent.
  std::string errors;
  for (const std::string& ca :
       {std::string(), sekoia::testing::MakeTestCertificate("other-ca").certificate_pem}) {
    options.ca_cert = ca;
    sekoia::S3ObjectStore untrusted(options);
    try {
      untrusted.Write("context.json", "{}");
      ADD_FAILURE() << "written over an unverified TLS connection";
    } catch (const sekoia::StorageError& error) {
      errors += std::string(error.what()) + "\n";
    }
  }
  EXPECT_EQ(trusted.Read("context.json"), "{\"a\":1}\n");
  EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), 2) << errors;
  EXPECT_EQ(errors.find(": unreachable"), std::string::npos) << errors;
  EXPECT_NE(
      errors.find(": TLS failed when writing s3://sekoia-state/triggers/graph one/context.json"),
      std::string::npos)
      << errors;
  EXPECT_NE(errors.find("check ca_cert"), std::string::npos) << errors;
}

TEST(DataDirectory, ASecondTriggerOnTheSameDirectoryRefusesToStart) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "300", "--days", "0.05"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"start_time", 2}}));
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  auto env = trigger.env();
  env["LIVENESS_PORT"] = std::to_string(FreePort());
  env["METRICS_PORT"] = std::to_string(FreePort());
  const std::vector<std::string> argv = {TRIGGER_BINARY, kCommand,
                                         "--config-dir", (dir / "config").string(),
                                         "--data-dir",   trigger.data_dir().string()};
  {
    Process second(argv, env, dir / "second.out", dir / "second.err");
    EXPECT_EQ(second.Wait(20s), 1) << second.Stderr();
    EXPECT_NE(second.Stderr().find("another trigger is using " + trigger.data_dir().string() +
                                   " (lock held"),
              std::string::npos)
        << second.Stderr();
  }
  EXPECT_TRUE(trigger.process().Running());
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  // Once the first is gone, the lock is free.
  Process third(argv, env, dir / "third.out", dir / "third.err");
  EXPECT_TRUE(WaitUntil(
      [&] { return third.Stderr().find("resuming from the checkpoint") != std::string::npos; },
      20s))
      << third.Stderr();
  third.Signal(SIGTERM);
  EXPECT_EQ(third.Wait(10s), 0);
  EXPECT_EQ(simulator.Stats(trigger.Until())["duplicates"], 0);
}

TEST(DataDirectory, AnUnreadableCheckpointStopsCollectionAndIsNotReplaced) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "100", "--days", "0.05"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"start_time", 2}}));
  // A directory where context.json should be: it exists, but cannot be read as a file.
  fs::create_directories(trigger.data_dir() / "context.json");
  trigger.Start();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return trigger.process().Stderr().find(
                   "the checkpoint cannot be read; nothing is collected until it can") !=
               std::string::npos;
      },
      20s))
      << trigger.process().Stderr();
  EXPECT_NE(trigger.process().Stderr().find("context.json: a directory is in its place"),
            std::string::npos)
      << trigger.process().Stderr();
  EXPECT_TRUE(trigger.process().Running());
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(simulator.Stats()["received_total"], 0);
  EXPECT_TRUE(fs::is_directory(trigger.data_dir() / "context.json"));
}

TEST(DataDirectory, ALinkPlantedAtTheTemporaryCheckpointIsNotFollowed) {
  auto dir = ScratchDir();
  Simulator simulator(dir, SimulatorArgs({"--records", "100", "--days", "0.05"}));
  Trigger trigger(dir, simulator, kCommand, GraphConfiguration(simulator, {{"start_time", 2}}));
  WriteFile(dir / "victim", "precious");
  fs::create_symlink(dir / "victim", trigger.data_dir() / "context.json.tmp");
  trigger.Start();
  ASSERT_TRUE(trigger.WaitCaughtUp(60s)) << trigger.process().Stderr();
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0);
  EXPECT_EQ(ReadFile(dir / "victim"), "precious");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(trigger.data_dir() / "context.json")));
}

}  // namespace
}  // namespace integration
