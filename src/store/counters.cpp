#include "store/counters.hpp"

#include "store/bytes.hpp"

namespace pw::store {

namespace {
constexpr std::uint8_t pack_format = 1;

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
  w.u8(pack_format);
  w.varint(p.size());
  for (const auto& [field, value] : p) {
    w.str(field);
    w.i64(value);
  }
  return std::move(w.out);
}

std::optional<counter_pack> decode_counter_pack(std::string_view in) {
  bytes::reader r(in);
  if (r.u8() != pack_format) return std::nullopt;
  counter_pack p;
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
