#include "sekoia/stream_logger.hpp"

#include <chrono>

#include "log_line.hpp"

namespace sekoia {

void StreamLogger::Log(LogLevel level, const std::string& message) {
  const std::string line = detail::FormatLogLine(
      detail::FormatMillis(std::chrono::system_clock::now()), level, redactor_.Apply(message));
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << line << std::flush;
}

}  // namespace sekoia
