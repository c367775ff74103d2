#include "python_context.hpp"

#include <algorithm>

namespace message_trace {

std::optional<nlohmann::json> ContextPreservingStore::Load() {
  std::optional<nlohmann::json> document = inner_.Load();
  loaded_ = document && document->is_object() ? *document : nlohmann::json::object();
  return document;
}

void ContextPreservingStore::Save(const nlohmann::json& checkpoint) {
  nlohmann::json merged = loaded_;
  // Keys the collector owns but no longer writes (a finished window) must not come back.
  for (const char* owned :
       {"most_recent_date_requested", "window", "lookback_from", "reread", "rereads"})
    merged.erase(owned);
  merged.update(checkpoint);
  inner_.Save(merged);
}

std::set<std::string> ContextPreservingStore::EventsCache() const {
  std::set<std::string> ids;
  auto cache = loaded_.find("events_cache");
  if (cache == loaded_.end() || !cache->is_array()) return ids;
  for (const auto& id : *cache) {
    if (id.is_string()) ids.insert(id.get<std::string>());
  }
  return ids;
}

TracePage EventsCacheFilter::FetchPage(const std::string& url, std::size_t rows_read,
                                       const sekoia::StopSignal& stop) {
  TracePage page = inner_.FetchPage(url, rows_read, stop);
  if (ids_.empty()) return page;
  const auto before = page.records.size();
  page.records.erase(std::remove_if(page.records.begin(), page.records.end(),
                                    [&](const TraceRecord& record) {
                                      if (record.received && *record.received > boundary_)
                                        return false;
                                      const auto parsed =
                                          nlohmann::json::parse(record.raw, nullptr, false);
                                      if (!parsed.is_object()) return false;
                                      const auto id = parsed.find("id");
                                      return id != parsed.end() && id->is_string() &&
                                             ids_.count(id->get<std::string>()) > 0;
                                    }),
                     page.records.end());
  skipped_ += before - page.records.size();
  return page;
}

}  // namespace message_trace
