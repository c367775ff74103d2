#pragma once

// Runs the real executables (trigger, simulator) as child processes, for integration tests.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sekoia/http/curl_transport.hpp"
#include "sekoia/time_format.hpp"

namespace integration {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

/** A free TCP port on loopback (bound then released). */
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

/** Polls `condition` every 50 ms until it holds or `timeout` passes. */
template <typename F>
bool WaitUntil(F condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

/** A child process with its stdout and stderr in files. */
class Process final {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const fs::path& out, const fs::path& err)
      : out_(out), err_(err) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(out.c_str(), "w", stdout);
      std::freopen(err.c_str(), "w", stderr);
      // Signals blocked by the test runner must not leak into the child.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (const char* name :
           {"TRIGGER_CONFIGURATION", "CONNECTOR_CONFIGURATION", "TOKEN", "URL_LOGS", "URL_CALLBACK",
            "INTAKE_URL", "LIVENESS_PORT", "METRICS_PORT"})
        ::unsetenv(name);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::perror("execv");
      ::_exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void Signal(int signal) { ::kill(pid_, signal); }
  /** The exit code (128 + signal when killed); nullopt on timeout. */
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(20ms);
    }
  }
  bool Running() { return !Wait(0ms).has_value(); }
  pid_t pid() const { return pid_; }
  std::string Stdout() const { return ReadFile(out_); }
  std::string Stderr() const { return ReadFile(err_); }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  fs::path out_, err_;
};

/** Plain HTTP calls to the simulator and the trigger's servers. */
class Client final {
 public:
  Client() : transport_(sekoia::http::MakeCurlTransport(Options())) {}
  sekoia::http::HttpResponse Get(const std::string& url) {
    sekoia::StopSignal stop;
    try {
      return transport_->Send({"GET", url, "", {}}, stop);
    } catch (const std::exception&) {
      return {0, "", {}};
    }
  }
  nlohmann::json GetJson(const std::string& url) {
    auto response = Get(url);
    auto value = nlohmann::json::parse(response.body, nullptr, false);
    return value.is_discarded() ? nlohmann::json() : value;
  }

 private:
  static sekoia::http::CurlTransportOptions Options() {
    sekoia::http::CurlTransportOptions options;
    options.timeout = std::chrono::seconds(10);
    options.user_agent = "integration-test";
    return options;
  }
  std::unique_ptr<sekoia::http::HttpTransport> transport_;
};

/** A scratch directory for one test. */
inline fs::path ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::temp_directory_path() /
                 ("o365-it-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/** The simulator on an ephemeral loopback port. */
class Simulator final {
 public:
  Simulator(const fs::path& dir, std::vector<std::string> args) {
    fs::path port_file = dir / "simulator.port";
    fs::remove(port_file);  // a previous simulator's port must not be read as this one's
    std::vector<std::string> argv = {SIMULATOR_BINARY, "--port", "0", "--port-file",
                                     port_file.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{},
                                         dir / "simulator.out", dir / "simulator.err");
    bool ready =
        WaitUntil([&] { return fs::exists(port_file) && !ReadFile(port_file).empty(); }, 30s);
    EXPECT_TRUE(ready) << "the simulator did not start: " << process_->Stderr();
    url_ = "http://127.0.0.1:" + std::to_string(std::atoi(ReadFile(port_file).c_str()));
  }
  ~Simulator() {
    process_->Signal(SIGTERM);
    process_->Wait(5s);
  }
  const std::string& url() const { return url_; }
  nlohmann::json Stats(const std::string& until = "") {
    return client_.GetJson(url_ + "/stats" + (until.empty() ? "" : "?until=" + until));
  }
  nlohmann::json Logs() { return client_.GetJson(url_ + "/logs-received"); }

 private:
  std::unique_ptr<Process> process_;
  std::string url_;
  Client client_;
};

constexpr const char* kSecret = "SENTINEL-client-secret-7f3a";
constexpr const char* kPassword = "SENTINEL-account-password-c41b";
constexpr const char* kIntakeKey = "SENTINEL-intake-key-91c2";
constexpr const char* kPlatformToken = "SENTINEL-platform-token-5d8e";
constexpr const char* kTenant = "00000000-0000-0000-0000-0000000000aa";
constexpr const char* kClient = "11111111-2222-3333-4444-555555555555";
constexpr const char* kAccount = "reporter@contoso.onmicrosoft.com";

/** Simulator options that make it expect the sentinel credentials. */
inline std::vector<std::string> SimulatorArgs(std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "--client-secret",  kSecret,        "--intake-key",       kIntakeKey,
      "--platform-token", kPlatformToken, "--account-password", kPassword};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/** Applies overrides to a configuration; a null value removes the argument. */
inline nlohmann::json Override(nlohmann::json configuration, const nlohmann::json& overrides) {
  for (auto& [k, v] : overrides.items()) {
    if (v.is_null())
      configuration.erase(k);
    else
      configuration[k] = v;
  }
  return configuration;
}

/** The Graph trigger's configuration against the simulator: an hour back, one window a minute, five
 *  minutes behind now; `overrides` as in Override. */
inline nlohmann::json GraphConfiguration(const Simulator& simulator,
                                         const nlohmann::json& overrides = {}) {
  return Override({{"tenant_id", kTenant},
                   {"client_id", kClient},
                   {"client_secret", kSecret},
                   {"intake_key", kIntakeKey},
                   {"intake_server", simulator.url()},
                   {"graph_url", simulator.url()},
                   {"login_url", simulator.url()},
                   {"frequency", 60},
                   {"timedelta", 5},
                   {"start_time", 1}},
                  overrides);
}

/** One trigger: its command, configuration, data directory and ports; can be started several times.
 */
class Trigger final {
 public:
  Trigger(const fs::path& dir, const Simulator& simulator, std::string command,
          const nlohmann::json& configuration)
      : dir_(dir),
        config_dir_(dir / "config"),
        data_dir_(dir / "data"),
        command_(std::move(command)) {
    fs::create_directories(config_dir_);
    fs::create_directories(data_dir_);
    liveness_port_ = FreePort();
    metrics_port_ = FreePort();
    WriteFile(config_dir_ / "trigger_configuration", configuration.dump());
    env_ = {{"TOKEN", kPlatformToken},
            {"URL_LOGS", simulator.url() + "/logs"},
            {"LIVENESS_PORT", std::to_string(liveness_port_)},
            {"METRICS_PORT", std::to_string(metrics_port_)}};
  }
  void Start() {
    ++runs_;
    process_ = std::make_unique<Process>(
        std::vector<std::string>{TRIGGER_BINARY, command_, "--config-dir", config_dir_.string(),
                                 "--data-dir", data_dir_.string()},
        env_, dir_ / ("trigger" + std::to_string(runs_) + ".out"),
        dir_ / ("trigger" + std::to_string(runs_) + ".err"));
  }
  Process& process() { return *process_; }
  std::map<std::string, std::string>& env() { return env_; }
  const fs::path& data_dir() const { return data_dir_; }
  std::string Health() const {
    return "http://127.0.0.1:" + std::to_string(liveness_port_) + "/health";
  }
  std::string NotFound() const {
    return "http://127.0.0.1:" + std::to_string(liveness_port_) + "/nope";
  }
  std::string Metrics() const {
    return "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
  }
  nlohmann::json Checkpoint() const {
    auto value = nlohmann::json::parse(ReadFile(data_dir_ / "context.json"), nullptr, false);
    return value.is_discarded() ? nlohmann::json() : value;
  }
  /** Waits until the checkpoint says the trigger caught up (no window in progress, within
   *  `timedelta` + 1 minute of now). */
  bool WaitCaughtUp(std::chrono::seconds timeout,
                    std::chrono::minutes timedelta = std::chrono::minutes(5)) {
    return WaitUntil(
        [&] {
          auto checkpoint = Checkpoint();
          if (!checkpoint.is_object() || checkpoint.contains("window")) return false;
          auto at = sekoia::ParseIso8601(checkpoint.value("most_recent_date_requested", ""));
          return at && std::chrono::system_clock::now() - *at < timedelta + std::chrono::minutes(1);
        },
        timeout);
  }
  std::string Until() const { return Checkpoint().value("most_recent_date_requested", ""); }
  /** Everything the trigger wrote: stdout and stderr of every run, and the checkpoint. */
  std::string AllOutput() const {
    std::string all;
    for (int i = 1; i <= runs_; ++i) {
      all += ReadFile(dir_ / ("trigger" + std::to_string(i) + ".out"));
      all += ReadFile(dir_ / ("trigger" + std::to_string(i) + ".err"));
    }
    return all + ReadFile(data_dir_ / "context.json");
  }

 private:
  fs::path dir_, config_dir_, data_dir_;
  std::string command_;
  int liveness_port_, metrics_port_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> process_;
  int runs_ = 0;
};

/** A configuration error as the SDK reports it: one critical "Configuration error: <reason>" line
 *  on stderr (and to the platform, when its logs can be sent), no exit, the configuration read
 *  again every 120 s. Waits for the line that starts with `reason`, then SIGTERM must end the
 *  wait with exit 0. Returns the trigger's stderr. */
inline std::string ExpectConfigurationErrorThenCleanStop(Trigger& trigger,
                                                         const std::string& reason) {
  const std::string line = "CRITICAL Configuration error: " + reason;
  EXPECT_TRUE(
      WaitUntil([&] { return trigger.process().Stderr().find(line) != std::string::npos; }, 20s))
      << "no '" << line << "' in:\n"
      << trigger.process().Stderr();
  EXPECT_TRUE(trigger.process().Running()) << "exited: the platform would restart it in a loop";
  trigger.process().Signal(SIGTERM);
  EXPECT_EQ(trigger.process().Wait(10s), 0) << trigger.process().Stderr();
  return trigger.process().Stderr();
}

inline void ExpectNoSecrets(const std::string& text, const std::string& where) {
  for (const char* secret : {kSecret, kPassword, kIntakeKey, kPlatformToken}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " appears in " << where;
  }
}

}  // namespace integration
