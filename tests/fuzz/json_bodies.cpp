// The JSON body decoders of every route (net/bodies.cpp): POST /items,
// control actions (empty bodies, retry, rollback), DLQ requeue, and the
// generic object check. Any input must give a value or a clear error, never
// a crash; what is accepted must be within the limits, and an accepted
// object's compact text must be accepted again unchanged.
#include "fuzz_input.hpp"
#include "net/bodies.hpp"

namespace {

pw::core::limits_config small_limits() {
  pw::core::limits_config l;
  l.max_json_depth = 4;
  l.max_text_bytes = 64;
  l.max_title_bytes = 16;
  l.max_metadata_bytes = 64;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pw::core::limits_config defaults{};
  static const pw::core::limits_config tight = small_limits();
  static pw::net::body_parser loose_parser(defaults);
  static pw::net::body_parser tight_parser(tight);

  pwfuzz::input in(data, size);
  const bool use_tight = in.byte() & 1;
  auto& parser = use_tight ? tight_parser : loose_parser;
  const auto& limits = use_tight ? tight : defaults;
  const auto body = in.rest();

  if (auto r = parser.parse_submit(body)) {
    PWFUZZ_CHECK(pw::net::valid_workspace_id(r->workspace));
    PWFUZZ_CHECK(!r->text.empty() && r->text.size() <= limits.max_text_bytes);
    PWFUZZ_CHECK(!r->title || r->title->size() <= limits.max_title_bytes);
    PWFUZZ_CHECK(r->metadata_json.size() <= limits.max_metadata_bytes);
  } else {
    PWFUZZ_CHECK(!r.err().message.empty());
  }
  if (auto r = parser.parse_object(body, true)) {
    auto again = parser.parse_object(r.value(), false);
    PWFUZZ_CHECK(again && again.value() == r.value());
  }
  (void)parser.parse_empty(body);
  if (auto r = parser.parse_retry(body); r && r->has_value())
    PWFUZZ_CHECK(!(*r)->empty() && (*r)->size() <= 64);
  if (auto r = parser.parse_rollback(body)) PWFUZZ_CHECK(!r->empty() && r->size() <= 128);
  if (auto r = parser.parse_requeue(body)) PWFUZZ_CHECK(r->all != !r->ids.empty());
  return 0;
}
