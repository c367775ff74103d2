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

#include "sekoia/http/transport.hpp"

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
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, const fs::path& out,
          const fs::path& err)
      : out_(out), err_(err) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(out.c_str(), "w", stdout);
      std::freopen(err.c_str(), "w", stderr);
      // Signals blocked by the test runner must not leak into the child.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (const char* name : {"TRIGGER_CONFIGURATION", "CONNECTOR_CONFIGURATION", "TOKEN", "URL_LOGS", "URL_CALLBACK",
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
  Client() : transport_(sekoia::http::MakeCpprestTransport({std::chrono::seconds(10), "integration-test"})) {}
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
  std::unique_ptr<sekoia::http::HttpTransport> transport_;
};

/** A scratch directory for one test. */
inline fs::path ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::temp_directory_path() / ("o365-it-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
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
    std::vector<std::string> argv = {SIMULATOR_BINARY, "--port", "0", "--port-file", port_file.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{}, dir / "simulator.out",
                                         dir / "simulator.err");
    bool ready = WaitUntil([&] { return fs::exists(port_file) && !ReadFile(port_file).empty(); }, 30s);
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

}  // namespace integration
