#include <catch2/catch.hpp>

#include "core/item_run.hpp"

using namespace pw::core;

namespace {

pipeline feedback(std::uint32_t max_attempts = 3) {
  auto st = [&](std::string name, std::vector<std::string> after) {
    stage_spec s;
    s.name = std::move(name);
    s.after = std::move(after);
    s.backend = "synthetic";
    s.retry.max_attempts = max_attempts;
    s.retry.initial_backoff = millis(100);
    s.retry.jitter = 0;
    return s;
  };
  return build_pipeline("feedback",
                        {st("embed", {}), st("classify", {"embed"}), st("sentiment", {"embed"}),
                         st("urgency", {"embed"}), st("duplicate", {"embed"}), st("theme", {"embed"}),
                         st("priority", {"sentiment", "urgency"})},
                        "k")
      .value();
}

item_state fresh(const pipeline& p) {
  item_state s;
  s.stages.assign(p.size(), stage_state{});
  return s;
}

stage_index idx(const pipeline& p, const char* name) { return *p.index_of(name); }

}  // namespace

TEST_CASE("a run starts the root, fans out, and completes") {
  auto p = feedback();
  auto s = fresh(p);
  item_run run(p, s);
  auto st = run.begin(1000);
  CHECK(s.status == item_status::processing);
  CHECK(st.start == std::vector<stage_index>{idx(p, "embed")});
  CHECK(st.history.size() == 2);  // item started, embed processing
  CHECK(s.started_at_ms == 1000);

  st = run.complete(idx(p, "embed"), 1010);
  CHECK(st.start.size() == 5);
  for (auto name : {"classify", "sentiment", "urgency", "duplicate", "theme"}) {
    run.complete(idx(p, name), 1020);
  }
  CHECK(s.stages[idx(p, "priority")].status == stage_status::processing);
  st = run.complete(idx(p, "priority"), 1030);
  CHECK(st.finished);
  CHECK(s.status == item_status::completed);
  CHECK(s.completed_at_ms == 1030);
  // begin (2) + embed done and 5 starts (6) + 5 done and priority starts (6) + priority and item done (2)
  CHECK(s.history_seq == 16);
}

TEST_CASE("a transient failure is retried with backoff until attempts run out") {
  auto p = feedback(3);
  auto s = fresh(p);
  item_run run(p, s);
  run.begin(0);
  auto e = idx(p, "embed");
  auto st = run.fail(e, {attempt_outcome::transient_error, "503"}, 100, 0.5);
  CHECK(s.stages[e].status == stage_status::retrying);
  CHECK(s.stages[e].next_due_ms == 200);  // 100 ms initial backoff, no jitter
  CHECK(st.retry == std::vector<stage_index>{e});
  CHECK_FALSE(run.is_current(e, 1));
  CHECK(run.is_retry_current(e, 1));

  st = run.retry_due(e, 200);
  CHECK(st.start == std::vector<stage_index>{e});
  CHECK(st.cleared_timers.size() == 1);
  CHECK(run.is_current(e, 2));
  run.fail(e, {attempt_outcome::timeout, "slow"}, 300, 0.5);
  CHECK(s.stages[e].next_due_ms == 300 + 200);  // doubled
  run.retry_due(e, 500);
  st = run.fail(e, {attempt_outcome::crashed, "boom"}, 600, 0.5);
  // Third failure of three attempts: failed for good, everything after it skipped.
  CHECK(s.stages[e].status == stage_status::failed);
  CHECK(st.dead == std::vector<stage_index>{e});
  CHECK(st.finished);
  CHECK(s.status == item_status::failed);
  for (std::size_t i = 1; i < p.size(); ++i) CHECK(s.stages[i].status == stage_status::skipped);
  REQUIRE(s.stages[e].log.size() == 3);
  CHECK(s.stages[e].log[0].outcome == attempt_outcome::transient_error);
  CHECK(s.stages[e].log[1].outcome == attempt_outcome::timeout);
  CHECK(s.stages[e].log[2].outcome == attempt_outcome::crashed);
  CHECK_THAT(s.stages[e].error, Catch::Contains("attempts exhausted: 3/3"));
}

TEST_CASE("a permanent failure is not retried - independent branches finish - the item is partial") {
  auto p = feedback(5);
  auto s = fresh(p);
  item_run run(p, s);
  run.begin(0);
  run.complete(idx(p, "embed"), 1);
  auto st = run.fail(idx(p, "sentiment"), {attempt_outcome::permanent_error, "bad input"}, 2, 0.5);
  CHECK(st.retry.empty());
  CHECK(st.dead == std::vector<stage_index>{idx(p, "sentiment")});
  CHECK(s.stages[idx(p, "priority")].status == stage_status::skipped);
  CHECK_FALSE(st.finished);
  for (auto name : {"classify", "urgency", "duplicate", "theme"}) run.complete(idx(p, name), 3);
  CHECK(s.status == item_status::partial);
  CHECK(s.stages[idx(p, "sentiment")].attempts == 1);
}

TEST_CASE("resuming after a crash re-runs interrupted stages and keeps completed ones") {
  auto p = feedback();
  auto s = fresh(p);
  {
    item_run run(p, s);
    run.begin(0);
    run.complete(idx(p, "embed"), 1);
    run.fail(idx(p, "theme"), {attempt_outcome::transient_error, "x"}, 2, 0.5);
  }
  // The node died here: classify..duplicate were processing, theme retrying.
  item_state recovered = s;
  item_run run(p, recovered);
  auto st = run.begin(10);
  CHECK(recovered.stages[idx(p, "embed")].status == stage_status::completed);
  CHECK(recovered.stages[idx(p, "embed")].attempts == 1);
  CHECK(st.start.size() == 4);  // classify, sentiment, urgency, duplicate: attempt 2
  CHECK(recovered.stages[idx(p, "classify")].attempts == 2);
  CHECK(recovered.stages[idx(p, "classify")].log[0].outcome == attempt_outcome::interrupted);
  CHECK(st.retry.empty());  // its durable timer exists: arm it, do not write it again
  CHECK(st.rearm == std::vector<stage_index>{idx(p, "theme")});
  CHECK(recovered.stages[idx(p, "theme")].status == stage_status::retrying);
}

TEST_CASE("pause stops new starts, resume continues where it stopped") {
  auto p = feedback();
  auto s = fresh(p);
  item_run run(p, s);
  run.begin(0);
  REQUIRE(run.pause(1));
  CHECK(s.status == item_status::paused);
  // embed finishes while paused: kept, but nothing new starts.
  auto st = run.complete(idx(p, "embed"), 2);
  CHECK(st.start.empty());
  CHECK(s.stages[idx(p, "classify")].status == stage_status::pending);
  auto refused = run.pause(3);
  REQUIRE_FALSE(refused);
  CHECK(refused.err().message == "cannot pause: the item is paused");
  auto resumed = run.resume(4, true);
  REQUIRE(resumed);
  CHECK(s.status == item_status::processing);
  CHECK(resumed->start.size() == 5);
}

TEST_CASE("retry resets failed stages and what they skipped, rollback resets downstream, cancel is final") {
  auto p = feedback(1);
  auto s = fresh(p);
  item_run run(p, s);
  run.begin(0);
  run.fail(idx(p, "embed"), {attempt_outcome::permanent_error, "x"}, 1, 0.5);
  REQUIRE(s.status == item_status::failed);
  auto bad = run.retry({idx(p, "classify")}, 2, false);
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message == "cannot retry: the item is failed and stage 'classify' is skipped (only failed stages can be retried)");
  auto st = run.retry({idx(p, "embed")}, 2, false);
  REQUIRE(st);
  CHECK(s.status == item_status::queued);
  CHECK(st->undead == std::vector<stage_index>{idx(p, "embed")});
  for (const auto& stage : s.stages) CHECK(stage.status == stage_status::pending);
  CHECK(s.stages[idx(p, "embed")].attempts == 0);

  run.begin(3);
  for (std::size_t i = 0; i < p.size(); ++i)
    if (s.stages[i].status == stage_status::processing) run.complete(static_cast<stage_index>(i), 4);
  for (std::size_t i = 0; i < p.size(); ++i)
    if (s.stages[i].status == stage_status::processing) run.complete(static_cast<stage_index>(i), 5);
  for (std::size_t i = 0; i < p.size(); ++i)
    if (s.stages[i].status == stage_status::processing) run.complete(static_cast<stage_index>(i), 6);
  REQUIRE(s.status == item_status::completed);
  auto rb = run.rollback(idx(p, "sentiment"), 7);
  REQUIRE(rb);
  CHECK(rb->reset.size() == 2);  // sentiment and priority
  CHECK(s.stages[idx(p, "embed")].status == stage_status::completed);
  CHECK(s.stages[idx(p, "sentiment")].status == stage_status::pending);
  CHECK(s.stages[idx(p, "priority")].status == stage_status::pending);
  CHECK(s.status == item_status::queued);

  run.begin(8);
  REQUIRE(run.cancel(9));
  CHECK(s.status == item_status::cancelled);
  for (const auto& stage : s.stages) CHECK(is_settled(stage.status));
  auto again = run.resume(10, true);
  REQUIRE_FALSE(again);
  CHECK(again.err().code == errc::invalid_transition);
  CHECK_FALSE(run.rerun(11));
}
