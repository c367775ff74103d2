#include "sekoia/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace sekoia {

bool IsRetryableStatus(int status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

std::chrono::milliseconds Backoff::Ceiling(int retry) const {
  const std::chrono::milliseconds max = std::max(options_.max, std::chrono::milliseconds(0));
  std::chrono::milliseconds ceiling =
      std::clamp(options_.initial, std::chrono::milliseconds(0), max);
  // Doubled step by step, never multiplied by 2^n: the collector counts its failures without end,
  // and a shift would overflow long before the cap stops it.
  for (int i = 1; i < retry && ceiling > std::chrono::milliseconds(0) && ceiling < max; ++i) {
    ceiling = ceiling > max / 2 ? max : ceiling * 2;
  }
  return ceiling;
}

std::chrono::milliseconds Backoff::Delay(int retry) const {
  const long long ceiling = Ceiling(retry).count();
  const long long floor = ceiling / 2;
  const long long span = ceiling - floor;
  // Drawn over the span + 1 whole milliseconds [floor, ceiling]: the top of [0, 1) reaches the
  // ceiling itself, so a test's fixed draw gives round numbers at both ends.
  double u = random_.Uniform();
  if (!(u >= 0.0)) u = 0.0;  // also NaN
  if (u >= 1.0) u = std::nextafter(1.0, 0.0);
  const auto drawn = static_cast<long long>(u * static_cast<double>(span + 1));
  return std::chrono::milliseconds(floor + std::min(drawn, span));
}

bool Backoff::GiveUp(int attempts, std::chrono::milliseconds elapsed) const {
  if (options_.max_attempts > 0 && attempts >= options_.max_attempts) return true;
  return options_.max_elapsed > std::chrono::milliseconds(0) && elapsed >= options_.max_elapsed;
}

}  // namespace sekoia
