#pragma once

#include <stdexcept>
#include <string>

namespace sekoia {

/** A configuration value is missing or invalid; the message names the argument and the fix. */
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** No HTTP answer arrived (connection refused or closed, timeout, TLS failure). */
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** An HTTP answer with a status the caller cannot use. */
class HttpStatusError : public std::runtime_error {
 public:
  HttpStatusError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

/** Credentials were refused; the message says how to fix them. */
class AuthError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** A document (page, checkpoint) is not what it must be. */
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Where the trigger keeps its state (data directory, object storage) cannot be read or written:
 *  the message names the place, the cause and the setting to check. */
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sekoia
