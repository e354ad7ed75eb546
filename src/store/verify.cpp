#include "store/verify.hpp"

#include <map>
#include <set>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "core/json.hpp"
#include "store/codec.hpp"
#include "store/counters.hpp"
#include "store/event_chunk.hpp"
#include "store/rocks.hpp"
#include "store/write_set.hpp"

namespace pw::store {

namespace {

constexpr std::size_t max_problems = 200;

std::string printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') out += static_cast<char>(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

template <class F>
void scan_all(const database::impl& d, cf family, F fn) {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;  // the items family's memtable is hashed by id
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.handle(family)));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    fn(std::string_view(it->key().data(), it->key().size()), std::string_view(it->value().data(), it->value().size()));
}

// The theme an item is listed under, from a stage result (as the supervisor
// does: a non-empty string "theme_id").
std::optional<std::string> theme_of(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto* t = v.as_object().if_contains("theme_id");
  if (!t || !t->is_string() || t->as_string().empty()) return std::nullopt;
  return std::string(t->as_string());
}

struct checker {
  const database::impl& d;
  verify_report& r;

  void problem(std::string what) {
    if (r.problems.size() < max_problems) r.problems.push_back(std::move(what));
    ++r.problem_count;
  }
  bool has(cf family, const std::string& key, std::string* value = nullptr) {
    std::string v;
    auto st = d.db->Get(rocksdb::ReadOptions(), d.handle(family), key, &v);
    if (value) *value = std::move(v);
    return st.ok();
  }
};

struct tally {
  std::map<std::string, std::int64_t, std::less<>> statuses;
  std::int64_t delayed = 0, dlq = 0;
};

}  // namespace

verify_report verify_store(const database& db_, const std::function<void(const verified_item&)>& each_item) {
  verify_report r;
  const auto& d = const_cast<database&>(db_).internals();
  checker c{d, r};
  std::map<std::string, tally, std::less<>> by_workspace;
  // What the items say must exist, to find extra keys afterwards.
  std::set<std::string, std::less<>> want_index, want_queue, want_timers, want_dlq;
  struct known {
    std::string owner, workspace;
    core::item_status status;
  };
  std::map<std::string, known, std::less<>> items;

  std::string layout;
  if (!c.has(cf::meta, "layout", &layout) || layout != std::string(1, '\3'))
    c.problem("meta 'layout' is not store format 3");

  scan_all(d, cf::items, [&](std::string_view id, std::string_view value) {
    if (value == orphan_record) return void(++r.orphans);
    auto rec = decode_record(value);
    if (!rec) return c.problem(fmt::format("items '{}': the record does not decode ({} bytes)", printable(id), value.size()));
    ++r.items;
    const auto& it = rec->item;
    const auto status = rec->header.status;
    const auto name = std::string(core::to_string(status));
    if (it.id != id) c.problem(fmt::format("items '{}': the record holds id '{}'", printable(id), printable(it.id)));
    if (rec->header.history_seq != rec->history.size())
      c.problem(fmt::format("items '{}': history_seq {} but {} history entries", it.id, rec->header.history_seq,
                            rec->history.size()));
    items[std::string(id)] = known{it.owner, it.workspace, status};
    auto& t = by_workspace[it.workspace];
    ++t.statuses[name];
    if (in_queue(status)) {
      ++r.unfinished;
      want_queue.insert(queue_key(it.owner, it.id));
      std::string v;
      if (!c.has(cf::queue, queue_key(it.owner, it.id), &v))
        c.problem(fmt::format("items '{}': {} but not in the queue (it would never resume)", it.id, name));
      else if (v != it.workspace)
        c.problem(fmt::format("queue '{}': workspace '{}', the item's is '{}'", it.id, printable(v), it.workspace));
    } else {
      status == core::item_status::paused ? ++r.paused : ++r.finished;
      auto ws_key = index_workspace_status_key(it.workspace, name, it.id);
      want_index.insert(ws_key);
      std::string v;
      if (!c.has(cf::index, ws_key, &v) || v != it.owner)
        c.problem(fmt::format("items '{}': {} but not listed under workspace '{}' and that status", it.id, name, it.workspace));
      if (owner_indexed(status)) {
        auto owner_key = index_owner_status_key(it.owner, name, it.id);
        want_index.insert(owner_key);
        if (!c.has(cf::index, owner_key, &v) || v != it.workspace)
          c.problem(fmt::format("items '{}': {} but not listed under owner '{}' and that status", it.id, name, it.owner));
      }
    }
    if (core::is_terminal(status)) {
      for (const auto& s : rec->stages)
        if (s.state.status == core::stage_status::processing || s.state.status == core::stage_status::retrying)
          c.problem(fmt::format("items '{}': {} while stage '{}' is {}", it.id, name, s.name, core::to_string(s.state.status)));
    }
    for (const auto& s : rec->stages) {
      if (s.state.status == core::stage_status::retrying) {
        ++t.delayed;
        auto key = timer_key(s.state.next_due_ms, it.id, s.name);
        want_timers.insert(key);
        if (!c.has(cf::timers, key))
          c.problem(fmt::format("items '{}': stage '{}' is retrying without its durable timer", it.id, s.name));
      }
      if (s.state.letter_open) {
        ++t.dlq;
        auto key = dlq_key(it.id, s.name);
        want_dlq.insert(key);
        if (s.state.status != core::stage_status::failed)
          c.problem(fmt::format("items '{}': stage '{}' has an open dead letter but is {}", it.id, s.name,
                                core::to_string(s.state.status)));
        if (!c.has(cf::dlq, key))
          c.problem(fmt::format("items '{}': stage '{}' failed for good without its dead letter", it.id, s.name));
      }
    }
    for (const auto& [stage, json] : rec->results) {
      if (auto theme = theme_of(json)) {
        auto key = index_workspace_theme_key(it.workspace, *theme, it.id);
        want_index.insert(key);
        if (!c.has(cf::index, key))
          c.problem(fmt::format("items '{}': stage '{}' gave theme '{}' but the item is not listed under it", it.id, stage,
                                printable(*theme)));
      }
    }
    if (each_item) each_item(verified_item{it.id, it.owner, it.workspace, status});
  });

  scan_all(d, cf::queue, [&](std::string_view key, std::string_view) {
    ++r.queue_entries;
    if (!want_queue.count(key)) c.problem(fmt::format("queue '{}': no queued or processing item of that owner", printable(key)));
  });
  scan_all(d, cf::index, [&](std::string_view key, std::string_view) {
    ++r.index_entries;
    if (!want_index.count(key)) c.problem(fmt::format("index '{}': no such item with that status or theme", printable(key)));
  });
  scan_all(d, cf::timers, [&](std::string_view key, std::string_view) {
    ++r.timers;
    if (!want_timers.count(key)) c.problem(fmt::format("timers '{}': no stage retrying at that time", printable(key)));
  });
  scan_all(d, cf::dlq, [&](std::string_view key, std::string_view json) {
    ++r.dead_letters;
    if (!want_dlq.count(key)) c.problem(fmt::format("dlq '{}': no stage with an open dead letter", printable(key)));
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) c.problem(fmt::format("dlq '{}': not a JSON object", printable(key)));
  });

  // Counters: every workspace's record equals the scan (statuses, retry
  // timers, open dead letters); a workspace with items has a record.
  std::set<std::string, std::less<>> packed;
  const std::string pack_prefix(counter_pack_prefix);
  scan_all(d, cf::meta, [&](std::string_view key, std::string_view value) {
    if (key.substr(0, pack_prefix.size()) != pack_prefix) return;
    const std::string ws(key.substr(pack_prefix.size()));
    packed.insert(ws);
    ++r.workspaces;
    auto pack = decode_counter_pack(value);
    if (!pack) return c.problem(fmt::format("meta '{}': the counter record does not decode", printable(key)));
    auto field = [&](std::string_view f) { return pack->get(f); };
    const auto& t = by_workspace[ws];
    for (auto s : core::all_item_statuses) {
      const auto name = core::to_string(s);
      auto i = t.statuses.find(name);
      const std::int64_t scanned = i == t.statuses.end() ? 0 : i->second;
      if (field(name) != scanned)
        c.problem(fmt::format("counters of workspace '{}': {} = {}, a scan finds {}", printable(ws), name, field(name), scanned));
    }
    if (field("delayed") != t.delayed)
      c.problem(fmt::format("counters of workspace '{}': delayed = {}, a scan finds {} retrying stages", printable(ws),
                            field("delayed"), t.delayed));
    if (field("dlq") != t.dlq)
      c.problem(fmt::format("counters of workspace '{}': dlq = {}, a scan finds {} open dead letters", printable(ws),
                            field("dlq"), t.dlq));
  });
  for (const auto& [ws, t] : by_workspace)
    if (!packed.count(ws)) c.problem(fmt::format("workspace '{}' has items but no counter record", printable(ws)));

  // Replay logs: each room's chunks hold consecutive seqs, every frame is a
  // JSON object, and the room's kept seq is not behind its log.
  std::string room;
  std::uint64_t next = 0;
  std::map<std::string, std::uint64_t, std::less<>> room_end;  // the last seq of each room's log
  scan_all(d, cf::events, [&](std::string_view key, std::string_view chunk) {
    auto zero = key.find('\0');
    if (zero == std::string_view::npos || key.size() != zero + 9)
      return c.problem(fmt::format("events '{}': not a room and a seq", printable(key)));
    const auto first = get_be64(key.substr(zero + 1));
    if (key.substr(0, zero) != room) {
      room = std::string(key.substr(0, zero));
      ++r.rooms;
      next = first;
    }
    if (first != next)
      c.problem(fmt::format("events of room '{}': the chunk at seq {} follows one that ended at {}", printable(room), first,
                            next - 1));
    const auto n = event_chunk_count(chunk);
    if (n == 0) c.problem(fmt::format("events of room '{}': the chunk at seq {} is empty", printable(room), first));
    read_event_chunk(chunk, first, [&](std::uint64_t seq, std::string frame) {
      ++r.events;
      boost::system::error_code ec;
      auto v = boost::json::parse(frame, ec);
      if (ec || !v.is_object() || !v.as_object().contains("seq") || v.as_object().at("seq") != seq)
        c.problem(fmt::format("events of room '{}': seq {} is not a frame with its seq", printable(room), seq));
    });
    next = first + n;
    room_end[room] = next - 1;
  });
  // A room's kept seq (written when a trim may empty its log) is never
  // ahead of its log: the next event must not skip seqs.
  scan_all(d, cf::meta, [&](std::string_view key, std::string_view value) {
    if (key.substr(0, 2) != "s/") return;
    auto end = room_end.find(key.substr(2));
    if (value.size() != 8) return c.problem(fmt::format("meta '{}': not a seq", printable(key)));
    if (end != room_end.end() && get_be64(value) > end->second)
      c.problem(fmt::format("meta '{}': kept seq {} is beyond the room's last stored seq {}", printable(key),
                            get_be64(value), end->second));
  });

  // Idempotency: each record has its expiry key and each expiry key its record.
  std::set<std::string, std::less<>> expiry_wanted;
  scan_all(d, cf::idempotency, [&](std::string_view key, std::string_view value) {
    if (key.empty() || key[0] != 'k') return;
    ++r.idempotency_keys;
    auto rec = decode_idempotency(value);
    auto zero = key.find('\0');
    if (!rec || zero == std::string_view::npos)
      return c.problem(fmt::format("idempotency '{}': the record does not decode", printable(key)));
    expiry_wanted.insert(idempotency_expiry_key(rec->created_ms, key.substr(1, zero - 1), key.substr(zero + 1)));
  });
  scan_all(d, cf::idempotency, [&](std::string_view key, std::string_view) {
    if (key.empty() || key[0] != 't') return;
    auto wanted = expiry_wanted.find(key);
    if (wanted != expiry_wanted.end()) expiry_wanted.erase(wanted);
    else c.problem(fmt::format("idempotency '{}': an expiry key without its record", printable(key)));
  });
  for (const auto& k : expiry_wanted) c.problem(fmt::format("idempotency '{}': a record without its expiry key", printable(k)));
  return r;
}

std::string verify_report::json() const {
  std::string out = fmt::format(
      "{{\"ok\":{},\"items\":{},\"orphans\":{},\"unfinished\":{},\"paused\":{},\"finished\":{},\"queue_entries\":{},"
      "\"index_entries\":{},\"timers\":{},\"dead_letters\":{},\"workspaces\":{},\"rooms\":{},\"events\":{},"
      "\"idempotency_keys\":{},\"problem_count\":{},\"problems\":[",
      ok(), items, orphans, unfinished, paused, finished, queue_entries, index_entries, timers, dead_letters, workspaces,
      rooms, events, idempotency_keys, problem_count);
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i) out += ',';
    core::append_json_string(out, problems[i]);
  }
  return out + "]}";
}

}  // namespace pw::store
