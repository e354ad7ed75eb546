// The built-in stages as backends: options, the duplicate guard, workspace
// isolation, and durable state (state writes, restore after a restart).
#include <map>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "stages/ai/analysis.hpp"
#include "stages/ai/duplicate.hpp"
#include "stages/ai/embed.hpp"
#include "stages/builtin.hpp"
#include "stages/stage.hpp"

namespace st = pw::stages;

namespace {

// The store's view of one stage's namespace.
class memory_state final : public st::state_reader {
 public:
  void apply(const std::vector<st::state_write>& w) {
    for (const auto& x : w) {
      if (x.value) kv[x.key] = *x.value;
      else kv.erase(x.key);
    }
  }
  void scan(std::string_view prefix, const std::function<void(std::string_view, std::string_view)>& fn) const override {
    for (auto it = kv.lower_bound(std::string(prefix)); it != kv.end() && it->first.rfind(prefix, 0) == 0; ++it)
      fn(it->first, it->second);
  }
  std::map<std::string, std::string> kv;
};

std::shared_ptr<st::stage_backend> make(std::string_view kind, std::map<std::string, pw::core::option_value> opts = {}) {
  pw::core::stage_spec spec;
  spec.name = std::string(kind);
  spec.options = std::move(opts);
  auto r = st::builtin::make(kind, spec, "pipelines.feedback.stages." + std::string(kind));
  REQUIRE(r);
  return r.value();
}

// Runs embed + one downstream stage on an item; keeps both stages' state.
struct pipeline {
  std::shared_ptr<st::stage_backend> embed = make("embed"), dup = make("duplicate"), theme = make("theme");
  memory_state embed_state, dup_state, theme_state;

  boost::json::object run(const std::string& ws, const std::string& id, const std::string& text,
                          std::shared_ptr<st::stage_backend>& stage, memory_state& state) {
    pw::core::item it;
    it.id = id;
    it.workspace = ws;
    it.text = text;
    st::stage_results up;
    auto e = embed->run({it, up, 1});
    auto& es = std::get<st::stage_success>(e);
    embed_state.apply(es.state);
    up.set("embed", std::make_shared<boost::json::object>(es.output));
    auto r = stage->run({it, up, 1});
    REQUIRE(std::holds_alternative<st::stage_success>(r));
    auto& s = std::get<st::stage_success>(r);
    state.apply(s.state);
    return s.output;
  }
  boost::json::object duplicate(const std::string& ws, const std::string& id, const std::string& text) {
    return run(ws, id, text, dup, dup_state);
  }
  boost::json::object themed(const std::string& ws, const std::string& id, const std::string& text) {
    return run(ws, id, text, theme, theme_state);
  }
};

std::string dup_of(const boost::json::object& o) {
  return o.at("duplicate_of").is_string() ? std::string(o.at("duplicate_of").as_string()) : std::string();
}

}  // namespace

TEST_CASE("builtin options are validated with the key's name") {
  pw::core::stage_spec spec;
  spec.options["threshold"] = 1.5;
  auto r = st::builtin::make("duplicate", spec, "pipelines.feedback.stages.duplicate");
  REQUIRE_FALSE(r);
  CHECK(r.err().message == "config: pipelines.feedback.stages.duplicate.options.threshold: 1.5 is out of range [0, 1]");
  spec.options.clear();
  spec.options["colour"] = std::string("red");
  r = st::builtin::make("sentiment", spec, "pipelines.feedback.stages.sentiment");
  REQUIRE_FALSE(r);
  CHECK(r.err().message ==
        "config: pipelines.feedback.stages.sentiment.options.colour: unknown option for the builtin 'sentiment' stage");
  spec.options.clear();
  spec.options["dim"] = std::string("big");
  CHECK(st::builtin::make("embed", spec, "k").err().message == "config: k.options.dim: expected a number");
  spec.options["dim"] = 100.5;
  CHECK(st::builtin::make("embed", spec, "k").err().message == "config: k.options.dim: expected an integer");
  CHECK_FALSE(st::builtin::make("ocr", pw::core::stage_spec{}, "k"));
}

TEST_CASE("duplicates: paraphrases pair up, near-misses stay apart") {
  pipeline p;
  p.duplicate("w", "01", "CSV export drops the date column");
  CHECK(dup_of(p.duplicate("w", "02", "The CSV export drops the date column!")) == "01");
  // Same words about a different problem: the guard keeps them apart.
  CHECK(dup_of(p.duplicate("w", "03", "CSV import drops the date column")) == "");
  p.duplicate("w", "04", "Calendar sync deletes my events");
  CHECK(dup_of(p.duplicate("w", "05", "Calendar sync duplicates my events")) == "");
  p.duplicate("w", "06", "I am stuck in a log in loop on the web app");
  CHECK(dup_of(p.duplicate("w", "07", "I am stuck in a log out loop on the web app")) == "");
  // Unrelated text is no duplicate at all.
  CHECK(dup_of(p.duplicate("w", "08", "Please add a dark mode to the mobile app")) == "");
}

TEST_CASE("duplicates never cross workspaces") {
  pipeline p;
  p.duplicate("acme", "01", "The checkout button does nothing on Safari");
  auto other = p.duplicate("globex", "02", "The checkout button does nothing on Safari");
  CHECK(dup_of(other) == "");
  CHECK(dup_of(p.duplicate("acme", "03", "The checkout button does nothing on Safari")) == "01");
}

TEST_CASE("duplicate index and IDF survive a restart through state writes") {
  pipeline p;
  p.duplicate("w", "01", "Push notifications arrive hours late on Android");
  auto second = p.duplicate("w", "02", "Push notifications arrive hours late on Android phones");
  CHECK(dup_of(second) == "01");
  CHECK(second.at("duplicates").as_int64() == 1);
  CHECK(p.dup_state.kv.size() == 2);
  CHECK(p.embed_state.kv.size() == 2);

  pipeline q;  // a new process
  q.embed->restore(p.embed_state);
  q.dup->restore(p.dup_state);
  q.embed_state = p.embed_state;
  auto third = q.duplicate("w", "03", "Push notifications arrive hours late on my Android");
  CHECK(dup_of(third) != "");
  CHECK(third.at("group").as_string() == "01");
  CHECK(third.at("duplicates").as_int64() == 2);
  CHECK(q.embed_state.kv.size() == 3);
  // A re-run of a restored item is not counted again and finds no later item.
  auto rerun = q.duplicate("w", "01", "Push notifications arrive hours late on Android");
  CHECK(dup_of(rerun) == "");
}

TEST_CASE("themes: stable ids per workspace, kept across a restart") {
  pipeline p;
  auto a = p.themed("w", "01", "Please add a dark mode");
  CHECK(a.at("label").as_string() == "dark mode");
  CHECK(a.at("theme_id").as_string() == "dark-mode");
  auto b = p.themed("w", "02", "Gardening planner for my tomatoes");
  auto c = p.themed("w", "03", "Gardening planner for my tomatoes and peppers");
  CHECK(b.at("theme_id") == c.at("theme_id"));
  CHECK(c.at("new").as_bool() == false);

  pipeline q;
  q.embed->restore(p.embed_state);
  q.theme->restore(p.theme_state);
  auto d = q.themed("w", "04", "Gardening planner for tomatoes");
  CHECK(d.at("theme_id") == b.at("theme_id"));
  auto e = q.themed("w", "05", "Knitting patterns for woollen scarves");
  CHECK(e.at("theme_id") != b.at("theme_id"));
  CHECK(e.at("theme_id").as_string() != "c1");  // fresh ids do not reuse restored ones
}

TEST_CASE("a workspace moves from exact search to an HNSW graph and keeps finding duplicates") {
  namespace ai = pw::stages::ai;
  ai::duplicate_options o;
  o.flat_limit = 8;
  ai::duplicate_index index(o);
  ai::embedder emb(256);
  auto add = [&](const std::string& id, const std::string& text) {
    ai::analysis a(text);
    return index.add("w", id, emb.embed(a, "w", id).vector, ai::pair_profile{ai::signature(a), {}, {}, {}, {}});
  };
  const char* topics[] = {"dark mode for the editor", "export invoices to PDF", "login with Google fails",
                          "push notifications arrive late", "search ignores accents", "calendar sync is slow",
                          "profile photo upload fails", "keyboard shortcuts for lists", "tags vanish after import",
                          "currency symbol is wrong on receipts", "sidebar collapses on its own", "font size setting resets"};
  int n = 0;
  for (const char* t : topics) add("i" + std::to_string(n++), t);
  CHECK(index.size("w") == 12);
  auto r = add("dup", "push notifications arrive very late");
  REQUIRE(r.duplicate_of);
  CHECK(*r.duplicate_of == "i3");
  // And the graph survives a restart through the state values.
  ai::duplicate_index again(o);
  std::vector<std::pair<std::string, std::string>> states;
  n = 0;
  for (const char* t : topics) {
    ai::analysis a(t);
    std::string id = "i" + std::to_string(n++);
    states.emplace_back(id, index.add("w2", id, emb.embed(a, "w2", id).vector, ai::pair_profile{ai::signature(a), {}, {}, {}, {}}).state);
  }
  for (auto& [id, st] : states) CHECK(again.restore("w2", id, st));
  ai::analysis a("search ignores accents in names");
  auto r2 = again.add("w2", "new", emb.embed(a, "w2", "new").vector, ai::pair_profile{ai::signature(a), {}, {}, {}, {}});
  REQUIRE(r2.duplicate_of);
  CHECK(*r2.duplicate_of == "i4");
}

TEST_CASE("a deleted item is never a duplicate again, and its vector and terms leave the store") {
  pipeline p;
  const std::string text = "Push notifications arrive hours late on Android";
  p.duplicate("w", "01", text);
  REQUIRE(p.dup_state.kv.size() == 1);
  REQUIRE(p.embed_state.kv.size() == 1);
  pw::core::item gone;
  gone.id = "01";
  gone.workspace = "w";
  gone.text = text;
  p.dup_state.apply(p.dup->forget(gone));
  p.embed_state.apply(p.embed->forget(gone));
  CHECK(p.dup_state.kv.empty());
  CHECK(p.embed_state.kv.empty());

  auto again = p.duplicate("w", "02", text);
  CHECK(dup_of(again) == "");
  CHECK(again.at("duplicates").as_int64() == 0);
  CHECK(again.at("group").as_string() == "02");
  // After a restart the deleted item stays gone; the new one is found.
  pipeline q;
  q.embed->restore(p.embed_state);
  q.dup->restore(p.dup_state);
  CHECK(dup_of(q.duplicate("w", "03", text)) == "02");
}

TEST_CASE("document frequencies forget a deleted item's terms") {
  namespace ai = pw::stages::ai;
  ai::embedder emb(256);
  ai::analysis a("The invoice PDF export is blank"), b("Dark mode for the editor please");
  emb.embed(b, "w", "b");
  emb.embed(a, "w", "a");
  CHECK(emb.documents("w") == 2);
  emb.remove(a, "w", "a");
  CHECK(emb.documents("w") == 1);
  emb.remove(a, "w", "a");  // twice: nothing more
  CHECK(emb.documents("w") == 1);
  // With "a" gone the statistics are those of "b" alone again.
  ai::embedder fresh(256);
  CHECK(fresh.embed(b, "w", "b").vector == emb.embed(b, "w", "b").vector);
}

TEST_CASE("a deleted item leaves the HNSW graph's answers") {
  namespace ai = pw::stages::ai;
  ai::duplicate_options o;
  o.flat_limit = 4;  // the removal below happens in the flat array, the search in the graph
  ai::duplicate_index index(o);
  ai::embedder emb(256);
  auto add = [&](const std::string& id, const std::string& text) {
    ai::analysis a(text);
    return index.add("w", id, emb.embed(a, "w", id).vector, ai::pair_profile{ai::signature(a), {}, {}, {}, {}});
  };
  add("i0", "dark mode for the editor");
  add("i1", "push notifications arrive late");
  add("i2", "export invoices to PDF");
  CHECK(index.remove("w", "i1"));
  CHECK_FALSE(index.remove("w", "i1"));
  CHECK_FALSE(index.remove("w", "never"));
  const char* more[] = {"login with Google fails", "search ignores accents", "calendar sync is slow",
                        "profile photo upload fails", "tags vanish after import"};
  int n = 3;
  for (const char* t : more) add("i" + std::to_string(n++), t);
  CHECK(index.size("w") == 7);
  auto r = add("dup", "push notifications arrive very late");
  CHECK_FALSE(r.duplicate_of);
  CHECK(r.nearest != std::optional<std::string>("i1"));
  // A graph node removed after the move is left out too.
  add("p1", "push notifications arrive late on my phone");
  CHECK(index.remove("w", "dup"));
  CHECK(index.remove("w", "p1"));
  auto r2 = add("p2", "push notifications arrive late on my phone");
  CHECK_FALSE(r2.duplicate_of);
  CHECK(r2.duplicates == 0);
}
