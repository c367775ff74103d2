#include "sekoia/redaction.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "sekoia/url.hpp"

namespace sekoia {
namespace {

constexpr std::size_t kShortestSecret = 4;
constexpr std::string_view kMask = "***";

// One pass, building the result: a hostile answer repeating a secret a million times must not
// cost a million moves of the whole text.
void ReplaceAll(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  std::size_t at = text.find(secret);
  if (at == std::string::npos) return;
  std::string out;
  out.reserve(text.size());
  std::size_t from = 0;
  for (; at != std::string::npos; at = text.find(secret, from)) {
    out.append(text, from, at - from);
    out += kMask;
    from = at + secret.size();
  }
  out.append(text, from, std::string::npos);
  text.swap(out);
}

std::string LowerHexEscapes(std::string encoded) {
  for (std::size_t at = encoded.find('%'); at != std::string::npos && at + 2 < encoded.size();
       at = encoded.find('%', at + 1)) {
    encoded[at + 1] = static_cast<char>(std::tolower(static_cast<unsigned char>(encoded[at + 1])));
    encoded[at + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(encoded[at + 2])));
  }
  return encoded;
}

std::string JsonEscaped(const std::string& secret, bool ensure_ascii) {
  // Invalid UTF-8 is replaced, not thrown on: a secret is any bytes the user typed.
  std::string quoted =
      nlohmann::json(secret).dump(-1, ' ', ensure_ascii, nlohmann::json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

// Where a URL's authority ends (RFC 3986), or where the text around a URL in a message does.
bool EndsAuthority(char c) {
  return c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' ||
         c == '\\' || std::isspace(static_cast<unsigned char>(c));
}

}  // namespace

void Wipe(std::string& secret) noexcept {
  if (secret.capacity() > 0) OPENSSL_cleanse(secret.data(), secret.capacity());
  secret.clear();
}

std::vector<std::string> SecretForms(const std::string& secret) {
  std::vector<std::string> forms{secret};
  const std::string percent = PercentEncode(secret);
  std::string plus = percent;
  for (std::size_t at; (at = plus.find("%20")) != std::string::npos;) plus.replace(at, 3, "+");
  const std::string json = JsonEscaped(secret, false);
  std::string json_slash = json;
  for (std::size_t at = json_slash.find('/'); at != std::string::npos;
       at = json_slash.find('/', at + 2)) {
    json_slash.insert(at, 1, '\\');
  }
  for (std::string form :
       {percent, LowerHexEscapes(percent), plus, json, json_slash, JsonEscaped(secret, true)}) {
    if (std::find(forms.begin(), forms.end(), form) == forms.end())
      forms.push_back(std::move(form));
  }
  return forms;
}

std::string MaskUrlUserinfo(std::string text) {
  std::size_t at = text.find("://");
  if (at == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  std::size_t from = 0;  // text before it is in out already
  for (; at != std::string::npos; at = text.find("://", at + 3)) {
    const std::size_t start = at + 3;
    std::size_t end = start;
    while (end < text.size() && !EndsAuthority(text[end])) ++end;
    const std::size_t sign = end == start ? std::string::npos : text.rfind('@', end - 1);
    if (sign == std::string::npos || sign < start) continue;
    out.append(text, from, start - from);
    out += kMask;
    from = sign;  // the userinfo holds no '/', so no "://" is skipped inside it
  }
  out.append(text, from, std::string::npos);
  return out;
}

Redactor::~Redactor() {
  while (!secrets_.empty()) {
    auto node = secrets_.extract(secrets_.begin());
    Wipe(node.key());
  }
  for (std::string& form : forms_) Wipe(form);
}

void Redactor::Add(const std::string& secret) { Register(secret, TimePoint::max()); }

void Redactor::AddUntil(const std::string& secret, TimePoint expires_at) {
  Register(secret, expires_at);
}

void Redactor::Register(const std::string& secret, TimePoint expires_at) {
  if (secret.size() < kShortestSecret) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = secrets_.emplace(secret, expires_at);
  if (!inserted) {
    it->second = std::max(it->second, expires_at);
    return;
  }
  Rebuild();
}

void Redactor::Expire(TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool changed = false;
  for (auto it = secrets_.begin(); it != secrets_.end();) {
    if (it->second < now) {
      // A map key cannot be modified in place: extracted first, it can be wiped.
      auto node = secrets_.extract(it++);
      Wipe(node.key());
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) Rebuild();
}

void Redactor::Rebuild() {
  for (std::string& form : forms_) Wipe(form);
  forms_.clear();
  for (const auto& [secret, expiry] : secrets_) {
    for (std::string& form : SecretForms(secret)) forms_.push_back(std::move(form));
  }
  // Longest first, so a secret that contains another is masked whole, not left half visible.
  std::sort(forms_.begin(), forms_.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  forms_.erase(std::unique(forms_.begin(), forms_.end()), forms_.end());
}

void Redactor::AddEachLine(const std::string& secret) {
  Add(secret);
  std::size_t start = 0;
  while (start < secret.size()) {
    std::size_t end = secret.find('\n', start);
    if (end == std::string::npos) end = secret.size();
    std::string line = secret.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    // The PEM armour lines are public text; every other line is key material.
    if (line.size() >= 16 && line.rfind("-----", 0) != 0) Add(line);
    Wipe(line);
    start = end + 1;
  }
}

std::string Redactor::Apply(std::string text) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& form : forms_) ReplaceAll(text, form);
  }
  return MaskUrlUserinfo(std::move(text));
}

std::size_t Redactor::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return secrets_.size();
}

}  // namespace sekoia
