// The listing cursor decoder and the request target parser (net/api_common,
// net/http_types): ?cursor= is client input that reaches the store as a key.
// A cursor either decodes to something that starts with an item id or is a
// 400; every decoded cursor encodes back to itself.
#include "fuzz_input.hpp"
#include "net/api_common.hpp"
#include "net/http_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  const auto text = in.rest();

  if (auto raw = pw::net::decode_cursor(text)) {
    PWFUZZ_CHECK(raw->size() >= 26 && raw->size() <= 128);
    // Decoding drops trailing bits; a cursor the API returns has none.
    auto again = pw::net::decode_cursor(pw::net::encode_cursor(raw.value()));
    PWFUZZ_CHECK(again && again.value() == raw.value());
  }
  // Whatever the API encodes, it decodes (when it starts like an id).
  auto encoded = pw::net::encode_cursor(text);
  if (auto back = pw::net::decode_cursor(encoded)) PWFUZZ_CHECK(back.value() == text);

  pw::net::http_request req;
  if (pw::net::parse_target(text, req.path, req.query)) {
    PWFUZZ_CHECK(!req.path.empty() && req.path.front() == '/');
    (void)pw::net::parse_limit(req, 50, 200);
    (void)pw::net::cursor_of(req);
  }
  return 0;
}
