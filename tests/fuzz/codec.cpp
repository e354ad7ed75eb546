// The binary records of store format 2 (store/codec.cpp: item, item state,
// history chunks), which the migration reads from old stores, and the
// idempotency record. A corrupted record must decode to nullopt, never to
// undefined behaviour; what decodes encodes back to the same value.
#include "core/pipeline.hpp"
#include "fuzz_input.hpp"
#include "store/codec.hpp"

namespace {

using namespace pw;

core::pipeline test_pipeline() {
  std::vector<core::stage_spec> specs(3);
  specs[0].name = "embed";
  specs[1].name = "classify";
  specs[1].after = {"embed"};
  specs[2].name = "theme";
  specs[2].after = {"embed"};
  for (auto& s : specs) s.backend = "synthetic";
  return core::build_pipeline("feedback", std::move(specs), "pipelines.feedback.stages").value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const core::pipeline pipe = test_pipeline();
  pwfuzz::input in(data, size);
  const auto mode = in.byte() % 4;
  const auto bytes = in.rest();
  switch (mode) {
    case 0:
      if (auto it = store::decode_item(bytes)) {
        auto again = store::decode_item(store::encode_item(*it));
        PWFUZZ_CHECK(again && again->id == it->id && again->text == it->text && again->title == it->title &&
                     again->created_at_ms == it->created_at_ms && again->metadata_json == it->metadata_json);
      }
      break;
    case 1: {
      auto status = store::decode_state_status(bytes);
      auto named = store::decode_state_named(bytes);
      if (named) PWFUZZ_CHECK(status && *status == named->header.status);
      if (auto s = store::decode_state(bytes, pipe)) {
        PWFUZZ_CHECK(s->stages.size() == pipe.size());
        auto again = store::decode_state(store::encode_state(pipe, *s), pipe);
        PWFUZZ_CHECK(again && again->status == s->status && again->stages == s->stages);
      }
      break;
    }
    case 2:
      if (auto r = store::decode_idempotency(bytes)) {
        auto again = store::decode_idempotency(store::encode_idempotency(*r));
        PWFUZZ_CHECK(again && again->hash == r->hash && again->body == r->body && again->created_ms == r->created_ms);
      }
      break;
    default:
      if (auto h = store::decode_history(bytes)) {
        PWFUZZ_CHECK(!h->empty());
        std::string chunk;
        for (const auto& e : *h) store::append_history(chunk, e);
        auto again = store::decode_history(chunk);
        PWFUZZ_CHECK(again && again->size() == h->size());
      }
  }
  return 0;
}
