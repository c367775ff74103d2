#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "sekoia/clock.hpp"

namespace office365 {

/** The identity of one state of a record: trace id, recipient and status, hashed (64-bit FNV-1a
 *  over the three values' raw JSON bytes). A status change is a new key. 0 means "no key". */
std::uint64_t RecordKey(std::string_view trace_id, std::string_view recipient, std::string_view status);

/**
 * The keys of the records forwarded within the lookback horizon, so a re-read period forwards
 * only what is new. Kept in memory and in an append-only file next to the checkpoint
 * (`<hex key> <unix seconds>` per line), compacted when it holds twice the live keys. Keys whose
 * record time falls before the horizon are dropped, so memory is bounded by the records of one
 * lookback period. Not thread-safe (the collector's thread only).
 */
class ForwardedKeys final {
 public:
  explicit ForwardedKeys(std::filesystem::path path) : path_(std::move(path)) {}
  /** Reads the file; returns a description of what was wrong (the keys are then empty), or "". */
  std::string Load();
  bool Contains(std::uint64_t key) const;
  /** Remembers keys of records just acknowledged by the intake (record time in unix seconds). */
  void Add(const std::vector<std::pair<std::uint64_t, std::int64_t>>& keys);
  /** Forgets keys of records older than `horizon`. */
  void Expire(sekoia::TimePoint horizon);
  /** Appends the keys added since the last Persist (compacts when due); throws std::runtime_error. */
  void Persist();
  std::size_t size() const { return keys_.size(); }
  /** Whether Load found a file: without one, no record before now is known to be forwarded. */
  bool found() const { return found_; }

 private:
  void Compact();

  std::filesystem::path path_;
  // Sorted by key, one entry per key: 16 bytes a key, where a hash map's nodes and buckets took
  // about 40; a busy tenant's lookback holds tens of thousands of keys while the trigger rests.
  std::vector<std::pair<std::uint64_t, std::int64_t>> keys_;
  std::vector<std::pair<std::uint64_t, std::int64_t>> pending_;
  std::size_t lines_in_file_ = 0;
  bool rewrite_ = false;
  bool found_ = false;
};

}  // namespace office365
