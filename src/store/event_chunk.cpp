#include "store/event_chunk.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "store/bytes.hpp"

namespace pw::store {

namespace {
constexpr char chunk_format = '\x01';  // a format-2 chunk starts with '{'

// The commit time of a whole frame: {"seq":N,"at":"...",...}; -1 if none.
std::int64_t frame_time(std::string_view frame) {
  auto at = frame.find("\"at\":\"");
  if (at == std::string_view::npos || at + 30 > frame.size()) return -1;
  return core::parse_iso8601(frame.substr(at + 6, 24));
}

// Splits after the header: the members of each event, '\n'-separated (JSON
// text has no raw newlines).
template <class F>
void for_each_line(std::string_view v, F fn) {
  while (!v.empty()) {
    auto nl = v.find('\n');
    fn(v.substr(0, nl));
    if (nl == std::string_view::npos) break;
    v.remove_prefix(nl + 1);
  }
}

// After the format byte: the commit time, then the events.
std::string_view body_of(std::string_view chunk, std::int64_t& at_ms) {
  bytes::reader r(chunk.substr(1));
  at_ms = r.i64();
  return r.ok() ? r.rest() : std::string_view();
}
}  // namespace

event_chunk_writer::event_chunk_writer(std::int64_t commit_ms) {
  out_.push_back(chunk_format);
  bytes::writer w;
  w.i64(commit_ms);
  out_ += w.out;
}

void event_chunk_writer::add(std::string_view members) {
  if (count_++) out_ += '\n';
  out_ += members;
}

std::string make_frame(std::uint64_t seq, std::string_view at_iso, std::string_view members) {
  std::string f;
  f.reserve(members.size() + 64);
  f += "{\"seq\":";
  f += std::to_string(seq);
  f += ",\"at\":\"";
  f += at_iso;
  f += "\",";
  f += members;
  f += '}';
  return f;
}

void read_event_chunk(std::string_view chunk, std::uint64_t first_seq,
                      const std::function<void(std::uint64_t seq, std::string frame)>& fn) {
  auto seq = first_seq;
  if (chunk.empty()) return;
  if (chunk[0] != chunk_format) {
    for_each_line(chunk, [&](std::string_view frame) { fn(seq++, std::string(frame)); });
    return;
  }
  std::int64_t at_ms = 0;
  auto body = body_of(chunk, at_ms);
  const auto at = core::iso8601(at_ms);
  for_each_line(body, [&](std::string_view members) { fn(seq, make_frame(seq, at, members)), ++seq; });
}

std::size_t event_chunk_count(std::string_view chunk) {
  if (chunk.empty()) return 0;
  std::int64_t at_ms = 0;
  auto body = chunk[0] == chunk_format ? body_of(chunk, at_ms) : chunk;
  return body.empty() ? 0 : 1 + static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
}

std::int64_t event_chunk_time(std::string_view chunk) {
  if (chunk.empty()) return -1;
  if (chunk[0] != chunk_format) {
    auto last = chunk.rfind('\n');
    return frame_time(last == std::string_view::npos ? chunk : chunk.substr(last + 1));
  }
  std::int64_t at_ms = 0;
  body_of(chunk, at_ms);
  return at_ms;
}

}  // namespace pw::store
