// Item ids: ULIDs (48-bit millisecond time + 80 random bits, Crockford
// base32, 26 characters). They sort by creation time, which keeps RocksDB
// keys local and makes the queue FIFO on recovery.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace pw::core {

class id_generator {
 public:
  id_generator();
  // Strictly increasing within one generator, even within one millisecond.
  std::string next(std::int64_t now_ms);
  // In a cluster: an id that carries `slot` (< 1024) in the 10 bits after
  // its time (core/cluster.hpp: slot_of_item). Ids of one slot stay strictly
  // increasing; within one millisecond ids of different slots sort by slot.
  std::string next(std::int64_t now_ms, std::uint32_t slot);

 private:
  std::string make(std::int64_t now_ms, std::optional<std::uint32_t> slot);
  std::mt19937_64 rng_;
  std::int64_t last_ms_ = -1;
  std::array<std::uint8_t, 10> last_random_{};
};

bool looks_like_id(std::string_view s) noexcept;

}  // namespace pw::core
