#include "net/sio_protocol.hpp"

#include <random>

#include <fmt/format.h>

#include "core/json.hpp"

namespace pw::net::sio {

std::optional<eio_packet> parse_eio(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  return eio_packet{static_cast<eio>(text[0]), std::string(text.substr(1))};
}

std::string encode_eio(eio type, std::string_view data) {
  std::string out(1, static_cast<char>(type));
  out += data;
  return out;
}

std::vector<std::string_view> split_payload(std::string_view body) {
  std::vector<std::string_view> out;
  while (true) {
    auto sep = body.find('\x1e');
    out.push_back(body.substr(0, sep));
    if (sep == std::string_view::npos) break;
    body.remove_prefix(sep + 1);
  }
  return out;
}

std::string join_payload(const std::vector<std::string>& packets) {
  std::string out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i) out += '\x1e';
    out += packets[i];
  }
  return out;
}

std::string open_packet(std::string_view sid, bool can_upgrade, std::int64_t ping_interval_ms,
                        std::int64_t ping_timeout_ms, std::size_t max_payload) {
  std::string out = "0{\"sid\":";
  core::append_json_string(out, sid);
  out += fmt::format(",\"upgrades\":{},\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
                     can_upgrade ? "[\"websocket\"]" : "[]", ping_interval_ms, ping_timeout_ms, max_payload);
  return out;
}

std::optional<sio_packet> parse_sio(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  sio_packet p;
  p.type = static_cast<sio_type>(text[0]);
  std::size_t i = 1;
  // Binary packets carry their attachment count: "51-..." (refused later).
  if (p.type == sio_type::binary_event || p.type == sio_type::binary_ack) {
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i >= text.size() || text[i] != '-') return std::nullopt;
    ++i;
  }
  if (i < text.size() && text[i] == '/') {
    auto comma = text.find(',', i);
    if (comma == std::string_view::npos) {
      p.nsp = std::string(text.substr(i));
      return p;
    }
    p.nsp = std::string(text.substr(i, comma - i));
    i = comma + 1;
  }
  std::size_t digits = 0;
  std::uint64_t id = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 18) {
    id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
    ++digits;
  }
  if (digits) p.ack_id = id;
  // Socket.IO payloads are a JSON object (connect, connect_error) or array
  // (event, ack). Anything else is malformed, and a payload that began with
  // '/' would read back as a namespace once encoded (found by fuzz_sio).
  if (i < text.size() && text[i] != '[' && text[i] != '{') return std::nullopt;
  p.json = std::string(text.substr(i));
  return p;
}

std::string encode_sio(sio_type type, std::string_view json, std::string_view nsp) {
  std::string out = "4";
  out += static_cast<char>(type);
  if (nsp != "/") {
    out += nsp;
    out += ',';
  }
  out += json;
  return out;
}

std::string event_message(std::string_view name, std::string_view json) {
  std::string out = "42[";
  core::append_json_string(out, name);
  out += ',';
  out += json;
  out += ']';
  return out;
}

std::string new_sid() {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (int i = 0; i < 20; ++i) out += alphabet[rng() % 64];
  return out;
}

}  // namespace pw::net::sio
