// The Socket.IO v4 / Engine.IO v4 wire format (net/sio_protocol), written by
// hand: long-polling payloads, Engine.IO packets and Socket.IO packets from
// a client. Any bytes parse or are refused, never a crash; what parses
// encodes back to a packet that parses the same.
#include <string>

#include "fuzz_input.hpp"
#include "net/sio_protocol.hpp"

namespace sio = pw::net::sio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  for (auto packet : sio::split_payload(in.rest())) {
    PWFUZZ_CHECK(packet.find('\x1e') == std::string_view::npos);
    auto e = sio::parse_eio(packet);
    if (!e) continue;
    auto again = sio::parse_eio(sio::encode_eio(e->type, e->data));
    PWFUZZ_CHECK(again && again->type == e->type && again->data == e->data);
    if (e->type != sio::eio::message) continue;
    auto p = sio::parse_sio(e->data);
    if (!p) continue;
    PWFUZZ_CHECK(!p->nsp.empty() && p->nsp.front() == '/');
    if (p->ack_id || p->type == sio::sio_type::binary_event || p->type == sio::sio_type::binary_ack) continue;
    // A packet we would send back in the same shape reads the same.
    auto out = sio::parse_eio(sio::encode_sio(p->type, p->json, p->nsp));
    PWFUZZ_CHECK(out && out->type == sio::eio::message);
    auto back = sio::parse_sio(out->data);
    PWFUZZ_CHECK(back && back->type == p->type && back->nsp == p->nsp && back->json == p->json);
  }
  return 0;
}
