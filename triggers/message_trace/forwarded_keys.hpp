#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sekoia/clock.hpp"
#include "sekoia/object_store.hpp"

namespace message_trace {

/**
 * The keys of the records forwarded within the lookback horizon, so a re-read period forwards
 * only what is new. Kept in memory and in an object next to the checkpoint (`<hex key> <unix
 * seconds>` per line): appended to where the store can append (a file), compacted when it holds
 * twice the live keys, and rewritten whole where it cannot (object storage). Keys whose
 * record time falls before the horizon are dropped, so memory is bounded by the records of one
 * lookback period. Not thread-safe (the collector's thread only).
 */
class ForwardedKeys final {
 public:
  /** The keys in the object `name` of `objects` (borrowed). */
  ForwardedKeys(sekoia::ObjectStore& objects, std::string name)
      : objects_(&objects), name_(std::move(name)) {}
  /** Reads the object; returns a description of the damaged lines (skipped), or "". Throws
   *  StorageError when it exists but cannot be read. */
  std::string Load();
  bool Contains(std::uint64_t key) const;
  /** Remembers keys of records just acknowledged by the intake (record time in unix seconds). */
  void Add(const std::vector<std::pair<std::uint64_t, std::int64_t>>& keys);
  /** Forgets keys of records older than `horizon`. */
  void Expire(sekoia::TimePoint horizon);
  /** Appends the keys added since the last Persist (compacts when due); throws StorageError. */
  void Persist();
  std::size_t size() const { return keys_.size() + recent_.size(); }
  /** Whether Load found a file: without one, no record before now is known to be forwarded. */
  bool found() const { return found_; }

 private:
  void Compact();
  /** Merges recent_ into keys_. */
  void Fold();
  /** Rebuilds index_ for keys_. */
  void Index();

  static constexpr std::size_t kRecentMin = 4096;

  sekoia::ObjectStore* objects_;
  std::string name_;
  // Sorted by key, one entry per key: 16 bytes a key, where a hash map's nodes and buckets took
  // about 40; a busy tenant's lookback holds tens of thousands of keys while the trigger rests.
  std::vector<std::pair<std::uint64_t, std::int64_t>> keys_;
  // The keys added since the last Fold, sorted by key, none of them in keys_ (see Add).
  std::vector<std::pair<std::uint64_t, std::int64_t>> recent_;
  // keys_'s entries whose top index_bits_ bits are b start at index_[b] (and end at index_[b + 1]);
  // about half a byte a key. index_bits_ 0: no index.
  std::vector<std::uint32_t> index_;
  int index_bits_ = 0;
  std::vector<std::pair<std::uint64_t, std::int64_t>> pending_;
  std::size_t lines_in_file_ = 0;
  bool rewrite_ = false;
  bool found_ = false;
};

}  // namespace message_trace
