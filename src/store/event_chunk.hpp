// A room's replay log is stored in chunks: the events one commit added to
// the room, under the seq of the first. A chunk holds the commit time once
// and each event's members after "seq" and "at"; a frame is rebuilt as
// {"seq":N,"at":"...",<members>}. Chunks written by store format 2 hold whole
// frames, one a line, and still read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::store {

class event_chunk_writer {
 public:
  explicit event_chunk_writer(std::int64_t commit_ms);
  void add(std::string_view members);  // one event's members, e.g. "\"type\":\"item.completed\",..."
  const std::string& bytes() const noexcept { return out_; }
  std::size_t size() const noexcept { return count_; }

 private:
  std::string out_;
  std::size_t count_ = 0;
};

// A frame as clients get it.
std::string make_frame(std::uint64_t seq, std::string_view at_iso, std::string_view members);

// Calls fn(seq, frame) for each event of the chunk stored under `first_seq`.
void read_event_chunk(std::string_view chunk, std::uint64_t first_seq,
                      const std::function<void(std::uint64_t seq, std::string frame)>& fn);
// How many events the chunk holds, and when it was committed (-1: unknown).
std::size_t event_chunk_count(std::string_view chunk);
std::int64_t event_chunk_time(std::string_view chunk);

}  // namespace pw::store
