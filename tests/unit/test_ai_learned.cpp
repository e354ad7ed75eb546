// The learned models: the model file's format (round trip, quantised
// probabilities, clear errors for a broken file), the models that ship in
// the binary (versioned, every model present, the decisions a triager would
// take on clear cases), duplicate profiles that survive a restart, and the
// learned pair scorer over the index.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "stages/ai/analysis.hpp"
#include "stages/ai/duplicate.hpp"
#include "stages/ai/embed.hpp"
#include "stages/ai/model_file.hpp"
#include "stages/ai/pair_scorer.hpp"
#include "stages/ai/predict.hpp"
#include "stages/ai/reading.hpp"
#include "stages/builtin_models.hpp"

namespace ai = pw::stages::ai;

namespace {

ai::model_file tiny() {
  ai::model_file f;
  f.set_version("test 1");
  f.set_slots({7, 42});
  // rows: slot 7, slot 42; classes a, b, c
  f.add_model("m", {"a", "b", "c"}, {1.0f, -1.0f, 0.0f, -2.0f, 0.5f, 0.25f}, {0.0f, 0.1f, -0.1f});
  f.set_param("x.threshold", 0.25f);
  return f;
}

}  // namespace

TEST_CASE("model file: round trip, quantised probabilities, and the parameters") {
  const auto f = ai::model_file::parse(tiny().serialize());
  CHECK(f.version() == "test 1");
  CHECK(f.rows() == 2);
  CHECK(f.param("x.threshold", 0) == Approx(0.25f));
  CHECK(f.param("absent", 3.5f) == Approx(3.5f));
  const auto* m = f.model("m");
  REQUIRE(m);
  CHECK(m->classes == std::vector<std::string>{"a", "b", "c"});
  ai::sparse_vector x;
  x.entries = {{7, 0.6f}, {42, 0.8f}, {99, 5.0f}};  // slot 99 is no row: ignored
  const auto d = f.decision(*m, x);
  REQUIRE(d.size() == 3);
  // 8-bit weights: within a step of the scale of each class.
  CHECK(d[0] == Approx(0.6 * 1.0 + 0.8 * -2.0).margin(0.02));
  CHECK(d[1] == Approx(0.6 * -1.0 + 0.8 * 0.5 + 0.1).margin(0.01));
  const auto p = f.probabilities(*m, x);
  CHECK(p[0] + p[1] + p[2] == Approx(1.0));
  CHECK(p[2] > p[0]);
  CHECK(ai::model_file::parse(f.serialize()).serialize() == f.serialize());  // same bytes again
}

TEST_CASE("model file: a broken file says what is wrong") {
  auto bytes = tiny().serialize();
  CHECK_THROWS_WITH(ai::model_file::parse("nonsense"), Catch::Contains("bad magic"));
  CHECK_THROWS_WITH(ai::model_file::parse(bytes.substr(0, bytes.size() - 3)), Catch::Contains("truncated"));
  CHECK_THROWS_WITH(ai::model_file::parse(bytes + "x"), Catch::Contains("trailing"));
}

TEST_CASE("the shipped models are versioned, complete, and decide clear cases as the rules say") {
  const auto info = pw::stages::builtin::loaded_models();
  CHECK(info.version.rfind("pw-ai ", 0) == 0);
  CHECK(info.bytes > 100000);
  CHECK(info.sha256.size() == 64);
  const auto& m = pw::stages::builtin::models();
  for (const char* name : {"sentiment", "category", "urgency", "theme"}) CHECK(m.model(name));
  CHECK(ai::pair_scorer::from(m).enabled());
  const float crit = m.param("urgency.critical_threshold", -1);
  CHECK((crit > 0 && crit < 0.5));

  struct expectation {
    const char* text;
    const char* category;
    const char* urgency;
    const char* sentiment;
  };
  const expectation cases[] = {
      {"The app crashes every time I try to export my invoices to PDF. This is blocking our month-end close!", "bug",
       nullptr, nullptr},
      {"You charged me twice for the same order this month, please refund one of the charges.", "billing", "high", nullptr},
      {"Love the new checkout, it's fast and easy. Thanks!", "praise", "low", "positive"},
      {"Someone logged into my account from another country and changed my email. I did not do this.", nullptr,
       "critical", nullptr},
      {"Die App stürzt beim Start ab, seit dem Update geht nichts mehr.", "bug", nullptr, nullptr},
  };
  for (const auto& e : cases) {
    INFO(e.text);
    const auto r = ai::reading::of(e.text, m);
    if (e.category) CHECK(r->decided.category == e.category);
    if (e.urgency) CHECK(r->decided.urgency == e.urgency);
    if (e.sentiment) CHECK(r->decided.sentiment == e.sentiment);
    CHECK((r->decided.category_confidence > 0 && r->decided.category_confidence <= 1));
    CHECK((r->decided.sentiment_score >= -1 && r->decided.sentiment_score <= 1));
  }
  // The urgency score stays inside its level's band (priority reads it).
  const auto crit_item = ai::reading::of(cases[3].text, m);
  CHECK(crit_item->decided.urgency_score >= 0.85);
}

TEST_CASE("duplicate profiles survive a restart, and the learned scorer pairs a restatement, not another workspace") {
  const auto& m = pw::stages::builtin::models();
  ai::duplicate_options o;
  o.scorer = ai::pair_scorer::from(m);
  ai::duplicate_index index(o);
  ai::embedder emb(256);
  auto add = [&](ai::duplicate_index& ix, const std::string& ws, const std::string& id, const std::string& text) {
    const auto r = ai::reading::of(text, m);
    return ix.add(ws, id, emb.embed(*r->text, ws, id, ai::theme_terms(m, r->probabilities)).vector,
                  ai::make_profile(*r->text, r->probabilities));
  };
  std::vector<std::pair<std::string, std::string>> states;
  const char* texts[] = {"Exporting a project to CSV drops the due date column.",
                         "Please add a dark mode, my eyes hurt at night.",
                         "I was charged twice for my March invoice.",
                         "Push notifications arrive hours late on Android."};
  int n = 0;
  for (const char* t : texts) {
    const std::string id = "i" + std::to_string(n++);
    states.emplace_back(id, add(index, "w", id, t).state);
  }
  ai::duplicate_index again(o);
  for (auto& [id, st] : states) CHECK(again.restore("w", id, st));
  CHECK(again.size("w") == 4);
  const auto same = add(again, "w", "x1", "The CSV export of a project is missing the due date column.");
  REQUIRE(same.duplicate_of);
  CHECK(*same.duplicate_of == "i0");
  CHECK(same.score >= o.scorer.threshold());
  const auto elsewhere = add(again, "other", "x2", "The CSV export of a project is missing the due date column.");
  CHECK_FALSE(elsewhere.duplicate_of);

  // A profile reads back as written.
  const auto r = ai::reading::of(texts[2], m);
  const auto p = ai::make_profile(*r->text, r->probabilities);
  std::string bytes;
  ai::append_profile(bytes, p);
  ai::pair_profile back;
  std::size_t pos = 0;
  REQUIRE(ai::read_profile(bytes, pos, back));
  CHECK(pos == bytes.size());
  CHECK(back.semantic == p.semantic);
  CHECK(back.numbers == p.numbers);
  CHECK(back.guard.terms == p.guard.terms);
  CHECK(back.words == p.words);
}
