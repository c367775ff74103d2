#pragma once

#include <mutex>
#include <ostream>
#include <string>

#include "sekoia/logger.hpp"
#include "sekoia/redaction.hpp"

namespace sekoia {

/** A Logger that writes to a stream only (tools, tests): one line a message,
 *  `<UTC date with milliseconds> <LEVEL> <message>`, passed through the Redactor first.
 *  Thread-safe; `out` and `redactor` are borrowed and must outlive it. */
class StreamLogger final : public Logger {
 public:
  StreamLogger(std::ostream& out, const Redactor& redactor) : out_(out), redactor_(redactor) {}
  void Log(LogLevel level, const std::string& message) override;

 private:
  std::mutex mutex_;
  std::ostream& out_;
  const Redactor& redactor_;
};

}  // namespace sekoia
