#include "store/counters.hpp"

#include <algorithm>
#include <vector>

#include "store/bytes.hpp"

namespace pw::store {

namespace {
constexpr std::uint8_t named_format = 1;  // (field, value) pairs
constexpr std::uint8_t fixed_format = 2;  // the known fields' values in order, then other (field, value) pairs

// The fields every workspace has, stored as bare values (a byte or two each).
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
    return f;
  }();
  return fields;
}

std::string name_of(std::string_view workspace, std::string_view field) {
  std::string k = workspace.empty() ? std::string("all") : "ws/" + std::string(workspace);
  k += '/';
  k += field;
  return k;
}
}  // namespace

std::string counter_pack_key(std::string_view workspace) { return std::string(counter_pack_prefix) + std::string(workspace); }

std::string encode_counter_pack(const counter_pack& p) {
  bytes::writer w;
  w.u8(fixed_format);
  const auto& known = known_fields();
  for (const auto& f : known) {
    auto it = p.find(f);
    w.i64(it == p.end() ? 0 : it->second);
  }
  // Other fields (provider usage by day, batch request counts) that are
  // zero are left out: a swept day's fields disappear.
  auto other = [&](const std::string& field, std::int64_t value) {
    return value != 0 && std::find(known.begin(), known.end(), field) == known.end();
  };
  std::size_t others = 0;
  for (const auto& [field, value] : p) others += other(field, value) ? 1 : 0;
  w.varint(others);
  for (const auto& [field, value] : p) {
    if (!other(field, value)) continue;
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
    for (const auto& f : known_fields())
      if (auto v = r.i64(); v != 0) p[f] = v;
  auto n = r.count();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    auto field = r.str();
    p[std::move(field)] = r.i64();
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
