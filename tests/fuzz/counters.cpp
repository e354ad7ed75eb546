// The per-workspace counter record (store/counters.cpp) and counter names.
// A corrupted record decodes to nullopt; what decodes encodes back to itself.
#include "fuzz_input.hpp"
#include "store/counters.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  const auto mode = in.byte() & 1;
  const auto bytes = in.rest();
  if (mode == 0) {
    if (auto p = pw::store::decode_counter_pack(bytes)) {
      auto again = pw::store::decode_counter_pack(pw::store::encode_counter_pack(*p));
      PWFUZZ_CHECK(again && again->all() == p->all());
    }
  } else if (auto n = pw::store::parse_counter_name(bytes)) {
    PWFUZZ_CHECK(!n->field.empty());
    // A parsed name is rebuilt by the functions that make names.
    auto rebuilt = n->workspace.empty() ? "all/" + n->field : "ws/" + n->workspace + "/" + n->field;
    PWFUZZ_CHECK(rebuilt == bytes);
  }
  return 0;
}
