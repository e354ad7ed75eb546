// A room's replay log chunk (store/event_chunk.cpp): the frames of one
// commit. A corrupted chunk yields what it can, never undefined behaviour;
// it never yields more frames than its count, seqs are consecutive from the first.
#include <cstdint>

#include "fuzz_input.hpp"
#include "store/event_chunk.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  std::uint64_t first = 0;
  for (int i = 0; i < 8; ++i) first = (first << 8) | in.byte();
  const auto chunk = in.rest();
  std::size_t n = 0;
  std::uint64_t expect = first;
  pw::store::read_event_chunk(chunk, first, [&](std::uint64_t seq, std::string frame) {
    PWFUZZ_CHECK(seq == expect);
    ++expect;
    ++n;
    PWFUZZ_CHECK(!frame.empty() || chunk[0] != '\x01');
  });
  // A damaged chunk may promise more frames than it holds: never fewer.
  PWFUZZ_CHECK(n <= pw::store::event_chunk_count(chunk));
  (void)pw::store::event_chunk_time(chunk);

  // What the writer writes, the reader reads back.
  pw::store::event_chunk_writer w(static_cast<std::int64_t>(first % (1ull << 42)));
  std::size_t added = 0;
  pwfuzz::input members(data, size);
  while (!members.empty() && added < 8) {
    auto m = members.until('\n');
    if (m.empty()) continue;  // the writer is given JSON members, never an empty one
    w.add(m);
    ++added;
  }
  std::size_t read = 0;
  pw::store::read_event_chunk(w.bytes(), 1, [&](std::uint64_t, std::string) { ++read; });
  PWFUZZ_CHECK(added == 0 || read == added);
  PWFUZZ_CHECK(pw::store::event_chunk_count(w.bytes()) == added);
  return 0;
}
