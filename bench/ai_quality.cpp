// pw_ai_quality: runs the built-in feedback stages over labelled JSONL (the
// corpus format of tests/data/README.md: id, workspace, lang, text,
// sentiment, urgency, category, theme, dup_group, trap_of; kind, tags and
// batch optional), in file order and workspace by workspace as the server
// would, and prints how well each stage agrees with the labels: sentiment
// macro-F1, category accuracy, urgency accuracy and critical recall (with
// confusion matrices), duplicate pair precision/recall/F1 and traps paired,
// theme purity; then the same per language, product kind (`kind`, else the
// workspace's prefix) and hard-case tag.
//
//   pw_ai_quality FILE|DIR... [--batches B,B | --exclude-batches B,B] [--models FILE]
//                 [--json] [--errors sentiment|classify|urgency|theme|duplicate]
//                 [--threshold X] [--theme-threshold X] [--theme-split X]
//                 [--floor sentiment_f1=X,category=X,urgency=X,critical=X,dup_f1=X,purity=X,traps_paired=X]
//   pw_ai_quality --explain "some text"
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "ai_quality/scoring.hpp"
#include "core/json.hpp"
#include "stages/ai/dup_guard.hpp"
#include "stages/ai/reading.hpp"
#include "stages/ai/theme.hpp"
#include "stages/ai/urgency.hpp"
#include "stages/builtin.hpp"
#include "stages/builtin_models.hpp"

namespace json = boost::json;
namespace ai = pw::stages::ai;
using namespace pw::bench::quality;

namespace {

std::string str(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

std::vector<std::string> list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

void load(const std::string& path, std::vector<gold>& out) {
  if (std::filesystem::is_directory(path)) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(path))
      if (e.path().extension() == ".jsonl") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load(f, out);
    return;
  }
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::string stem = std::filesystem::path(path).stem().string();
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) throw std::runtime_error(path + ":" + std::to_string(n) + ": not a JSON object");
    const auto& o = v.as_object();
    gold g{str(o, "id"),    str(o, "workspace"), str(o, "kind"),     str(o, "lang"),      str(o, "text"),
           str(o, "sentiment"), str(o, "urgency"), str(o, "category"), str(o, "theme"), str(o, "dup_group"),
           str(o, "trap_of"), str(o, "batch"), {}};
    if (g.kind.empty()) g.kind = g.workspace.substr(0, g.workspace.find('-'));
    if (g.batch.empty()) g.batch = stem;
    if (auto it = o.find("tags"); it != o.end() && it->value().is_array())
      for (const auto& t : it->value().as_array())
        if (t.is_string()) g.tags.emplace_back(t.as_string());
    out.push_back(std::move(g));
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void explain(const std::string& text, const ai::model_file& m) {
  auto r = ai::reading::of(text, m);
  const auto& a = *r->text;
  std::printf("language: %s\ntokens:", std::string(ai::to_string(a.language())).c_str());
  for (auto& t : a.tokens()) std::printf(" %s%s", t.text.c_str(), t.caps ? "^" : "");
  std::printf("\nconcepts:");
  for (auto& c : a.concepts()) std::printf(" @%s", std::string(a.lex().concept_name(c.entry)).c_str());
  std::printf("\ntags:");
  for (auto& t : a.tags()) std::printf(" %s:%g", std::string(a.lex().tag_name(t.tag)).c_str(), t.weight);
  std::printf("\nfeatures: %zu non-zero slots\n", r->features.entries.size());
  auto show = [&](const char* name, const std::vector<float>& p) {
    const auto* lm = m.model(name);
    if (!lm) return;
    std::vector<std::size_t> order(p.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto x, auto y) { return p[x] > p[y]; });
    std::printf("%-10s", name);
    for (std::size_t k = 0; k < std::min<std::size_t>(4, order.size()); ++k)
      std::printf(" %s %.3f", lm->classes[order[k]].c_str(), p[order[k]]);
    std::printf("\n");
  };
  show("sentiment", r->probabilities.sentiment);
  show("category", r->probabilities.category);
  show("urgency", r->probabilities.urgency);
  show("theme", r->probabilities.theme);
  const auto& d = r->decided;
  std::printf("=> sentiment %s %.3f | urgency %s %.2f (critical at P >= %.3f; rule: %s) | category %s %.2f | theme '%s'\n",
              std::string(d.sentiment).c_str(), d.sentiment_score, std::string(d.urgency).c_str(), d.urgency_score,
              m.param("urgency.critical_threshold", 0.5f), std::string(ai::to_string(ai::urgency(a).level)).c_str(),
              std::string(d.category).c_str(), d.category_confidence,
              d.theme.empty() ? ai::keyword_theme(a).c_str() : std::string(d.theme).c_str());
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> inputs;
  std::string errors_of, floor_spec, models_path, batches, exclude, explain_text;
  bool as_json = false;
  pw::core::stage_spec dup_spec, theme_spec, plain;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--json") as_json = true;
    else if (a == "--errors") errors_of = next();
    else if (a == "--floor") floor_spec = next();
    else if (a == "--models") models_path = next();
    else if (a == "--batches") batches = next();
    else if (a == "--exclude-batches") exclude = next();
    else if (a == "--threshold") dup_spec.options["threshold"] = std::stod(next());
    else if (a == "--theme-threshold") theme_spec.options["threshold"] = std::stod(next());
    else if (a == "--theme-split") theme_spec.options["split_threshold"] = std::stod(next());
    else if (a == "--explain") explain_text = next();
    else inputs.push_back(a);
  }
  std::optional<ai::model_file> own;
  if (!models_path.empty()) own = ai::model_file::parse(read_bytes(models_path));
  const ai::model_file& models = own ? *own : pw::stages::builtin::models();
  if (!explain_text.empty()) {
    explain(explain_text, models);
    return 0;
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: pw_ai_quality FILE|DIR... [--batches B,..|--exclude-batches B,..] [--models FILE] "
                         "[--json] [--errors STAGE] [--floor ...] | --explain TEXT\n");
    return 2;
  }
  std::vector<gold> all, items;
  for (const auto& in : inputs) load(in, all);
  const auto only = list(batches), skip = list(exclude);
  for (auto& g : all)
    if ((only.empty() || std::count(only.begin(), only.end(), g.batch)) && !std::count(skip.begin(), skip.end(), g.batch))
      items.push_back(std::move(g));

  std::map<std::string, std::shared_ptr<pw::stages::stage_backend>> b;
  for (std::string_view k : pw::stages::builtin::kinds) {
    auto r = pw::stages::builtin::make(k, k == "duplicate" ? dup_spec : k == "theme" ? theme_spec : plain,
                                       "bench." + std::string(k), &models);
    if (!r) throw std::runtime_error(r.err().message);
    b[std::string(k)] = r.value();
  }
  std::vector<predicted> out;
  for (const auto& g : items) {
    pw::core::item it;
    it.id = g.id;
    it.workspace = g.workspace;
    it.text = g.text;
    it.pipeline = "feedback";
    pw::stages::stage_results up;
    for (std::string_view k : pw::stages::builtin::kinds) {
      auto r = b[std::string(k)]->run(pw::stages::stage_input{it, up, 1});
      auto* ok = std::get_if<pw::stages::stage_success>(&r);
      if (!ok) throw std::runtime_error("stage " + std::string(k) + " failed on " + g.id + ": " +
                                        std::get<pw::stages::stage_error>(r).message);
      up.set(std::string(k), std::make_shared<json::object>(ok->output));
    }
    auto field = [&](const char* st, const char* f) { return std::string(up.find(st)->at(f).as_string()); };
    predicted p{field("sentiment", "label"), field("urgency", "level"), field("classify", "label"),
                field("theme", "theme_id"), field("theme", "label"), ""};
    const auto& d = up.find("duplicate")->at("duplicate_of");
    if (d.is_string()) p.duplicate_of = std::string(d.as_string());
    auto show = [&](const std::string& gl, const std::string& pl) {
      if (gl != pl) std::printf("%s\tgold=%s\tpred=%s\t%s\n", g.id.c_str(), gl.c_str(), pl.c_str(), g.text.c_str());
    };
    if (errors_of == "sentiment") show(g.sentiment, p.sentiment);
    if (errors_of == "classify") show(g.category, p.category);
    if (errors_of == "urgency") show(g.urgency, p.urgency);
    if (errors_of == "theme") show(g.theme, p.theme_label);
    out.push_back(std::move(p));
  }
  if (errors_of == "duplicate") {
    std::map<std::string, std::size_t> at;
    for (std::size_t i = 0; i < items.size(); ++i) at[items[i].id] = i;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& g = items[i];
      if (!out[i].duplicate_of.empty()) {
        const auto& y = items[at[out[i].duplicate_of]];
        if (g.dup_group.empty() || g.dup_group != y.dup_group)
          std::printf("FP\t%s -> %s\n\t%s\n\t%s\n", g.id.c_str(), y.id.c_str(), g.text.c_str(), y.text.c_str());
      }
    }
  }
  if (!errors_of.empty()) return 0;

  const auto f = score(items, out, {});
  // Regression guard: each named figure must reach its floor (traps_paired
  // is a ceiling: at most that share of traps may be paired).
  const std::map<std::string, double> figures_by_name = {
      {"sentiment_f1", f.sentiment.macro_f1()}, {"category", f.category.accuracy()}, {"urgency", f.urgency.accuracy()},
      {"critical", f.urgency.recall("critical")}, {"dup_f1", f.dup.f1()},          {"purity", f.purity},
      {"traps_paired", f.dup.traps ? double(f.dup.traps_paired) / f.dup.traps : 0.0}};
  int below = 0;
  for (const auto& part : list(floor_spec)) {
    const auto eq = part.find('=');
    const auto it = eq == std::string::npos ? figures_by_name.end() : figures_by_name.find(part.substr(0, eq));
    if (it == figures_by_name.end()) {
      std::fprintf(stderr, "--floor: unknown figure in '%s'\n", part.c_str());
      return 2;
    }
    const double limit = std::stod(part.substr(eq + 1));
    const bool ceiling = it->first == "traps_paired";
    if (ceiling ? it->second > limit : it->second < limit) {
      std::fprintf(stderr, "quality regression: %s = %.3f, %s %.3f\n", it->first.c_str(), it->second,
                   ceiling ? "ceiling" : "floor", limit);
      ++below;
    }
  }
  if (as_json) {
    auto o = json_report(items, out);
    o["models"] = models.version();
    std::cout << pw::core::to_json(o) << "\n";
  } else {
    std::printf("models: %s\n", models.version().c_str());
    print_report(items, out);
  }
  return below ? 1 : 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pw_ai_quality: %s\n", e.what());
  return 2;
}
