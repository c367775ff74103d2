#pragma once

#include <cstddef>

#include "random.hpp"
#include "time_text.hpp"

namespace mtsim {

/**
 * Late publication: how long after its receivedDateTime Exchange Online publishes a message
 * trace record, and, for a record whose status changes, how long after its first appearance
 * the new status appears. A long tail, as observed on real tenants: 80% uniform in [1, 5)
 * minutes, 15% uniform in [5, 30), 5% uniform in [30, 60]. `scale` multiplies the result, so a
 * test can compress time. Deterministic for a given generator state.
 */
inline Micros DrawPublicationDelay(Random& random, double scale) {
  constexpr double kMinute = 60.0 * kMicrosPerSecond;
  const double segment = random.Unit();
  const double within = random.Unit();
  double minutes = 0;
  if (segment < 0.80) {
    minutes = 1 + 4 * within;
  } else if (segment < 0.95) {
    minutes = 5 + 25 * within;
  } else {
    minutes = 30 + 30 * within;
  }
  return static_cast<Micros>(minutes * kMinute * scale);
}

/** Upper edges, in minutes of unscaled delay, of the `by_delay` buckets of /stats; the last
 *  bucket is open. A status change's final state can be up to 120 minutes late (two delays). */
constexpr double kDelayBucketEdges[] = {1, 5, 15, 30, 45, 60, 90, 120};
constexpr std::size_t kDelayBuckets = sizeof kDelayBucketEdges / sizeof kDelayBucketEdges[0] + 1;

}  // namespace mtsim
