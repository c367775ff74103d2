#pragma once

#include <string>

namespace sekoia {

/** Told of each secret learned at run time (an access token), so that every output masks it. */
class SecretSink {
 public:
  virtual ~SecretSink() = default;
  /** Thread-safe. */
  virtual void Add(const std::string& secret) = 0;
};

}  // namespace sekoia
