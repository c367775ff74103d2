#pragma once

#include <cstdint>
#include <string>

namespace mtsim {

/**
 * Small deterministic generator (splitmix64 seeding, xoshiro256**). Same seed, same
 * sequence, on every platform and standard library, unlike std::*_distribution.
 * Not thread-safe.
 */
class Random final {
 public:
  explicit Random(std::uint64_t seed) {
    for (auto& word : state_) word = SplitMix(seed);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  /** Uniform in [0, n); n > 0. The modulo bias is negligible for the small n used here. */
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

  /** Uniform in [0, 1). */
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  bool Chance(double probability) { return Unit() < probability; }

  /** A version-4 GUID, lower-case `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
  std::string Guid() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits[2] = {Next(), Next()};
    std::string guid(36, '-');
    int nibble = 0;
    for (size_t i = 0; i < guid.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23) continue;
      unsigned value = static_cast<unsigned>(bits[nibble / 16] >> (4 * (nibble % 16))) & 0xF;
      if (i == 14) value = 4;                  // version
      if (i == 19) value = 8 | (value & 0x3);  // RFC 4122 variant
      guid[i] = kHex[value];
      ++nibble;
    }
    return guid;
  }

  /** Uniform in [lo, hi]. */
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

 private:
  static std::uint64_t SplitMix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t state_[4];
};

}  // namespace mtsim
