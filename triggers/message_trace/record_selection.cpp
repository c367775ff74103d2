#include "record_selection.hpp"

#include <algorithm>

#include "sekoia/json/raw_json.hpp"

namespace message_trace {
namespace {

// The keys of one page's records seen so far: open addressing over the key's own bits (a hash
// already), at least 1.5 slots per record (64 KiB for a page of 5000), no allocation per record.
// 0 marks an empty slot, as RecordKey never returns 0.
class PageKeys final {
 public:
  explicit PageKeys(std::size_t records) {
    std::size_t size = 16;
    while (size < records + records / 2) size <<= 1;
    slots_.assign(size, 0);
    mask_ = size - 1;
  }
  /** Adds `key` (not 0); false when the page had it already. */
  bool Insert(std::uint64_t key) {
    for (std::size_t at = key & mask_;; at = (at + 1) & mask_) {
      if (slots_[at] == key) return false;
      if (slots_[at] == 0) {
        slots_[at] = key;
        return true;
      }
    }
  }

 private:
  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
};

}  // namespace

RecordSelection SelectRecords(const TracePage& page, const RecordSelectionOptions& options,
                              const ForwardedKeys* forwarded) {
  RecordSelection selection;
  selection.events.reserve(page.records.size());
  PageKeys page_keys(forwarded ? page.records.size() : 0);
  for (const TraceRecord& record : page.records) {
    // The service's bounds are inclusive; keeping [start, end) sends a boundary record once.
    // A record whose date cannot be read is kept: better sent than lost.
    if (!record.received) ++selection.undated;
    if (!options.rows_outside_window && record.received &&
        (*record.received < options.query.start || *record.received >= options.query.end)) {
      ++selection.outside;
      continue;
    }
    if (record.received && *record.received >= options.window.start) {
      if (!selection.dates) selection.dates.emplace(*record.received, *record.received);
      selection.dates->first = std::min(selection.dates->first, *record.received);
      selection.dates->second = std::max(selection.dates->second, *record.received);
    }
    if (forwarded && record.key != 0) {
      if (forwarded->Contains(record.key)) {  // forwarded before, in this state
        ++selection.forwarded_before;
        continue;
      }
      if (!page_keys.Insert(record.key)) {  // the same state twice in the page: sent once
        ++selection.duplicates;
        continue;
      }
      sekoia::TimePoint time = record.received.value_or(options.window.end);
      if (options.rows_outside_window) time = std::max(time, options.rows_outside_key_time);
      if (time >= options.keep_keys_from) {
        const auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch());
        selection.new_keys.emplace_back(record.key, seconds.count());
      }
    }
    if (sekoia::json::IsValidUtf8(record.raw)) {
      selection.events.push_back(record.raw);
    } else {
      sekoia::json::RepairUtf8(record.raw, selection.repaired.emplace_back());
      selection.events.push_back(selection.repaired.back());
    }
  }
  return selection;
}

}  // namespace message_trace
