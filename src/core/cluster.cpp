#include "core/cluster.hpp"

namespace pw::core {

namespace {

// SplitMix64's finaliser: spreads FNV's output over every bit.
std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

int crockford(char c) noexcept {
  constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  auto at = alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

std::uint64_t stable_hash(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return mix(h);
}

std::uint32_t slot_of_workspace(std::string_view workspace, std::uint32_t slots) noexcept {
  return slots == 0 ? 0 : static_cast<std::uint32_t>(stable_hash(workspace) % slots);
}

std::uint32_t slot_of_room(std::string_view room, std::uint32_t slots) noexcept {
  // Rooms and workspaces share the slots but not the hash: a user named
  // like a workspace need not live with it.
  std::string key = "room:";
  key += room;
  return slots == 0 ? 0 : static_cast<std::uint32_t>(stable_hash(key) % slots);
}

std::optional<std::uint32_t> slot_of_item(std::string_view id, std::uint32_t slots) noexcept {
  if (id.size() != 26) return std::nullopt;
  // Characters 10 and 11 are the first 10 bits after the 48-bit time.
  const int hi = crockford(id[10]), lo = crockford(id[11]);
  if (hi < 0 || lo < 0) return std::nullopt;
  const auto slot = static_cast<std::uint32_t>(hi << 5 | lo);
  if (slot >= slots) return std::nullopt;
  return slot;
}

std::string rendezvous_owner(std::uint32_t slot, const std::vector<std::string>& nodes) {
  std::string best;
  std::uint64_t best_score = 0;
  for (const auto& n : nodes) {
    const auto score = mix(stable_hash(n) ^ mix(0x9e3779b97f4a7c15ull * (slot + 1)));
    if (best.empty() || score > best_score || (score == best_score && n < best)) {
      best = n;
      best_score = score;
    }
  }
  return best;
}

bool valid_node_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace pw::core
