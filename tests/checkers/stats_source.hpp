#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace checkers {

/** Where a checker reads the simulator's introspection: GET `path_and_query` as JSON. */
class StatsSource {
 public:
  virtual ~StatsSource() = default;
  /** `path_and_query` such as "/stats?until=2026-12-07T08:00:00Z". Throws std::runtime_error
   *  naming the URL when there is no answer, a status other than 2xx, or a body that is not JSON.
   */
  virtual nlohmann::json Get(const std::string& path_and_query) = 0;
};

/** The simulator over loopback HTTP, with libcurl. */
class CurlStatsSource final : public StatsSource {
 public:
  /** `base_url` such as http://127.0.0.1:PORT, without a trailing slash. */
  explicit CurlStatsSource(std::string base_url);
  nlohmann::json Get(const std::string& path_and_query) override;

 private:
  std::string base_url_;
};

/** A GET of a text body (the trigger's Prometheus metrics), with libcurl; throws as Get. */
std::string FetchText(const std::string& url);

}  // namespace checkers
