// Provider usage in a workspace's counter record: counted per day, read over
// the last 30, and swept by the minute's maintenance once older than the 31
// days kept, so the record does not grow by the day.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <future>

#include "core/usage.hpp"
#include "store/counters.hpp"
#include "store/database.hpp"
#include "store/maintenance.hpp"
#include "store/writer.hpp"

using namespace pw;

namespace {

constexpr std::int64_t day_ms = 86'400'000;

std::size_t usage_fields(const store::counter_pack& p) {
  std::size_t n = 0;
  for (const auto& [field, value] : p.all()) n += core::parse_usage_field(field) ? 1 : 0;
  return n;
}

// Committed (and durable) when this returns true.
bool commit(store::writer& w, store::write_set ws) {
  auto done = std::make_shared<std::promise<bool>>();
  auto f = done->get_future();
  w.submit(std::move(ws), [done](bool ok) { done->set_value(ok); });
  return f.get();
}

}  // namespace

TEST_CASE("usage fields parse back, and a zeroed field leaves the counter record") {
  auto fields = core::usage_counters(20261206, "sentiment", "gpt-4o-mini", "batch", 120, 7);
  REQUIRE(fields.size() == 3);
  for (const auto& [field, value] : fields) {
    auto f = core::parse_usage_field(field);
    REQUIRE(f);
    CHECK(f->day == 20261206);
    CHECK(f->stage == "sentiment");
    CHECK(f->model == "gpt-4o-mini");
    CHECK(f->mode == "batch");
  }
  CHECK_FALSE(core::parse_usage_field("usage|2026|x"));
  CHECK_FALSE(core::parse_usage_field("completed"));

  store::counter_pack p;
  for (const auto& [field, value] : fields) p.add(field, value);
  p.add("completed", 1);
  const auto full = store::encode_counter_pack(p);
  for (const auto& [field, value] : fields) p.add(field, -value);
  const auto swept = store::encode_counter_pack(p);
  CHECK(swept.size() < full.size());
  auto back = store::decode_counter_pack(swept);
  REQUIRE(back);
  CHECK(back->all().size() == 1);
  CHECK(back->get("completed") == 1);
}

TEST_CASE("the maintenance sweep zeroes usage days older than the 31 kept, and keeps the rest") {
  char tmpl[] = "/tmp/pw-usage-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  const std::string dir = tmpl;
  {
    auto db = store::database::open(dir, {});
    REQUIRE(db);
    store::writer w(*db.value(), store::writer_options{}, [](std::vector<store::committed_event>&&) {});
    const std::int64_t now = 1'765'000'000'000;  // 2025-12-06
    const auto today = core::utc_day(now);
    store::write_set ws;
    for (int age : {0, 29, 30, 31, 45, 400})
      for (auto& [field, value] : core::usage_counters(core::utc_day(now - age * day_ms), "theme", "m", "http", 10, 2))
        ws.count("acme", field, value);
    for (auto& [field, value] : core::usage_counters(today, "theme", "m", "batch", 5, 1)) ws.count("beta", field, value);
    ws.count("acme", "completed", 3);
    REQUIRE(commit(w, std::move(ws)));
    REQUIRE(usage_fields(db.value()->counters_of("acme")) == 6 * 3);

    auto sweep = store::maintenance_sweep(*db.value(), core::store_config{}, now);
    REQUIRE(commit(w, std::move(sweep)));
    const auto acme = db.value()->counters_of("acme");
    // Days 0, 29 and 30 ago stay (30 are shown, one more is kept); 31, 45 and 400 go.
    CHECK(usage_fields(acme) == 3 * 3);
    for (const auto& [field, value] : acme.all())
      if (auto f = core::parse_usage_field(field)) CHECK(f->day >= core::day_before(today, 30));
    CHECK(acme.get("completed") == 3);
    CHECK(usage_fields(db.value()->counters_of("beta")) == 3);

    // A second sweep finds nothing more to do.
    auto again = store::maintenance_sweep(*db.value(), core::store_config{}, now);
    REQUIRE(commit(w, std::move(again)));
    CHECK(usage_fields(db.value()->counters_of("acme")) == 3 * 3);
    w.stop();
  }
  std::filesystem::remove_all(dir);
}
