#include "store/record.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "store/bytes.hpp"

namespace pw::store {

namespace {

using bytes::enum_in_range;
using bytes::reader;
using bytes::writer;

constexpr std::uint8_t record_format = 3;
constexpr std::uint8_t delta_format = 1;
constexpr std::uint8_t delta_has_header = 1;
constexpr std::size_t max_log = 10000;

// Times are stored relative to the item's creation (a byte or two instead of
// six); 0 stays "not set".
void put_time(writer& w, std::int64_t t, std::int64_t base) {
  if (t == 0) return w.varint(0);
  const auto d = static_cast<std::int64_t>(static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(base));
  w.varint(((static_cast<std::uint64_t>(d) << 1) ^ static_cast<std::uint64_t>(d >> 63)) + 1);
}

std::int64_t get_time(reader& r, std::int64_t base) {
  auto v = r.varint();
  if (v == 0) return 0;
  --v;
  // Unsigned: a corrupted delta gives a wrong time, never signed overflow.
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + ((v >> 1) ^ (~(v & 1) + 1)));
}

// Status names in history entries, as one byte; anything else is spelled out.
constexpr std::array<std::string_view, 11> status_words = {
    "", "queued", "processing", "paused", "completed", "partial", "failed", "cancelled", "pending", "retrying", "skipped"};
constexpr std::uint8_t spelled = 0xff;

void put_word(writer& w, std::string_view s) {
  for (std::size_t i = 0; i < status_words.size(); ++i)
    if (status_words[i] == s) return w.u8(static_cast<std::uint8_t>(i));
  w.u8(spelled);
  w.str(s);
}

std::string get_word(reader& r) {
  auto code = r.u8();
  if (code == spelled) return r.str();
  if (code >= status_words.size()) return {};
  return std::string(status_words[code]);
}

// The causes the run itself writes, as one byte. Operators' and failures'
// causes carry details and are spelled out.
constexpr std::array<std::string_view, 9> cause_words = {"",
                                                          "accepted",
                                                          "started",
                                                          "dependencies completed",
                                                          "retry",
                                                          "every stage completed",
                                                          "some stages did not complete",
                                                          "attempt interrupted by a restart",
                                                          "resumed"};
constexpr std::uint8_t cause_succeeded = 0xfe;  // "attempt <attempt> succeeded"

void put_cause(writer& w, const core::history_entry& e) {
  for (std::size_t i = 0; i < cause_words.size(); ++i)
    if (cause_words[i] == e.cause) return w.u8(static_cast<std::uint8_t>(i));
  if (e.cause == fmt::format("attempt {} succeeded", e.attempt)) return w.u8(cause_succeeded);
  w.u8(spelled);
  w.str(e.cause);
}

std::string get_cause(reader& r, std::uint32_t attempt) {
  auto code = r.u8();
  if (code == spelled) return r.str();
  if (code == cause_succeeded) return fmt::format("attempt {} succeeded", attempt);
  if (code >= cause_words.size()) return {};
  return std::string(cause_words[code]);
}

// A history entry names its stage by its place in the stages written before
// it (the record's, or the delta's changed ones): a byte instead of the name.
using stage_names = std::vector<const std::string*>;

void put_stage_ref(writer& w, const std::string& stage, const stage_names& names) {
  if (stage.empty()) return w.varint(0);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (*names[i] == stage) return w.varint(i + 1);
  w.varint(names.size() + 1);
  w.str(stage);
}

std::string get_stage_ref(reader& r, const stage_names& names) {
  auto code = r.varint();
  if (code == 0) return {};
  if (code <= names.size()) return *names[code - 1];
  return r.str();
}

stage_names names_of(const std::vector<named_stage>& stages) {
  stage_names out;
  for (const auto& s : stages) out.push_back(&s.name);
  return out;
}

void put_entry(writer& w, const core::history_entry& e, std::int64_t base, const stage_names& names) {
  put_time(w, e.at_ms, base);
  put_stage_ref(w, e.stage, names);
  put_word(w, e.from);
  put_word(w, e.to);
  w.varint(e.attempt);
  put_cause(w, e);
}

core::history_entry get_entry(reader& r, std::int64_t base, const stage_names& names) {
  core::history_entry e;
  e.at_ms = get_time(r, base);
  e.stage = get_stage_ref(r, names);
  e.from = get_word(r);
  e.to = get_word(r);
  e.attempt = static_cast<std::uint32_t>(r.varint());
  e.cause = get_cause(r, e.attempt);
  return e;
}

void put_stage(writer& w, const named_stage& n, std::int64_t base) {
  const auto& st = n.state;
  w.str(n.name);
  w.u8(static_cast<std::uint8_t>(st.status));
  w.varint(st.attempts);
  put_time(w, st.started_at_ms, base);
  put_time(w, st.finished_at_ms, base);
  put_time(w, st.next_due_ms, base);
  w.str(st.error);
  w.u8(st.letter_open ? 1 : 0);
  w.varint(st.log.size());
  for (const auto& a : st.log) {
    w.varint(a.attempt);
    put_time(w, a.started_at_ms, base);
    put_time(w, a.ended_at_ms, base);
    w.u8(static_cast<std::uint8_t>(a.outcome));
    w.str(a.error);
  }
}

bool get_stage(reader& r, named_stage& n, std::int64_t base) {
  auto& st = n.state;
  n.name = r.str();
  auto status = r.u8();
  if (!enum_in_range(status, core::stage_status::skipped)) return false;
  st.status = static_cast<core::stage_status>(status);
  st.attempts = static_cast<std::uint32_t>(r.varint());
  st.started_at_ms = get_time(r, base);
  st.finished_at_ms = get_time(r, base);
  st.next_due_ms = get_time(r, base);
  st.error = r.str();
  st.letter_open = r.u8() != 0;
  auto n_log = r.count();
  if (n_log > max_log) return false;
  st.log.clear();
  for (std::uint64_t k = 0; k < n_log && r.ok(); ++k) {
    core::attempt_record a;
    a.attempt = static_cast<std::uint32_t>(r.varint());
    a.started_at_ms = get_time(r, base);
    a.ended_at_ms = get_time(r, base);
    auto outcome = r.u8();
    if (!enum_in_range(outcome, core::attempt_outcome::interrupted)) return false;
    a.outcome = static_cast<core::attempt_outcome>(outcome);
    a.error = r.str();
    st.log.push_back(std::move(a));
  }
  return r.ok();
}

void put_header(writer& w, const state_header& h, std::int64_t base) {
  w.u8(static_cast<std::uint8_t>(h.status));
  put_time(w, h.started_at_ms, base);
  put_time(w, h.completed_at_ms, base);
  w.varint(h.history_seq);
}

bool get_header(reader& r, state_header& h, std::int64_t base) {
  auto status = r.u8();
  if (!enum_in_range(status, core::item_status::cancelled)) return false;
  h.status = static_cast<core::item_status>(status);
  h.started_at_ms = get_time(r, base);
  h.completed_at_ms = get_time(r, base);
  h.history_seq = static_cast<std::uint32_t>(r.varint());
  return r.ok();
}

void upsert_stage(std::vector<named_stage>& stages, named_stage&& n) {
  for (auto& s : stages)
    if (s.name == n.name) return void(s.state = std::move(n.state));
  stages.push_back(std::move(n));
}

void upsert_result(std::vector<std::pair<std::string, std::string>>& results, std::string stage, std::string json) {
  for (auto& [name, value] : results)
    if (name == stage) return void(value = std::move(json));
  results.emplace_back(std::move(stage), std::move(json));
}

}  // namespace

core::item_state item_record::state_for(const core::pipeline& p) const {
  core::item_state s;
  s.status = header.status;
  s.started_at_ms = header.started_at_ms;
  s.completed_at_ms = header.completed_at_ms;
  s.history_seq = header.history_seq;
  s.stages.assign(p.size(), core::stage_state{});
  for (const auto& n : stages)
    if (auto i = p.index_of(n.name)) s.stages[*i] = n.state;
  return s;
}

const std::string* item_record::result(std::string_view stage) const {
  for (const auto& [name, json] : results)
    if (name == stage) return &json;
  return nullptr;
}

item_record make_record(const core::item& it, const core::pipeline& p, const core::item_state& s,
                        std::vector<core::history_entry> history) {
  item_record r;
  r.item = it;
  r.header = state_header{s.status, s.started_at_ms, s.completed_at_ms, s.history_seq};
  // A stage that has not moved yet (pending, nothing else) is not stored:
  // state_for() gives it back as such, and its first delta adds it.
  for (std::size_t i = 0; i < p.size() && i < s.stages.size(); ++i)
    if (!(s.stages[i] == core::stage_state{})) r.stages.push_back({p.stages()[i].name, s.stages[i]});
  r.history = std::move(history);
  return r;
}

std::string encode_record(const item_record& rec) {
  writer w;
  const auto& it = rec.item;
  const auto base = it.created_at_ms;
  w.u8(record_format);
  w.str(it.id);
  w.str(it.owner);
  w.str(it.workspace);
  w.str(it.pipeline);
  w.u8(it.title ? 1 : 0);
  if (it.title) w.str(*it.title);
  w.str(it.text);
  w.str(it.metadata_json);
  w.i64(it.created_at_ms);
  put_header(w, rec.header, base);
  w.varint(rec.stages.size());
  for (const auto& n : rec.stages) put_stage(w, n, base);
  w.varint(rec.results.size());
  for (const auto& [stage, json] : rec.results) {
    w.str(stage);
    w.str(json);
  }
  w.varint(rec.history.size());
  const auto names = names_of(rec.stages);
  for (const auto& e : rec.history) put_entry(w, e, base, names);
  return std::move(w.out);
}

std::optional<item_record> decode_record(std::string_view bytes) {
  reader r(bytes);
  if (r.u8() != record_format) return std::nullopt;
  item_record rec;
  auto& it = rec.item;
  it.id = r.str();
  it.owner = r.str();
  it.workspace = r.str();
  it.pipeline = r.str();
  if (r.u8() != 0) it.title = r.str();
  it.text = r.str();
  it.metadata_json = r.str();
  it.created_at_ms = r.i64();
  const auto base = it.created_at_ms;
  if (!r.ok() || !get_header(r, rec.header, base)) return std::nullopt;
  auto n = r.count();
  rec.stages.resize(n);
  for (auto& s : rec.stages)
    if (!get_stage(r, s, base)) return std::nullopt;
  n = r.count();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    auto stage = r.str();
    rec.results.emplace_back(std::move(stage), r.str());
  }
  n = r.count();
  const auto names = names_of(rec.stages);
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) rec.history.push_back(get_entry(r, base, names));
  if (!r.ok() || !r.done()) return std::nullopt;
  return rec;
}

std::optional<core::item_status> decode_record_status(std::string_view bytes) {
  reader r(bytes);
  if (r.u8() != record_format) return std::nullopt;
  for (int i = 0; i < 4; ++i) r.view();  // id, owner, workspace, pipeline
  if (r.u8() != 0) r.view();
  r.view();  // text
  r.view();  // metadata
  r.i64();
  auto status = r.u8();
  if (!r.ok() || !enum_in_range(status, core::item_status::cancelled)) return std::nullopt;
  return static_cast<core::item_status>(status);
}

std::string encode_delta(const record_delta& d, std::int64_t base) {
  writer w;
  w.u8(delta_format);
  w.u8(d.header ? delta_has_header : 0);
  if (d.header) put_header(w, *d.header, base);
  w.varint(d.stages.size());
  for (const auto& n : d.stages) put_stage(w, n, base);
  w.varint(d.results_set.size());
  for (const auto& [stage, json] : d.results_set) {
    w.str(stage);
    w.str(json);
  }
  w.varint(d.results_erased.size());
  for (const auto& stage : d.results_erased) w.str(stage);
  w.varint(d.history.size());
  const auto names = names_of(d.stages);
  for (const auto& e : d.history) put_entry(w, e, base, names);
  return std::move(w.out);
}

bool apply_delta(item_record& rec, std::string_view bytes) {
  const auto base = rec.item.created_at_ms;
  reader r(bytes);
  if (r.u8() != delta_format) return false;
  record_delta d;
  const auto flags = r.u8();
  if (flags & delta_has_header) {
    d.header.emplace();
    if (!get_header(r, *d.header, base)) return false;
  }
  auto n = r.count();
  d.stages.resize(n);
  for (auto& s : d.stages)
    if (!get_stage(r, s, base)) return false;
  n = r.count();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    auto stage = r.str();
    d.results_set.emplace_back(std::move(stage), r.str());
  }
  n = r.count();
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) d.results_erased.push_back(r.str());
  n = r.count();
  const auto names = names_of(d.stages);
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) d.history.push_back(get_entry(r, base, names));
  if (!r.ok() || !r.done()) return false;

  if (d.header) rec.header = *d.header;
  for (auto& s : d.stages) upsert_stage(rec.stages, std::move(s));
  for (const auto& stage : d.results_erased)
    rec.results.erase(std::remove_if(rec.results.begin(), rec.results.end(), [&](const auto& p) { return p.first == stage; }),
                      rec.results.end());
  for (auto& [stage, json] : d.results_set) upsert_result(rec.results, std::move(stage), std::move(json));
  for (auto& e : d.history) rec.history.push_back(std::move(e));
  return true;
}

}  // namespace pw::store
