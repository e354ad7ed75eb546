#include "store/codec.hpp"

#include <cstdint>

#include "store/bytes.hpp"

namespace pw::store {

namespace {

constexpr std::uint8_t item_format = 1;
constexpr std::uint8_t state_format = 2;  // 2: stage_state.letter_open
constexpr std::uint8_t history_format = 1;        // one entry (records written before chunks)
constexpr std::uint8_t history_chunk_format = 2;  // the entries of one write, in order

using bytes::enum_in_range;
using bytes::reader;
using bytes::writer;

}  // namespace

std::string encode_item(const core::item& it) {
  writer w;
  w.u8(item_format);
  w.str(it.id);
  w.str(it.owner);
  w.str(it.workspace);
  w.str(it.pipeline);
  w.u8(it.title ? 1 : 0);
  w.str(it.title.value_or(""));
  w.str(it.text);
  w.str(it.metadata_json);
  w.i64(it.created_at_ms);
  return std::move(w.out);
}

std::optional<core::item> decode_item(std::string_view bytes) {
  reader r(bytes);
  if (r.u8() != item_format) return std::nullopt;
  core::item it;
  it.id = r.str();
  it.owner = r.str();
  it.workspace = r.str();
  it.pipeline = r.str();
  bool has_title = r.u8() != 0;
  auto title = r.str();
  if (has_title) it.title = std::move(title);
  it.text = r.str();
  it.metadata_json = r.str();
  it.created_at_ms = r.i64();
  if (!r.ok() || !r.done()) return std::nullopt;
  return it;
}

std::string encode_state(const core::pipeline& p, const core::item_state& s) {
  writer w;
  w.u8(state_format);
  w.u8(static_cast<std::uint8_t>(s.status));
  w.i64(s.started_at_ms);
  w.i64(s.completed_at_ms);
  w.varint(s.history_seq);
  w.varint(s.stages.size());
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const auto& st = s.stages[i];
    w.str(i < p.size() ? p.stages()[i].name : std::string());
    w.u8(static_cast<std::uint8_t>(st.status));
    w.varint(st.attempts);
    w.i64(st.started_at_ms);
    w.i64(st.finished_at_ms);
    w.i64(st.next_due_ms);
    w.str(st.error);
    w.u8(st.letter_open ? 1 : 0);
    w.varint(st.log.size());
    for (const auto& a : st.log) {
      w.varint(a.attempt);
      w.i64(a.started_at_ms);
      w.i64(a.ended_at_ms);
      w.u8(static_cast<std::uint8_t>(a.outcome));
      w.str(a.error);
    }
  }
  return std::move(w.out);
}

namespace {

bool read_header(reader& r, core::item_state& s, std::uint8_t& format) {
  format = r.u8();
  if (format != 1 && format != state_format) return false;
  auto status = r.u8();
  if (!enum_in_range(status, core::item_status::cancelled)) return false;
  s.status = static_cast<core::item_status>(status);
  s.started_at_ms = r.i64();
  s.completed_at_ms = r.i64();
  s.history_seq = static_cast<std::uint32_t>(r.varint());
  return r.ok();
}

}  // namespace

std::optional<named_state> decode_state_named(std::string_view bytes) {
  reader r(bytes);
  core::item_state s;
  std::uint8_t format = 0;
  if (!read_header(r, s, format)) return std::nullopt;
  named_state out;
  out.header = state_header{s.status, s.started_at_ms, s.completed_at_ms, s.history_seq};
  auto n = r.varint();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    named_stage ns;
    ns.name = r.str();
    auto& st = ns.state;
    auto status = r.u8();
    if (!enum_in_range(status, core::stage_status::skipped)) return std::nullopt;
    st.status = static_cast<core::stage_status>(status);
    st.attempts = static_cast<std::uint32_t>(r.varint());
    st.started_at_ms = r.i64();
    st.finished_at_ms = r.i64();
    st.next_due_ms = r.i64();
    st.error = r.str();
    st.letter_open = format >= 2 ? r.u8() != 0 : st.status == core::stage_status::failed;
    auto attempts = r.varint();
    if (attempts > 10000) return std::nullopt;
    for (std::uint64_t k = 0; k < attempts && r.ok(); ++k) {
      core::attempt_record a;
      a.attempt = static_cast<std::uint32_t>(r.varint());
      a.started_at_ms = r.i64();
      a.ended_at_ms = r.i64();
      auto outcome = r.u8();
      if (!enum_in_range(outcome, core::attempt_outcome::interrupted)) return std::nullopt;
      a.outcome = static_cast<core::attempt_outcome>(outcome);
      a.error = r.str();
      st.log.push_back(std::move(a));
    }
    out.stages.push_back(std::move(ns));
  }
  if (!r.ok() || !r.done()) return std::nullopt;
  return out;
}

std::optional<core::item_state> decode_state(std::string_view bytes, const core::pipeline& p) {
  auto named = decode_state_named(bytes);
  if (!named) return std::nullopt;
  item_record rec;
  rec.header = named->header;
  rec.stages = std::move(named->stages);
  return rec.state_for(p);
}

std::optional<core::item_status> decode_state_status(std::string_view bytes) {
  reader r(bytes);
  core::item_state s;
  std::uint8_t format = 0;
  if (!read_header(r, s, format)) return std::nullopt;
  return s.status;
}

std::string encode_idempotency(const idempotency_record& rec) {
  writer w;
  w.u8(rec.slot ? 2 : 1);  // version 2 adds the slot
  w.str(rec.hash);
  w.varint(static_cast<std::uint64_t>(rec.status));
  w.str(rec.body);
  w.i64(rec.created_ms);
  if (rec.slot) w.varint(*rec.slot);
  return std::move(w.out);
}

std::optional<idempotency_record> decode_idempotency(std::string_view bytes) {
  reader r(bytes);
  const auto version = r.u8();
  if (version != 1 && version != 2) return std::nullopt;
  idempotency_record rec;
  rec.hash = r.str();
  rec.status = static_cast<int>(r.varint());
  rec.body = r.str();
  rec.created_ms = r.i64();
  if (version == 2) rec.slot = static_cast<std::uint32_t>(r.varint());
  if (!r.ok() || !r.done()) return std::nullopt;
  return rec;
}

namespace {
void write_history_fields(writer& w, const core::history_entry& e) {
  w.i64(e.at_ms);
  w.str(e.stage);
  w.str(e.from);
  w.str(e.to);
  w.varint(e.attempt);
  w.str(e.cause);
}

core::history_entry read_history_fields(reader& r) {
  core::history_entry e;
  e.at_ms = r.i64();
  e.stage = r.str();
  e.from = r.str();
  e.to = r.str();
  e.attempt = static_cast<std::uint32_t>(r.varint());
  e.cause = r.str();
  return e;
}
}  // namespace

std::string encode_history(const core::history_entry& e) {
  std::string chunk;
  append_history(chunk, e);
  return chunk;
}

void append_history(std::string& chunk, const core::history_entry& e) {
  writer w;
  w.out = std::move(chunk);
  if (w.out.empty()) w.u8(history_chunk_format);
  write_history_fields(w, e);
  chunk = std::move(w.out);
}

std::optional<std::vector<core::history_entry>> decode_history(std::string_view bytes) {
  reader r(bytes);
  const auto format = r.u8();
  if (!r.ok() || (format != history_format && format != history_chunk_format)) return std::nullopt;
  std::vector<core::history_entry> out;
  do {
    out.push_back(read_history_fields(r));
    if (!r.ok()) return std::nullopt;
  } while (format == history_chunk_format && !r.done());
  if (!r.done()) return std::nullopt;
  return out;
}

}  // namespace pw::store
