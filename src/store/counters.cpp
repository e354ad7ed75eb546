#include "store/counters.hpp"

#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "store/bytes.hpp"

namespace pw::store {

namespace {
constexpr std::uint8_t named_format = 1;  // (field, value) pairs
constexpr std::uint8_t fixed_format = 2;  // the known fields' values in order, then other (field, value) pairs

std::string name_of(std::string_view workspace, std::string_view field) {
  std::string k = workspace.empty() ? std::string("all") : "ws/" + std::string(workspace);
  k += '/';
  k += field;
  return k;
}

// The fields every workspace has, in the order of counter_pack's array and
// of the fixed record format.
const std::vector<std::string>& known_fields() {
  static const std::vector<std::string> fields = [] {
    std::vector<std::string> f;
    for (auto s : core::all_item_statuses) f.emplace_back(core::to_string(s));
    f.emplace_back("delayed");
    f.emplace_back("dlq");
    f.emplace_back("duration/count");
    f.emplace_back("duration/sum");
    for (auto b : duration_buckets_ms) f.push_back("duration/le_" + std::to_string(b));
    f.emplace_back("duration/le_inf");
    if (f.size() != counter_pack::known_count) throw std::logic_error("counter_pack: known fields changed");
    return f;
  }();
  return fields;
}

// The array index of a known field, or -1.
int index_of(std::string_view field) {
  static const std::unordered_map<std::string_view, int> index = [] {
    std::unordered_map<std::string_view, int> m;
    const auto& f = known_fields();
    for (std::size_t i = 0; i < f.size(); ++i) m.emplace(f[i], static_cast<int>(i));
    return m;
  }();
  auto it = index.find(field);
  return it == index.end() ? -1 : it->second;
}
}  // namespace

std::string counter_pack_key(std::string_view workspace) { return std::string(counter_pack_prefix) + std::string(workspace); }

std::int64_t counter_pack::get(std::string_view field) const {
  if (auto i = index_of(field); i >= 0) return known_[static_cast<std::size_t>(i)];
  auto it = other_.find(field);
  return it == other_.end() ? 0 : it->second;
}

namespace {

// Two's-complement arithmetic without signed overflow (undefined behaviour):
// a corrupted pack read from disk adds garbage, never UB (counters fuzz target).
std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace

void counter_pack::add(std::string_view field, std::int64_t delta) {
  if (auto i = index_of(field); i >= 0) known_[static_cast<std::size_t>(i)] = wrapping_add(known_[static_cast<std::size_t>(i)], delta);
  else if (auto it = other_.find(field); it != other_.end()) it->second = wrapping_add(it->second, delta);
  else other_.emplace(std::string(field), delta);
}

void counter_pack::set(std::string_view field, std::int64_t value) { add(field, wrapping_add(value, -get(field))); }

std::map<std::string, std::int64_t, std::less<>> counter_pack::all() const {
  std::map<std::string, std::int64_t, std::less<>> out;
  const auto& names = known_fields();
  for (std::size_t i = 0; i < known_.size(); ++i)
    if (known_[i]) out.emplace(names[i], known_[i]);
  for (const auto& [field, value] : other_)
    if (value) out.emplace(field, value);
  return out;
}

std::string encode_counter_pack(const counter_pack& p) {
  bytes::writer w;
  w.u8(fixed_format);
  for (auto v : p.known_) w.i64(v);
  // Other fields (provider usage by day, batch request counts) that are
  // zero are left out: a swept day's fields disappear.
  std::size_t others = 0;
  for (const auto& [field, value] : p.other_) others += value != 0 ? 1 : 0;
  w.varint(others);
  for (const auto& [field, value] : p.other_) {
    if (value == 0) continue;
    w.str(field);
    w.i64(value);
  }
  return std::move(w.out);
}

std::optional<counter_pack> decode_counter_pack(std::string_view in) {
  bytes::reader r(in);
  const auto format = r.u8();
  if (format != named_format && format != fixed_format) return std::nullopt;
  counter_pack p;
  if (format == fixed_format)
    for (auto& v : p.known_) v = r.i64();
  auto n = r.count();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    auto field = r.str();
    p.add(field, r.i64());
  }
  if (!r.ok() || !r.done()) return std::nullopt;
  return p;
}

std::string status_counter(std::string_view workspace, core::item_status s) { return name_of(workspace, core::to_string(s)); }
std::string delayed_counter(std::string_view workspace) { return name_of(workspace, "delayed"); }
std::string dead_letters_counter(std::string_view workspace) { return name_of(workspace, "dlq"); }
std::string duration_counter(std::string_view workspace, std::string_view part) {
  return name_of(workspace, "duration/" + std::string(part));
}

std::optional<counter_name> parse_counter_name(std::string_view name) {
  if (name.substr(0, 4) == "all/" && name.size() > 4) return counter_name{{}, std::string(name.substr(4))};
  if (name.substr(0, 3) != "ws/") return std::nullopt;
  auto rest = name.substr(3);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return std::nullopt;
  return counter_name{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

}  // namespace pw::store
