// The writer trims each room's replay log to `event_retention` events:
// never fewer than asked are kept, at most one trim period and one chunk
// more, the kept events are contiguous, and trimming goes on correctly
// while earlier trims' range tombstones are still in the memtable (the
// writer finds where to cut without looking at them).
#include <filesystem>
#include <future>
#include <string>

#include <catch2/catch.hpp>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/database.hpp"
#include "store/write_set.hpp"
#include "store/writer.hpp"

using namespace pw;

namespace {

struct temp_dir {
  std::string path = (std::filesystem::temp_directory_path() / ("pw-trim-" + core::id_generator{}.next(core::now_ms()))).string();
  ~temp_dir() { std::filesystem::remove_all(path); }
};

// Commits `total` events to one room, `per_commit` at a time (one chunk each).
void emit_events(store::writer& w, int total, int per_commit) {
  for (int sent = 0; sent < total;) {
    store::write_set ws;
    for (int i = 0; i < per_commit && sent < total; ++i, ++sent)
      ws.emit("alice", "\"type\":\"test\",\"n\":" + std::to_string(sent + 1));
    std::promise<bool> durable;
    auto done = durable.get_future();
    const auto out = w.commit(std::move(ws), [&durable](bool ok) { durable.set_value(ok); });
    if (out == store::writer::outcome::queued) REQUIRE(done.get());
    else REQUIRE(out == store::writer::outcome::committed);
  }
}

}  // namespace

TEST_CASE("event trim: the retention is kept, contiguous, and at most a trim period and a chunk more") {
  struct shape {
    std::size_t retention;
    std::uint64_t period;  // max(64, retention / 16)
    int per_commit;
  };
  for (auto [retention, period, per_commit] : {shape{40, 64, 1}, shape{40, 64, 7}, shape{3200, 200, 7}, shape{3200, 200, 64}}) {
    CAPTURE(retention, per_commit);
    temp_dir dir;
    auto db = store::database::open(dir.path, {}).value();
    {
      store::writer_options o;
      o.event_retention = retention;
      store::writer w(*db, o, nullptr);
      emit_events(w, 10'000, per_commit);
      w.stop();
    }
    const auto page = db->events("alice", 0, 100'000);
    CHECK(page.last_seq == 10'000);
    REQUIRE_FALSE(page.events.empty());
    CHECK(page.events.back().first == 10'000);
    CHECK(page.events.front().first == page.first_retained);
    for (std::size_t i = 1; i < page.events.size(); ++i) REQUIRE(page.events[i].first == page.events[i - 1].first + 1);
    CHECK(page.events.size() >= retention);
    CHECK(page.events.size() <= retention + period + 64);
    // The frame of the oldest kept event is the one written with its seq.
    const auto& [seq, frame] = page.events.front();
    CHECK(frame.find("\"n\":" + std::to_string(seq) + "}") != std::string::npos);
  }
}
