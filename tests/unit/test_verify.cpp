// store::verify_store (pipewright verify, the crash-test runner's check):
// a store written by the writer is consistent; each kind of damage a crash
// between two writes could leave (were they not in one batch) is reported,
// naming the key.
#include <filesystem>
#include <future>

#include <catch2/catch.hpp>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/database.hpp"
#include "store/verify.hpp"
#include "store/write_set.hpp"
#include "store/writer.hpp"

using namespace pw;

namespace {

struct temp_store {
  std::string dir;
  temp_store() {
    dir = (std::filesystem::temp_directory_path() / ("pw-verify-" + core::id_generator{}.next(core::now_ms()))).string();
  }
  ~temp_store() { std::filesystem::remove_all(dir); }
};

core::pipeline two_stages() {
  return core::build_pipeline("feedback", {core::stage_spec{"a", {}, "synthetic"}, core::stage_spec{"b", {"a"}, "synthetic"}}, "k")
      .value();
}

// Writes with the real writer, then checks the closed store read-only.
store::verify_report write_and_verify(const std::string& dir, const std::vector<store::write_set>& sets) {
  {
    auto db = store::database::open(dir, {}).value();
    store::writer w(*db, {}, nullptr);
    // One commit at a time (a commit that follows closely is queued for the
    // writer's thread: wait for it), so each write set is its own batch and
    // each event its own chunk.
    for (auto ws : sets) {
      std::promise<bool> durable;
      auto done = durable.get_future();
      const auto out = w.commit(std::move(ws), [&durable](bool ok) { durable.set_value(ok); });
      if (out == store::writer::outcome::queued) REQUIRE(done.get());
      else REQUIRE(out == store::writer::outcome::committed);
    }
    w.stop();
  }
  auto ro = store::database::open_read_only(dir);
  REQUIRE(ro);
  return store::verify_store(*ro.value());
}

bool mentions(const store::verify_report& r, const std::string& text) {
  for (const auto& p : r.problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

core::item make_item(const std::string& id, const std::string& owner = "alice") {
  return core::item{id, owner, "acme", "feedback", std::nullopt, "text", "{}", 1'700'000'000'000};
}

}  // namespace

TEST_CASE("verify: a store written by the writer is consistent and damage is reported by key") {
  temp_store t;
  const auto p = two_stages();
  const auto queued = make_item("01J0000000000000000000000A");
  const auto done = make_item("01J0000000000000000000000B");
  core::item_state qs;
  qs.stages.resize(2);
  qs.history_seq = 1;
  core::item_state ds = qs;
  ds.status = core::item_status::partial;
  ds.stages[0].status = core::stage_status::completed;
  ds.stages[1].status = core::stage_status::failed;
  ds.stages[1].letter_open = true;
  const core::history_entry accepted{1, {}, {}, "queued", 0, "accepted"};

  std::vector<store::write_set> good(2);
  good[0].create_item(queued, p, qs, {accepted});
  good[1].create_item(done, p, ds, {accepted});
  good[1].put_dead_letter(done.id, "b", done.workspace, "{\"error\":\"x\"}");
  good[1].emit("alice", "\"type\":\"item.completed\"");
  good[1].emit("alice", "\"type\":\"item.failed\"");

  SECTION("consistent") {
    auto r = write_and_verify(t.dir, good);
    INFO(r.json());
    CHECK(r.ok());
    CHECK(r.items == 2);
    CHECK(r.unfinished == 1);
    CHECK(r.finished == 1);
    CHECK(r.dead_letters == 1);
    CHECK(r.events == 2);
  }
  SECTION("a queued item missing from the queue would never resume") {
    good.emplace_back().erase_range(store::cf::queue, "", "\xff");
    auto r = write_and_verify(t.dir, good);
    CHECK(mentions(r, "not in the queue"));
  }
  SECTION("an index entry for an item that is not there") {
    auto& ws = good.emplace_back();
    ws.create_item(make_item("01J0000000000000000000000C"), p, ds, {accepted});
    ws.put_dead_letter("01J0000000000000000000000C", "b", "acme", "{}");
    auto& del = good.emplace_back();
    del.erase_range(store::cf::items, "01J0000000000000000000000C", "01J0000000000000000000000D");
    auto r = write_and_verify(t.dir, good);
    CHECK(mentions(r, "no such item with that status"));
    CHECK(mentions(r, "no stage with an open dead letter"));
    CHECK(mentions(r, "partial = 2, a scan finds 1"));
  }
  SECTION("a failed stage without its dead letter, a counter off by one") {
    good.emplace_back().erase_range(store::cf::dlq, "", "\xff");
    good.emplace_back().count("acme", "queued", 1);
    auto r = write_and_verify(t.dir, good);
    CHECK(mentions(r, "without its dead letter"));
    CHECK(mentions(r, "queued = 2, a scan finds 1"));
  }
  SECTION("a gap in a room's replay log") {
    good.emplace_back().emit("alice", "\"type\":\"x\"");  // seq 3
    good.emplace_back().emit("alice", "\"type\":\"y\"");  // seq 4
    good.emplace_back().erase_range(store::cf::events, store::event_key("alice", 3), store::event_key("alice", 4));
    auto r = write_and_verify(t.dir, good);
    INFO(r.json());
    CHECK(mentions(r, "follows one that ended at"));
  }
}
