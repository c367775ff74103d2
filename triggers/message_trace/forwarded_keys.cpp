#include "forwarded_keys.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <sstream>

namespace message_trace {
namespace {

std::string Lines(const std::vector<std::pair<std::uint64_t, std::int64_t>>& keys) {
  std::string text;
  text.reserve(keys.size() * 28);
  char line[48];
  for (const auto& [key, time] : keys) {
    int n = std::snprintf(line, sizeof line, "%016" PRIx64 " %" PRId64 "\n", key, time);
    text.append(line, static_cast<std::size_t>(n));
  }
  return text;
}

using Entry = std::pair<std::uint64_t, std::int64_t>;

bool KeyLess(const Entry& a, const Entry& b) { return a.first < b.first; }
bool SameKey(const Entry& a, const Entry& b) { return a.first == b.first; }

// Sorts `entries` by key and keeps, of entries with the same key, the first one.
void SortUnique(std::vector<Entry>& entries) {
  std::stable_sort(entries.begin(), entries.end(), KeyLess);
  entries.erase(std::unique(entries.begin(), entries.end(), SameKey), entries.end());
}

}  // namespace

std::string ForwardedKeys::Load() {
  keys_.clear();
  pending_.clear();
  lines_in_file_ = 0;
  // Unreadable (not absent) is a StorageError: starting without the keys would forward again.
  std::optional<std::string> text = objects_->Read(name_);
  found_ = text.has_value();
  if (!text) return "";  // none yet
  std::istringstream in(std::move(*text));
  std::string line;
  std::size_t bad = 0;
  while (std::getline(in, line)) {
    std::uint64_t key = 0;
    std::int64_t time = 0;
    if (std::sscanf(line.c_str(), "%" SCNx64 " %" SCNd64, &key, &time) == 2 && key != 0) {
      keys_.emplace_back(key, time);
      ++lines_in_file_;
    } else {
      ++bad;  // a line cut by a crash: that key is forwarded again at most once
    }
  }
  // A key written twice keeps its last line.
  std::reverse(keys_.begin(), keys_.end());
  SortUnique(keys_);
  if (bad > 0) {
    rewrite_ = true;
    return std::to_string(bad) + " unreadable line(s) in " + objects_->Where(name_);
  }
  return "";
}

bool ForwardedKeys::Contains(std::uint64_t key) const {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), Entry{key, 0}, KeyLess);
  return it != keys_.end() && it->first == key;
}

void ForwardedKeys::Add(const std::vector<std::pair<std::uint64_t, std::int64_t>>& keys) {
  std::vector<Entry> fresh;
  fresh.reserve(keys.size());
  for (const auto& entry : keys) {
    if (!Contains(entry.first)) fresh.push_back(entry);
  }
  SortUnique(fresh);
  pending_.insert(pending_.end(), fresh.begin(), fresh.end());
  const auto old_size = static_cast<std::ptrdiff_t>(keys_.size());
  keys_.insert(keys_.end(), fresh.begin(), fresh.end());
  std::inplace_merge(keys_.begin(), keys_.begin() + old_size, keys_.end(), KeyLess);
}

void ForwardedKeys::Expire(sekoia::TimePoint horizon) {
  const std::int64_t limit = std::chrono::duration_cast<std::chrono::seconds>(horizon.time_since_epoch()).count();
  keys_.erase(std::remove_if(keys_.begin(), keys_.end(), [limit](const Entry& entry) { return entry.second < limit; }),
              keys_.end());
  if (keys_.capacity() > 2 * keys_.size() + 1024) keys_.shrink_to_fit();
}

void ForwardedKeys::Persist() {
  if (rewrite_ || lines_in_file_ + pending_.size() > 2 * keys_.size() + 1024) {
    Compact();
    return;
  }
  if (pending_.empty()) return;
  // A store that cannot append (object storage) has the whole set written instead.
  if (!objects_->Append(name_, Lines(pending_))) {
    Compact();
    return;
  }
  lines_in_file_ += pending_.size();
  pending_.clear();
}

void ForwardedKeys::Compact() {
  objects_->Write(name_, Lines(keys_));
  lines_in_file_ = keys_.size();
  pending_.clear();
  rewrite_ = false;
}

}  // namespace message_trace
