#include "core/asset.hpp"

#include <fmt/format.h>

namespace pw::core {

std::string_view to_string(asset_status s) noexcept {
  switch (s) {
    case asset_status::draft: return "draft";
    case asset_status::processing: return "processing";
    case asset_status::active: return "active";
    case asset_status::failed: return "failed";
  }
  return "draft";
}

std::optional<asset_status> parse_asset_status(std::string_view s) noexcept {
  for (auto a : all_asset_statuses)
    if (to_string(a) == s) return a;
  return std::nullopt;
}

std::string asset_word(asset_status s) { return "asset:" + std::string(to_string(s)); }

std::optional<asset_status> parse_asset_word(std::string_view word) noexcept {
  constexpr std::string_view prefix = "asset:";
  if (word.substr(0, prefix.size()) != prefix) return std::nullopt;
  return parse_asset_status(word.substr(prefix.size()));
}

asset_status asset_status_of(item_status s) noexcept {
  switch (s) {
    case item_status::queued:
    case item_status::processing:
    case item_status::paused: return asset_status::processing;
    case item_status::completed: return asset_status::active;
    case item_status::partial:
    case item_status::failed:
    case item_status::cancelled: return asset_status::failed;
  }
  return asset_status::processing;
}

bool transition_allowed(std::optional<asset_status> from, asset_status to) noexcept {
  using a = asset_status;
  if (!from) return to == a::draft;
  switch (*from) {
    case a::draft: return to == a::processing || to == a::failed;
    case a::processing: return to == a::active || to == a::failed;
    case a::active:
    case a::failed: return to == a::processing;
  }
  return false;
}

result<history_entry> asset_transition(std::optional<asset_status> from, asset_status to, std::int64_t now_ms,
                                       std::string cause) {
  if (!transition_allowed(from, to))
    return make_error(errc::invalid_transition, fmt::format("an asset cannot go from {} to {}",
                                                            from ? to_string(*from) : std::string_view("nothing"), to_string(to)));
  return history_entry{now_ms, {}, from ? asset_word(*from) : std::string(), asset_word(to), 0, std::move(cause)};
}

}  // namespace pw::core
