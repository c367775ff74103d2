#pragma once

#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "sekoia/checkpoint_store.hpp"
#include "trace_source.hpp"

namespace message_trace {

/**
 * A CheckpointStore that keeps, in what it saves, the keys of the loaded document that the
 * collector does not write (the Python Graph connector's `events_cache`, anything a later
 * version adds), so that going back to the Python trigger finds its context.json whole.
 * Not thread-safe (the collector's thread only).
 */
class ContextPreservingStore final : public sekoia::CheckpointStore {
 public:
  explicit ContextPreservingStore(sekoia::CheckpointStore& inner) : inner_(inner) {}
  std::optional<nlohmann::json> Load() override;
  /** Saves `checkpoint` over the loaded document: its keys replace, the others stay. */
  void Save(const nlohmann::json& checkpoint) override;
  /** The ids of the Python Graph connector's `events_cache` in the loaded document. */
  std::set<std::string> EventsCache() const;

 private:
  sekoia::CheckpointStore& inner_;
  nlohmann::json loaded_ = nlohmann::json::object();
};

/**
 * The Graph source, without the records the Python Graph connector already forwarded: those
 * whose `id` is in its `events_cache` and whose date is not after where its context.json
 * stopped (it queried `receivedDateTime le end`, so a record on that boundary was sent).
 */
class EventsCacheFilter final : public TraceSource {
 public:
  EventsCacheFilter(TraceSource& inner, std::set<std::string> ids, sekoia::TimePoint boundary)
      : inner_(inner), ids_(std::move(ids)), boundary_(boundary) {}
  SourceLimits Limits() const override { return inner_.Limits(); }
  std::string FirstPageUrl(const Window& window) const override {
    return inner_.FirstPageUrl(window);
  }
  TracePage FetchPage(const std::string& url, std::size_t rows_read,
                      const sekoia::StopSignal& stop) override;
  std::size_t skipped() const { return skipped_; }

 private:
  TraceSource& inner_;
  std::set<std::string> ids_;
  sekoia::TimePoint boundary_;
  std::size_t skipped_ = 0;
};

}  // namespace message_trace
