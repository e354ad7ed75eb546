// pw_ai_quality: runs the built-in feedback stages over a labelled JSONL file
// (id, workspace, lang, text, sentiment, urgency, category, theme, dup_group,
// trap_of), in file order and workspace by workspace as the server would,
// and prints how well each stage agrees with the labels.
//
//   pw_ai_quality FILE [--json] [--errors STAGE] [--threshold X] [--theme-threshold X]
//                 [--floor sentiment_f1=X,category=X,urgency=X,critical=X,dup_f1=X,purity=X,traps_paired=X]
//   pw_ai_quality --explain "some text"
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/json.hpp"
#include "stages/ai/analysis.hpp"
#include "stages/ai/classify.hpp"
#include "stages/ai/dup_guard.hpp"
#include "stages/ai/sentiment.hpp"
#include "stages/ai/theme.hpp"
#include "stages/ai/urgency.hpp"
#include "stages/ai/vector_codec.hpp"
#include "stages/builtin.hpp"

namespace json = boost::json;
using pw::stages::stage_results;

namespace {

struct gold {
  std::string id, workspace, lang, text, sentiment, urgency, category, theme, dup_group, trap_of;
};

std::string str(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

std::vector<gold> load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<gold> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto o = json::parse(line).as_object();
    out.push_back(gold{str(o, "id"), str(o, "workspace"), str(o, "lang"), str(o, "text"), str(o, "sentiment"),
                       str(o, "urgency"), str(o, "category"), str(o, "theme"), str(o, "dup_group"), str(o, "trap_of")});
  }
  return out;
}

// A confusion matrix over named classes, with accuracy, recall and macro-F1.
struct confusion {
  std::vector<std::string> classes;
  std::map<std::pair<std::string, std::string>, int> m;  // (gold, predicted)
  int n = 0, right = 0;
  explicit confusion(std::vector<std::string> c) : classes(std::move(c)) {}
  void add(const std::string& g, const std::string& p) {
    ++m[{g, p}];
    ++n;
    right += g == p;
  }
  double accuracy() const { return n ? double(right) / n : 0; }
  double recall(const std::string& c) const {
    int tp = m.count({c, c}) ? m.at({c, c}) : 0, all = 0;
    for (auto& [k, v] : m) all += k.first == c ? v : 0;
    return all ? double(tp) / all : 0;
  }
  double f1(const std::string& c) const {
    int tp = m.count({c, c}) ? m.at({c, c}) : 0, fp = 0, fn = 0;
    for (auto& [k, v] : m) {
      if (k.second == c && k.first != c) fp += v;
      if (k.first == c && k.second != c) fn += v;
    }
    return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
  }
  double macro_f1() const {
    double s = 0;
    for (auto& c : classes) s += f1(c);
    return classes.empty() ? 0 : s / classes.size();
  }
  void print(const char* title) const {
    std::printf("%s (rows: gold, columns: predicted)\n%16s", title, "");
    for (auto& c : classes) std::printf("%10.9s", c.c_str());
    std::printf("\n");
    for (auto& g : classes) {
      std::printf("%16s", g.c_str());
      for (auto& p : classes) std::printf("%10d", m.count({g, p}) ? m.at({g, p}) : 0);
      std::printf("\n");
    }
  }
  json::object to_json() const {
    json::object o;
    for (auto& g : classes) {
      json::object row;
      for (auto& p : classes) row[p] = m.count({g, p}) ? m.at({g, p}) : 0;
      o[g] = std::move(row);
    }
    return o;
  }
};

std::shared_ptr<pw::stages::stage_backend> backend(std::string_view kind, const pw::core::stage_spec& spec) {
  auto b = pw::stages::builtin::make(kind, spec, "bench." + std::string(kind));
  if (!b) throw std::runtime_error(b.err().message);
  return b.value();
}

void explain(const std::string& text) {
  namespace ai = pw::stages::ai;
  ai::analysis a(text);
  std::printf("language: %s\ntokens:", std::string(ai::to_string(a.language())).c_str());
  for (auto& t : a.tokens()) std::printf(" %s%s", t.text.c_str(), t.caps ? "^" : "");
  std::printf("\nconcepts:");
  for (auto& c : a.concepts()) std::printf(" @%s[%u,%u)", std::string(a.lex().concept_name(c.entry)).c_str(), c.begin, c.end);
  std::printf("\nhits:\n");
  for (const char* sec : {"valence", "negation", "intensifier", "contrast", "concession", "sarcasm", "cue", "theme", "guard"})
    for (auto& h : a.hits(sec))
      std::printf("  [%s] '%s' = %g [%u,%u)\n", sec, h.e->pattern.c_str(), h.e->weight, h.begin, h.end);
  std::printf("tags:");
  for (auto& t : a.tags()) std::printf(" %s:%g", std::string(a.lex().tag_name(t.tag)).c_str(), t.weight);
  auto g = ai::signature(a);
  std::printf("\nguard: %zu groups; terms:", g.groups.size());
  for (auto& t : g.terms) std::printf(" %s", t.c_str());
  auto s = ai::sentiment(a);
  auto u = ai::urgency(a);
  auto c = ai::classify(a, s);
  std::printf("\n=> sentiment %s %.3f (raw %.2f) | urgency %s %.2f (%s) | category %s %.2f | theme '%s'\n",
              std::string(ai::to_string(s.label)).c_str(), s.score, s.raw, std::string(ai::to_string(u.level)).c_str(),
              u.score, std::string(u.reason).c_str(), std::string(ai::to_string(c.label)).c_str(), c.confidence,
              ai::keyword_theme(a).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string file, errors_of;
  bool as_json = false;
  std::string floor_spec;  // "sentiment_f1=0.8,category=0.9,...": exit 1 below any
  pw::core::stage_spec dup_spec, theme_spec, plain;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") as_json = true;
    else if (a == "--errors" && i + 1 < argc) errors_of = argv[++i];
    else if (a == "--floor" && i + 1 < argc) floor_spec = argv[++i];
    else if (a == "--threshold" && i + 1 < argc) dup_spec.options["threshold"] = std::stod(argv[++i]);
    else if (a == "--theme-threshold" && i + 1 < argc) theme_spec.options["threshold"] = std::stod(argv[++i]);
    else if (a == "--explain" && i + 1 < argc) {
      explain(argv[++i]);
      return 0;
    } else file = a;
  }
  if (file.empty()) {
    std::fprintf(stderr, "usage: pw_ai_quality FILE [--json] [--errors STAGE] [--threshold X] | --explain TEXT\n");
    return 2;
  }
  auto items = load(file);
  std::map<std::string, std::shared_ptr<pw::stages::stage_backend>> b;
  for (std::string_view k : pw::stages::builtin::kinds)
    b[std::string(k)] = backend(k, k == "duplicate" ? dup_spec : k == "theme" ? theme_spec : plain);

  confusion sent({"positive", "neutral", "negative"});
  confusion cat({"bug", "feature_request", "question", "praise", "complaint", "billing"});
  confusion urg({"low", "medium", "high", "critical"});
  std::map<std::string, const gold*> by_id;
  std::map<std::string, std::array<int, 4>> per_lang;  // items, sentiment, category, urgency right
  std::map<std::string, std::string> dup_of, theme_of, label_of;
  std::map<std::string, std::vector<float>> vec_of;
  int theme_label_right = 0;
  for (const auto& g : items) {
    pw::core::item it;
    it.id = g.id;
    it.workspace = g.workspace;
    it.text = g.text;
    it.pipeline = "feedback";
    stage_results up;
    for (std::string_view k : pw::stages::builtin::kinds) {
      auto out = b[std::string(k)]->run(pw::stages::stage_input{it, up, 1});
      auto* ok = std::get_if<pw::stages::stage_success>(&out);
      if (!ok) throw std::runtime_error("stage " + std::string(k) + " failed on " + g.id + ": " +
                                        std::get<pw::stages::stage_error>(out).message);
      up.set(std::string(k), std::make_shared<json::object>(ok->output));
    }
    by_id[g.id] = &g;
    if (errors_of == "pairs")
      vec_of[g.id] = *pw::stages::ai::decode_vector(std::string_view(up.find("embed")->at("vector").as_string()));
    auto label = [&](const char* st, const char* f) { return std::string(up.find(st)->at(f).as_string()); };
    std::string s = label("sentiment", "label"), c = label("classify", "label"), u = label("urgency", "level");
    auto& pl = per_lang[g.lang.empty() ? "?" : g.lang];
    ++pl[0];
    pl[1] += g.sentiment == s;
    pl[2] += g.category == c;
    pl[3] += g.urgency == u;
    sent.add(g.sentiment, s);
    cat.add(g.category, c);
    urg.add(g.urgency, u);
    const auto& d = *up.find("duplicate");
    if (d.at("duplicate_of").is_string()) dup_of[g.id] = std::string(d.at("duplicate_of").as_string());
    theme_of[g.id] = g.workspace + "/" + label("theme", "theme_id");
    label_of[g.id] = label("theme", "label");
    theme_label_right += label_of[g.id] == g.theme;
    auto show = [&](const std::string& gl, const std::string& pl) {
      if (gl != pl)
        std::printf("%s\tgold=%s\tpred=%s\t%s\n", g.id.c_str(), gl.c_str(), pl.c_str(), g.text.c_str());
    };
    if (errors_of == "sentiment") show(g.sentiment, s);
    if (errors_of == "classify") show(g.category, c);
    if (errors_of == "urgency") show(g.urgency, u);
    if (errors_of == "theme") show(g.theme, label_of[g.id]);
  }

  // Duplicates: a predicted link is right when both items share a dup_group.
  int predicted = 0, correct = 0, gold_links = 0, traps = 0, traps_paired = 0;
  std::map<std::string, int> group_size;
  for (const auto& g : items)
    if (!g.dup_group.empty()) ++group_size[g.workspace + "/" + g.dup_group];
  for (auto& [k, n] : group_size) gold_links += n - 1;
  auto same = [&](const gold& x, const gold& y) { return !x.dup_group.empty() && x.dup_group == y.dup_group && x.workspace == y.workspace; };
  for (auto& [id, of] : dup_of) {
    ++predicted;
    const gold& x = *by_id[id];
    const gold& y = *by_id[of];
    bool ok = same(x, y);
    correct += ok;
    if (errors_of == "duplicate" && !ok)
      std::printf("FP\t%s -> %s\n\t%s\n\t%s\n", id.c_str(), of.c_str(), x.text.c_str(), y.text.c_str());
  }
  std::set<std::string> trap_hit;
  for (const auto& g : items) {
    if (g.trap_of.empty()) continue;
    ++traps;
    bool paired = false;
    for (auto& [id, of] : dup_of) {
      const gold& x = *by_id[id];
      const gold& y = *by_id[of];
      if ((id == g.id && y.dup_group == g.trap_of) || (of == g.id && x.dup_group == g.trap_of)) paired = true;
    }
    traps_paired += paired;
  }
  if (errors_of == "duplicate") {
    // Missed links: items with an earlier group member that got no right link.
    std::map<std::string, std::string> first;
    for (const auto& g : items) {
      if (g.dup_group.empty()) continue;
      auto key = g.workspace + "/" + g.dup_group;
      if (!first.count(key)) {
        first[key] = g.id;
        continue;
      }
      auto it = dup_of.find(g.id);
      if (it == dup_of.end() || !same(g, *by_id[it->second]))
        std::printf("FN\t%s (group %s, first %s)\n\t%s\n\t%s\n", g.id.c_str(), g.dup_group.c_str(), first[key].c_str(),
                    g.text.c_str(), by_id[first[key]]->text.c_str());
    }
  }
  double precision = predicted ? double(correct) / predicted : 0, recall = gold_links ? double(correct) / gold_links : 0;
  double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;

  // Theme purity: predicted themes (per workspace) against gold themes.
  std::map<std::string, std::map<std::string, int>> clusters;
  for (const auto& g : items) ++clusters[theme_of[g.id]][g.theme];
  int pure = 0;
  for (auto& [k, counts] : clusters) {
    int best = 0;
    for (auto& [t, n] : counts) best = std::max(best, n);
    pure += best;
  }
  double purity = items.empty() ? 0 : double(pure) / items.size();
  double theme_acc = items.empty() ? 0 : double(theme_label_right) / items.size();

  if (errors_of == "pairs") {
    // Cosine of every gold pair, and each item's most similar non-duplicate.
    auto cos = [&](const std::string& a, const std::string& b) {
      const auto& x = vec_of[a];
      const auto& y = vec_of[b];
      return pw::stages::ai::dot(x.data(), y.data(), x.size());
    };
    for (std::size_t i = 0; i < items.size(); ++i)
      for (std::size_t j = 0; j < i; ++j) {
        const gold &x = items[i], &y = items[j];
        if (x.workspace != y.workspace) continue;
        bool dup = same(x, y);
        bool trap = (!x.trap_of.empty() && x.trap_of == y.dup_group) || (!y.trap_of.empty() && y.trap_of == x.dup_group);
        float c = cos(x.id, y.id);
        if (dup || trap || c > 0.35f)
          std::printf("%s\t%.3f\t%s | %s\n", dup ? "DUP " : trap ? "TRAP" : "none", c, x.text.c_str(), y.text.c_str());
      }
  }
  if (!errors_of.empty()) return 0;
  // Regression guard: each named figure must reach its floor (traps_paired
  // is a ceiling: at most that share of traps may be paired).
  const std::map<std::string, double> figures = {
      {"sentiment_f1", sent.macro_f1()}, {"category", cat.accuracy()},   {"urgency", urg.accuracy()},
      {"critical", urg.recall("critical")}, {"dup_f1", f1},             {"purity", purity},
      {"traps_paired", traps ? double(traps_paired) / traps : 0.0}};
  int below = 0;
  for (std::size_t at = 0; at < floor_spec.size();) {
    std::size_t end = floor_spec.find(',', at);
    if (end == std::string::npos) end = floor_spec.size();
    const std::string part = floor_spec.substr(at, end - at);
    at = end + 1;
    const auto eq = part.find('=');
    const auto it = eq == std::string::npos ? figures.end() : figures.find(part.substr(0, eq));
    if (it == figures.end()) {
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
  if (below) return 1;
  if (as_json) {
    json::object o;
    o["items"] = static_cast<std::int64_t>(items.size());
    o["sentiment"] = {{"macro_f1", sent.macro_f1()}, {"accuracy", sent.accuracy()}, {"confusion", sent.to_json()}};
    o["category"] = {{"accuracy", cat.accuracy()}, {"macro_f1", cat.macro_f1()}, {"confusion", cat.to_json()}};
    o["urgency"] = {{"accuracy", urg.accuracy()}, {"critical_recall", urg.recall("critical")}, {"confusion", urg.to_json()}};
    o["duplicate"] = {{"predicted", predicted}, {"correct", correct}, {"gold_links", gold_links}, {"precision", precision},
                      {"recall", recall}, {"f1", f1}, {"traps", traps}, {"traps_paired", traps_paired}};
    json::object langs;
    for (auto& [l, v] : per_lang)
      langs[l] = {{"items", v[0]}, {"sentiment_accuracy", double(v[1]) / v[0]}, {"category_accuracy", double(v[2]) / v[0]},
                  {"urgency_accuracy", double(v[3]) / v[0]}};
    o["languages"] = std::move(langs);
    o["theme"] = {{"purity", purity}, {"label_accuracy", theme_acc}, {"themes", static_cast<std::int64_t>(clusters.size())}};
    std::cout << pw::core::to_json(o) << "\n";
    return 0;
  }
  std::printf("items: %zu\n\n", items.size());
  std::printf("sentiment: macro-F1 %.3f, accuracy %.3f\n", sent.macro_f1(), sent.accuracy());
  sent.print("sentiment");
  std::printf("\ncategory: accuracy %.3f, macro-F1 %.3f\n", cat.accuracy(), cat.macro_f1());
  cat.print("category");
  std::printf("\nurgency: accuracy %.3f, critical recall %.3f\n", urg.accuracy(), urg.recall("critical"));
  urg.print("urgency");
  std::printf("\nduplicate: precision %.3f, recall %.3f, F1 %.3f (%d predicted, %d correct, %d gold links)\n", precision,
              recall, f1, predicted, correct, gold_links);
  std::printf("traps wrongly paired: %d of %d\n", traps_paired, traps);
  std::printf("\ntheme: purity %.3f over %zu themes; label accuracy %.3f\n", purity, clusters.size(), theme_acc);
  std::printf("\nper language (accuracy): ");
  for (auto& [l, v] : per_lang)
    std::printf(" %s n=%d sentiment %.2f category %.2f urgency %.2f;", l.c_str(), v[0], double(v[1]) / v[0],
                double(v[2]) / v[0], double(v[3]) / v[0]);
  std::printf("\n");
  return 0;
}
