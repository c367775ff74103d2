#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sekoia/clock.hpp"
#include "sekoia/secret_sink.hpp"

namespace sekoia {

/**
 * Every form in which a service may echo `secret` back: as is; percent-encoded (upper- and
 * lower-case hexadecimal, space as %20 or '+'); JSON-escaped (with and without `\/` and `\uXXXX`
 * escapes). Each distinct form once, the original first.
 */
std::vector<std::string> SecretForms(const std::string& secret);

/** Replaces, in `text`, the user information of every `scheme://user:password@host` with `***`. */
std::string MaskUrlUserinfo(std::string text);

/**
 * Masks every registered secret (client secret, password, private key, tokens, intake key), in
 * every form SecretForms() gives, and the user information of every URL, in a text. The one place
 * through which every outgoing line and every error text from a service passes. Secrets that
 * expire (AddUntil) leave the set at the first Expire() past their expiry, so the set holds the
 * live secrets only. A removed secret and every secret at destruction are wiped. Thread-safe.
 */
class Redactor final : public SecretSink {
 public:
  Redactor() = default;
  ~Redactor() override;
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  /** Registers a secret; values shorter than 4 characters are ignored (they would mask noise). */
  void Add(const std::string& secret) override;
  /** Registers a secret until `expires_at`; a secret registered for life stays for life. */
  void AddUntil(const std::string& secret, TimePoint expires_at) override;
  /** Forgets the secrets whose expiry is before `now`. */
  void Expire(TimePoint now) override;
  /** Registers a multi-line secret (a PEM private key): the whole text, and each line of 16
   *  characters or more, so a message quoting part of it is masked too. */
  void AddEachLine(const std::string& secret);
  /** `text` with every secret form replaced by `***` and URL user information masked. */
  std::string Apply(std::string text) const;
  /** How many secrets (not forms) are registered. */
  std::size_t size() const;

 private:
  void Register(const std::string& secret, TimePoint expires_at);
  void Rebuild();

  mutable std::mutex mutex_;
  std::map<std::string, TimePoint> secrets_;  ///< secret -> expiry (TimePoint::max(): never)
  std::vector<std::string> forms_;            ///< every form of every secret, longest first
};

}  // namespace sekoia
