// The Socket.IO v4 wire format over Engine.IO v4, written by hand (no
// Debian package provides a C++ Socket.IO server): Engine.IO packets are a
// type digit and data (0 open, 1 close, 2 ping, 3 pong, 4 message, 5
// upgrade, 6 noop), joined by \x1e in a long-polling payload; a Socket.IO
// packet rides in a message: a type digit (0 CONNECT, 1 DISCONNECT, 2 EVENT,
// 3 ACK, 4 CONNECT_ERROR, 5/6 binary), an optional "/namespace,", an optional
// ack id, and JSON. Plain C++, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::net::sio {

enum class eio : char { open = '0', close = '1', ping = '2', pong = '3', message = '4', upgrade = '5', noop = '6' };

struct eio_packet {
  eio type = eio::noop;
  std::string data;
};

// "4hello" -> {message, "hello"}; nullopt for a packet Engine.IO does not define.
std::optional<eio_packet> parse_eio(std::string_view text);
std::string encode_eio(eio type, std::string_view data = {});
// A long-polling payload: packets separated by the record separator \x1e.
std::vector<std::string_view> split_payload(std::string_view body);
std::string join_payload(const std::vector<std::string>& packets);

// 0{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}
std::string open_packet(std::string_view sid, bool can_upgrade, std::int64_t ping_interval_ms,
                        std::int64_t ping_timeout_ms, std::size_t max_payload);

enum class sio_type : char { connect = '0', disconnect = '1', event = '2', ack = '3', connect_error = '4',
                             binary_event = '5', binary_ack = '6' };

struct sio_packet {
  sio_type type = sio_type::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> ack_id;
  std::string json;  // the payload's JSON text, "" when absent
};

// nullopt for a malformed packet.
std::optional<sio_packet> parse_sio(std::string_view text);
// The Engine.IO message carrying a Socket.IO packet ("42[...]").
std::string encode_sio(sio_type type, std::string_view json, std::string_view nsp = "/");
// 42["<name>",<json>]
std::string event_message(std::string_view name, std::string_view json);

// A random session id (base64url, 20 characters).
std::string new_sid();

}  // namespace pw::net::sio
