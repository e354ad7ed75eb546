#include <catch2/catch.hpp>

#include "core/ids.hpp"
#include "store/codec.hpp"
#include "stages/chaos.hpp"

using namespace pw;

TEST_CASE("items, states and history entries round-trip through their records") {
  core::item it{"01M874VAH07TBZVCX97F4Z8YFJ", "alice", "w1", "feedback", std::string("Ti\"tle"), "text ünïcode", "{\"a\":1}", 42};
  auto back = store::decode_item(store::encode_item(it));
  REQUIRE(back);
  CHECK(back->title == it.title);
  CHECK(back->text == it.text);
  CHECK(back->created_at_ms == 42);

  auto p = core::build_pipeline("x", {core::stage_spec{"a", {}, "synthetic"}, core::stage_spec{"b", {"a"}, "synthetic"}}, "k").value();
  core::item_state s;
  s.status = core::item_status::processing;
  s.history_seq = 9;
  s.stages.resize(2);
  s.stages[1].status = core::stage_status::retrying;
  s.stages[1].attempts = 2;
  s.stages[1].next_due_ms = -5;
  s.stages[1].log.push_back({1, 10, 20, core::attempt_outcome::timeout, "slow"});
  auto decoded = store::decode_state(store::encode_state(p, s), p);
  REQUIRE(decoded);
  CHECK(decoded->history_seq == 9);
  CHECK(decoded->stages[1].status == core::stage_status::retrying);
  CHECK(decoded->stages[1].next_due_ms == -5);
  CHECK(decoded->stages[1].log.at(0).error == "slow");

  // A changed pipeline: stages match by name; a new stage starts pending.
  auto p2 = core::build_pipeline("x", {core::stage_spec{"b", {}, "synthetic"}, core::stage_spec{"c", {"b"}, "synthetic"}}, "k").value();
  auto moved = store::decode_state(store::encode_state(p, s), p2);
  REQUIRE(moved);
  CHECK(moved->stages[0].status == core::stage_status::retrying);
  CHECK(moved->stages[1].status == core::stage_status::pending);

  core::history_entry e{5, "a", "pending", "processing", 1, "why"};
  auto h = store::decode_history(store::encode_history(e));
  REQUIRE(h);
  REQUIRE(h->size() == 1);
  CHECK(h->front().cause == "why");
}

TEST_CASE("the history entries of one write read back from one chunk in order") {
  std::string chunk;
  for (std::uint32_t i = 0; i < 3; ++i)
    store::append_history(chunk, core::history_entry{100 + i, "s" + std::to_string(i), "pending", "running", i, ""});
  auto h = store::decode_history(chunk);
  REQUIRE(h);
  REQUIRE(h->size() == 3);
  CHECK(h->at(0).stage == "s0");
  CHECK(h->at(2).at_ms == 102);
  CHECK(h->at(2).attempt == 2);
  // Records of one entry (format 1, written before chunks) still read; a
  // format-1 record holds exactly one entry.
  std::string v1 = store::encode_history(core::history_entry{7, "a", "pending", "running", 1, ""});
  v1[0] = '\x01';
  auto old = store::decode_history(v1);
  REQUIRE(old);
  REQUIRE(old->size() == 1);
  CHECK(old->front().at_ms == 7);
  std::string many = chunk;
  many[0] = '\x01';
  CHECK_FALSE(store::decode_history(many));
  CHECK_FALSE(store::decode_history(chunk.substr(0, chunk.size() - 1)));
}

TEST_CASE("truncated or foreign records decode to nothing instead of crashing") {
  auto p = core::build_pipeline("x", {core::stage_spec{"a", {}, "synthetic"}}, "k").value();
  core::item_state s;
  s.stages.resize(1);
  auto bytes = store::encode_state(p, s);
  for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(store::decode_state(bytes.substr(0, n), p));
  CHECK_FALSE(store::decode_item("garbage"));
  CHECK_FALSE(store::decode_history(std::string(3, '\xff')));
}

TEST_CASE("ids are ULIDs, strictly increasing") {
  core::id_generator g;
  std::string prev;
  for (int i = 0; i < 10000; ++i) {
    auto id = g.next(1'800'000'000'000 + i / 100);
    REQUIRE(core::looks_like_id(id));
    REQUIRE(id > prev);
    prev = id;
  }
  CHECK_FALSE(core::looks_like_id("01M874VAH07TBZVCX97F4Z8YFI"));  // I is not Crockford
  CHECK_FALSE(core::looks_like_id("../etc/passwd"));
}

TEST_CASE("chaos decisions are seeded, per attempt, and follow the rates") {
  core::chaos_spec spec;
  spec.seed = 7;
  spec.transient_rate = 0.5;
  int transient = 0;
  for (int i = 0; i < 4000; ++i) {
    auto d = stages::decide_chaos(spec, "item-" + std::to_string(i), "classify", 1);
    CHECK(d.effect == stages::decide_chaos(spec, "item-" + std::to_string(i), "classify", 1).effect);
    transient += d.effect == core::chaos_effect::transient;
  }
  CHECK(transient > 1800);
  CHECK(transient < 2200);
  spec.fail_first = 2;
  spec.fail_first_effect = core::chaos_effect::hang;
  CHECK(stages::decide_chaos(spec, "x", "s", 2).effect == core::chaos_effect::hang);
  spec.latency = {core::latency_distribution::uniform, core::millis(5), core::millis(10), {}};
  for (int i = 0; i < 200; ++i) {
    auto d = stages::decide_chaos(spec, std::to_string(i), "s", 3);
    CHECK(d.latency.count() >= 5);
    CHECK(d.latency.count() <= 10);
  }
}
