#include "forwarded_keys.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <sstream>

namespace message_trace {
namespace {

using Entry = std::pair<std::uint64_t, std::int64_t>;

// Appends `<16 hex digits> <decimal seconds>\n` per key (as printf's "%016" PRIx64 " %" PRId64
// would, without its cost: a line per record forwarded).
void AppendLines(const std::vector<Entry>& keys, std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  char line[48];
  for (const auto& [key, time] : keys) {
    char* out = line;
    for (int shift = 60; shift >= 0; shift -= 4) *out++ = kHex[(key >> shift) & 0xF];
    *out++ = ' ';
    std::uint64_t magnitude =
        time < 0 ? 0 - static_cast<std::uint64_t>(time) : static_cast<std::uint64_t>(time);
    if (time < 0) *out++ = '-';
    char digits[20];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + magnitude % 10);
      magnitude /= 10;
    } while (magnitude != 0);
    while (count > 0) *out++ = digits[--count];
    *out++ = '\n';
    text.append(line, static_cast<std::size_t>(out - line));
  }
}

std::string Lines(const std::vector<Entry>& keys) {
  std::string text;
  text.reserve(keys.size() * 28);
  AppendLines(keys, text);
  return text;
}

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
  std::istringstream in(*text);
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
  recent_.clear();
  Index();
  if (bad > 0) {
    rewrite_ = true;
    return std::to_string(bad) + " unreadable line(s) in " + objects_->Where(name_);
  }
  return "";
}

namespace {

// Whether `key` is among the `count` entries from `first`, sorted by key. Without a branch on
// the comparisons (a conditional move each): keys are hashes, so std::lower_bound's branches go
// either way at random and are mispredicted about half the time.
bool SortedContains(const Entry* first, std::size_t count, std::uint64_t key) {
  if (count == 0) return false;
  while (count > 1) {
    const std::size_t half = count / 2;
    first = first[half].first <= key ? first + half : first;
    count -= half;
  }
  return first->first == key;
}

}  // namespace

bool ForwardedKeys::Contains(std::uint64_t key) const {
  std::size_t begin = 0, end = keys_.size();
  if (index_bits_ > 0) {
    const std::uint64_t bucket = key >> (64 - index_bits_);
    begin = index_[bucket];
    end = index_[bucket + 1];
  }
  return SortedContains(keys_.data() + begin, end - begin, key) ||
         SortedContains(recent_.data(), recent_.size(), key);
}

void ForwardedKeys::Add(const std::vector<std::pair<std::uint64_t, std::int64_t>>& keys) {
  std::vector<Entry> fresh;
  fresh.reserve(keys.size());
  for (const auto& entry : keys) {
    if (!Contains(entry.first)) fresh.push_back(entry);
  }
  SortUnique(fresh);
  pending_.insert(pending_.end(), fresh.begin(), fresh.end());
  // Merged into the small set: merging each page into the whole set moved all of it, a page at a
  // time (16 MB a page after a million records). The small set joins the large one once it holds
  // an eighth of it, so a key is moved a few times in all.
  const auto old_size = static_cast<std::ptrdiff_t>(recent_.size());
  recent_.insert(recent_.end(), fresh.begin(), fresh.end());
  std::inplace_merge(recent_.begin(), recent_.begin() + old_size, recent_.end(), KeyLess);
  if (recent_.size() > kRecentMin + keys_.size() / 8) Fold();
}

void ForwardedKeys::Fold() {
  const auto old_size = static_cast<std::ptrdiff_t>(keys_.size());
  keys_.insert(keys_.end(), recent_.begin(), recent_.end());
  std::inplace_merge(keys_.begin(), keys_.begin() + old_size, keys_.end(), KeyLess);
  recent_.clear();
  Index();
}

void ForwardedKeys::Index() {
  // A bucket per 8 keys or so, by the keys' top bits (they are hashes: evenly spread), so that a
  // look-up reads a few neighbouring entries instead of 20 scattered ones for a million keys.
  index_bits_ = 0;
  while (index_bits_ < 30 && (keys_.size() >> (index_bits_ + 1)) >= 8) ++index_bits_;
  if (index_bits_ == 0) {
    std::vector<std::uint32_t>().swap(index_);
    return;
  }
  const std::size_t buckets = std::size_t{1} << index_bits_;
  index_.assign(buckets + 1, 0);
  std::size_t at = 0;
  for (std::size_t bucket = 0; bucket < buckets; ++bucket) {
    index_[bucket] = static_cast<std::uint32_t>(at);
    while (at < keys_.size() && (keys_[at].first >> (64 - index_bits_)) == bucket) ++at;
  }
  index_[buckets] = static_cast<std::uint32_t>(keys_.size());
}

void ForwardedKeys::Expire(sekoia::TimePoint horizon) {
  const std::int64_t limit =
      std::chrono::duration_cast<std::chrono::seconds>(horizon.time_since_epoch()).count();
  for (std::vector<Entry>* set : {&keys_, &recent_}) {
    set->erase(std::remove_if(set->begin(), set->end(),
                              [limit](const Entry& entry) { return entry.second < limit; }),
               set->end());
    if (set->capacity() > 2 * set->size() + 1024) set->shrink_to_fit();
  }
  if (pending_.capacity() > 2 * pending_.size() + 1024) pending_.shrink_to_fit();
  Index();
}

void ForwardedKeys::Persist() {
  if (rewrite_ || lines_in_file_ + pending_.size() > 2 * size() + 1024) {
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
  std::string text;
  text.reserve(size() * 28);
  AppendLines(keys_, text);
  AppendLines(recent_, text);
  objects_->Write(name_, text);
  lines_in_file_ = size();
  pending_.clear();
  rewrite_ = false;
}

}  // namespace message_trace
