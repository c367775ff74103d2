// libFuzzer target: the configuration loader, as main.cpp runs it: the platform's
// trigger_configuration file -> JSON object -> each trigger's validated arguments.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "sekoia/config.hpp"
#include "sekoia/errors.hpp"
#include "trigger_config.hpp"

namespace {

const std::filesystem::path& ConfigDir() {
  static const std::filesystem::path dir = [] {
    auto path =
        std::filesystem::temp_directory_path() / ("config-fuzzer-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(ConfigDir() / "trigger_configuration", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  sekoia::ConfigSource source(ConfigDir());
  nlohmann::json arguments;
  try {
    arguments = sekoia::LoadTriggerArguments(source);
  } catch (const sekoia::ConfigError&) {
    return 0;
  }
  const sekoia::Arguments typed(arguments);
  try {
    (void)message_trace::LoadGraphTriggerConfig(typed, "");
  } catch (const sekoia::ConfigError&) {
  }
  for (auto auth : {message_trace::ReportingAuth::kBasic, message_trace::ReportingAuth::kOAuth}) {
    try {
      (void)message_trace::LoadReportingTriggerConfig(typed, "https://intake.example", auth);
    } catch (const sekoia::ConfigError&) {
    }
  }
  return 0;
}
