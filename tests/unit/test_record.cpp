// Store format 3's records: an item's record and the deltas that extend it,
// a workspace's counters, a room's event chunks. Round trips, the rules of
// applying deltas, and corrupted bytes read as "cannot read", never as UB.
#include <catch2/catch.hpp>

#include "store/counters.hpp"
#include "store/event_chunk.hpp"
#include "store/record.hpp"

using namespace pw;

namespace {

core::pipeline three_stages() {
  return core::build_pipeline("feedback",
                              {core::stage_spec{"embed", {}, "synthetic"}, core::stage_spec{"classify", {"embed"}, "synthetic"},
                               core::stage_spec{"theme", {"embed"}, "synthetic"}},
                              "k")
      .value();
}

core::item an_item() {
  return core::item{"01M874VAH07TBZVCX97F4Z8YFJ", "alice", "w1", "feedback", std::string("Ti\"tle"), "text ünïcode",
                    "{\"a\":1}", 1'700'000'000'000};
}

}  // namespace

TEST_CASE("an item's record round-trips, and stages that have not moved are not stored") {
  const auto p = three_stages();
  const auto it = an_item();
  core::item_state s;
  s.status = core::item_status::processing;
  s.started_at_ms = it.created_at_ms + 3;
  s.history_seq = 3;
  s.stages.resize(3);
  s.stages[0].status = core::stage_status::processing;
  s.stages[0].attempts = 1;
  s.stages[0].started_at_ms = it.created_at_ms + 3;
  s.stages[0].log.push_back({1, it.created_at_ms + 3, 0, core::attempt_outcome::running, ""});
  std::vector<core::history_entry> history{{it.created_at_ms, "", "", "queued", 0, "accepted"},
                                           {it.created_at_ms + 3, "", "queued", "processing", 0, "started"},
                                           {it.created_at_ms + 3, "embed", "pending", "processing", 1, "dependencies completed"}};
  auto rec = store::make_record(it, p, s, history);
  CHECK(rec.stages.size() == 1);  // classify and theme are pending and untouched
  auto back = store::decode_record(store::encode_record(rec));
  REQUIRE(back);
  CHECK(back->item.title == it.title);
  CHECK(back->item.text == it.text);
  CHECK(back->item.created_at_ms == it.created_at_ms);
  REQUIRE(back->history.size() == 3);
  CHECK(back->history[2].stage == "embed");
  CHECK(back->history[2].cause == "dependencies completed");
  CHECK(back->history[0].from.empty());
  const auto aligned = back->state_for(p);
  CHECK(aligned.status == core::item_status::processing);
  CHECK(aligned.stages[0].status == core::stage_status::processing);
  CHECK(aligned.stages[0].log.at(0).started_at_ms == it.created_at_ms + 3);
  CHECK(aligned.stages[1].status == core::stage_status::pending);
  CHECK(store::decode_record_status(store::encode_record(rec)) == core::item_status::processing);
}

TEST_CASE("deltas replace changed stages, set and erase results, append history") {
  const auto p = three_stages();
  const auto it = an_item();
  core::item_state s;
  s.stages.resize(3);
  auto rec = store::make_record(it, p, s, {{it.created_at_ms, "", "", "queued", 0, "accepted"}});

  store::record_delta d;
  d.header = store::state_header{core::item_status::processing, it.created_at_ms + 1, 0, 3};
  core::stage_state done;
  done.status = core::stage_status::completed;
  done.attempts = 1;
  done.finished_at_ms = it.created_at_ms + 5;
  done.log.push_back({1, it.created_at_ms + 1, it.created_at_ms + 5, core::attempt_outcome::completed, ""});
  d.stages.push_back({"embed", done});
  d.results_set.emplace_back("embed", "{\"tokens\":3}");
  d.history.push_back({it.created_at_ms + 5, "embed", "processing", "completed", 1, "attempt 1 succeeded"});
  d.history.push_back({it.created_at_ms + 5, "theme", "pending", "processing", 1, "a cause of its own"});
  REQUIRE(store::apply_delta(rec, store::encode_delta(d, it.created_at_ms)));

  store::record_delta reset;
  reset.results_erased.push_back("embed");
  reset.results_set.emplace_back("classify", "{\"label\":\"bug\"}");
  REQUIRE(store::apply_delta(rec, store::encode_delta(reset, it.created_at_ms)));

  auto back = store::decode_record(store::encode_record(rec));
  REQUIRE(back);
  CHECK(back->header.status == core::item_status::processing);
  CHECK(back->result("embed") == nullptr);
  REQUIRE(back->result("classify"));
  CHECK(*back->result("classify") == "{\"label\":\"bug\"}");
  REQUIRE(back->history.size() == 3);
  CHECK(back->history[1].cause == "attempt 1 succeeded");
  CHECK(back->history[2].stage == "theme");  // a stage the delta did not carry: spelled out
  CHECK(back->history[2].cause == "a cause of its own");
  CHECK(back->state_for(p).stages[0].finished_at_ms == it.created_at_ms + 5);
}

TEST_CASE("corrupted records and deltas are refused, whole or truncated at any byte") {
  const auto p = three_stages();
  const auto it = an_item();
  core::item_state s;
  s.stages.resize(3);
  s.stages[1].status = core::stage_status::retrying;
  s.stages[1].attempts = 2;
  s.stages[1].error = "slow";
  s.stages[1].log.push_back({1, it.created_at_ms, it.created_at_ms + 9, core::attempt_outcome::timeout, "slow"});
  const auto bytes = store::encode_record(store::make_record(it, p, s, {{it.created_at_ms, "", "", "queued", 0, "x"}}));
  for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(store::decode_record(bytes.substr(0, n)));
  CHECK_FALSE(store::decode_record(bytes + "x"));
  CHECK_FALSE(store::decode_record(store::orphan_record));
  auto rec = store::decode_record(bytes).value();
  const auto before = store::encode_record(rec);
  store::record_delta d;
  d.history.push_back({it.created_at_ms + 1, "", "processing", "completed", 0, "every stage completed"});
  const auto delta = store::encode_delta(d, it.created_at_ms);
  for (std::size_t n = 0; n < delta.size(); ++n) {
    CHECK_FALSE(store::apply_delta(rec, delta.substr(0, n)));
    CHECK(store::encode_record(rec) == before);  // a refused delta leaves the record as it was
  }
}

TEST_CASE("a workspace's counters round-trip, known fields and others, and the older named format reads") {
  store::counter_pack p;
  p.add("completed", 5);
  p.add("completed", 2);
  p.add("duration/le_100", 3);
  p.add("something/new", -4);
  auto back = store::decode_counter_pack(store::encode_counter_pack(p));
  REQUIRE(back);
  CHECK(back->get("completed") == 7);
  CHECK(back->get("duration/le_100") == 3);
  CHECK(back->get("something/new") == -4);
  CHECK(back->get("failed") == 0);
  CHECK(back->all().size() == 3);
  // Format 1: (field, value) pairs.
  std::string named = "\x01\x02";
  named += "\x09" "completed\x0e";  // 7, zigzag
  named += "\x07" "delayed\x02";    // 1
  auto old = store::decode_counter_pack(named);
  REQUIRE(old);
  CHECK(old->get("completed") == 7);
  CHECK(old->get("delayed") == 1);
  CHECK_FALSE(store::decode_counter_pack("\x02\x01"));
  CHECK(store::parse_counter_name("ws/w1/duration/le_10")->field == "duration/le_10");
  CHECK(store::parse_counter_name("all/completed")->workspace.empty());
  CHECK_FALSE(store::parse_counter_name("dlq/open"));
}

TEST_CASE("an event chunk gives back each frame with its seq and the commit time, and format-2 chunks read") {
  store::event_chunk_writer w(1'700'000'000'123);
  w.add("\"type\":\"a\"");
  w.add("\"type\":\"b\",\"x\":\"line\\nbreak\"");
  CHECK(w.size() == 2);
  std::vector<std::pair<std::uint64_t, std::string>> frames;
  store::read_event_chunk(w.bytes(), 41, [&](std::uint64_t seq, std::string f) { frames.emplace_back(seq, std::move(f)); });
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].first == 41);
  CHECK(frames[1].second == "{\"seq\":42,\"at\":\"2023-11-14T22:13:20.123Z\",\"type\":\"b\",\"x\":\"line\\nbreak\"}");
  CHECK(store::event_chunk_count(w.bytes()) == 2);
  CHECK(store::event_chunk_time(w.bytes()) == 1'700'000'000'123);
  // Format 2: whole frames, one a line.
  const std::string old = "{\"seq\":7,\"at\":\"2023-11-14T22:13:20.123Z\",\"type\":\"a\"}";
  frames.clear();
  store::read_event_chunk(old, 7, [&](std::uint64_t seq, std::string f) { frames.emplace_back(seq, std::move(f)); });
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].second == old);
  CHECK(store::event_chunk_time(old) == 1'700'000'000'123);
  CHECK(store::event_chunk_count("") == 0);
}
