#include "scoring.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace pw::bench::quality {

namespace json = boost::json;

void confusion::add(const std::string& g, const std::string& p) {
  ++m[{g, p}];
  ++n;
  right += g == p;
}

int confusion::count(const std::string& g, const std::string& p) const {
  auto it = m.find({g, p});
  return it == m.end() ? 0 : it->second;
}

double confusion::recall(const std::string& c) const {
  int all = 0;
  for (auto& [k, v] : m) all += k.first == c ? v : 0;
  return all ? double(count(c, c)) / all : 0;
}

double confusion::precision(const std::string& c) const {
  int all = 0;
  for (auto& [k, v] : m) all += k.second == c ? v : 0;
  return all ? double(count(c, c)) / all : 0;
}

double confusion::f1(const std::string& c) const {
  int tp = count(c, c), fp = 0, fn = 0;
  for (auto& [k, v] : m) {
    if (k.second == c && k.first != c) fp += v;
    if (k.first == c && k.second != c) fn += v;
  }
  return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
}

double confusion::macro_f1() const {
  double s = 0;
  for (auto& c : classes) s += f1(c);
  return classes.empty() ? 0 : s / classes.size();
}

void confusion::print(const char* title) const {
  std::printf("%s (rows: gold, columns: predicted)\n%16s", title, "");
  for (auto& c : classes) std::printf("%10.9s", c.c_str());
  std::printf("\n");
  for (auto& g : classes) {
    std::printf("%16s", g.c_str());
    for (auto& p : classes) std::printf("%10d", count(g, p));
    std::printf("\n");
  }
}

json::object confusion::to_json() const {
  json::object o;
  for (auto& g : classes) {
    json::object row;
    for (auto& p : classes) row[p] = count(g, p);
    o[g] = std::move(row);
  }
  return o;
}

json::object figures::to_json(bool matrices) const {
  json::object o;
  o["items"] = static_cast<std::int64_t>(items);
  json::object s{{"macro_f1", sentiment.macro_f1()}, {"accuracy", sentiment.accuracy()}};
  json::object c{{"accuracy", category.accuracy()}, {"macro_f1", category.macro_f1()}};
  json::object u{{"accuracy", urgency.accuracy()},
                 {"critical_recall", urgency.recall("critical")},
                 {"critical_precision", urgency.precision("critical")}};
  if (matrices) {
    s["confusion"] = sentiment.to_json();
    c["confusion"] = category.to_json();
    u["confusion"] = urgency.to_json();
  }
  o["sentiment"] = std::move(s);
  o["category"] = std::move(c);
  o["urgency"] = std::move(u);
  o["duplicate"] = {{"predicted", dup.predicted}, {"correct", dup.correct},     {"gold_links", dup.gold_links},
                    {"precision", dup.precision()}, {"recall", dup.recall()},  {"f1", dup.f1()},
                    {"traps", dup.traps},          {"traps_paired", dup.traps_paired}};
  o["theme"] = {{"purity", purity}, {"label_accuracy", theme_label_accuracy}, {"themes", static_cast<std::int64_t>(themes)}};
  return o;
}

figures score(const std::vector<gold>& g, const std::vector<predicted>& p, const std::vector<std::size_t>& keep_in) {
  // Duplicates are judged per item against the whole file: an item of the
  // subset is a gold link when an earlier item of the file shares its group
  // (so a Spanish report linked to the English one counts for "es"), a
  // prediction when it names an earlier item; a trap of the subset is paired
  // when it is linked, either way, with a member of the group it imitates.
  std::vector<std::size_t> keep = keep_in;
  if (keep.empty())
    for (std::size_t i = 0; i < g.size(); ++i) keep.push_back(i);
  figures f;
  f.items = keep.size();
  std::map<std::string, std::size_t> index;  // id -> item, whole file
  for (std::size_t i = 0; i < g.size(); ++i) index[g[i].id] = i;
  auto same = [&](const gold& x, const gold& y) {
    return !x.dup_group.empty() && x.dup_group == y.dup_group && x.workspace == y.workspace;
  };
  std::vector<char> has_earlier(g.size(), 0), paired(g.size(), 0);
  {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (g[i].dup_group.empty()) continue;
      has_earlier[i] = !seen.insert(g[i].workspace + "/" + g[i].dup_group).second;
    }
    for (std::size_t i = 0; i < g.size(); ++i) {
      auto it = p[i].duplicate_of.empty() ? index.end() : index.find(p[i].duplicate_of);
      if (it == index.end()) continue;
      const gold &x = g[i], &y = g[it->second];
      if (x.workspace != y.workspace) continue;
      if (!x.trap_of.empty() && x.trap_of == y.dup_group) paired[i] = 1;
      if (!y.trap_of.empty() && y.trap_of == x.dup_group) paired[it->second] = 1;
    }
  }
  int label_right = 0;
  std::map<std::string, std::map<std::string, int>> clusters;
  for (auto i : keep) {
    f.sentiment.add(g[i].sentiment, p[i].sentiment);
    f.category.add(g[i].category, p[i].category);
    f.urgency.add(g[i].urgency, p[i].urgency);
    label_right += g[i].theme == p[i].theme_label;
    ++clusters[g[i].workspace + "/" + p[i].theme_id][g[i].theme];
    f.dup.gold_links += has_earlier[i];
    f.dup.traps += !g[i].trap_of.empty();
    f.dup.traps_paired += paired[i];
    auto it = p[i].duplicate_of.empty() ? index.end() : index.find(p[i].duplicate_of);
    if (it == index.end()) continue;
    ++f.dup.predicted;
    f.dup.correct += same(g[i], g[it->second]);
  }
  int pure = 0;
  for (auto& [k, counts] : clusters) {
    int best = 0;
    for (auto& [t, n] : counts) best = std::max(best, n);
    pure += best;
  }
  f.themes = clusters.size();
  f.purity = keep.empty() ? 0 : double(pure) / keep.size();
  f.theme_label_accuracy = keep.empty() ? 0 : double(label_right) / keep.size();
  return f;
}

namespace {

using grouping = std::map<std::string, std::vector<std::size_t>>;

grouping groups_by(const std::vector<gold>& g, int what) {
  grouping out;
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (what == 0) out[g[i].lang.empty() ? "?" : g[i].lang].push_back(i);
    else if (what == 1) out[g[i].kind].push_back(i);
    else
      for (const auto& t : g[i].tags) out[t].push_back(i);
  }
  return out;
}

void print_groups(const char* title, const grouping& gr, const std::vector<gold>& g, const std::vector<predicted>& p) {
  std::printf("\nper %s:\n%-16s %5s %9s %9s %9s %9s %12s %8s %7s %7s\n", title, "", "n", "sent F1", "sent acc",
              "category", "urgency", "crit recall", "dup F1", "traps", "purity");
  for (const auto& [name, idx] : gr) {
    const auto f = score(g, p, idx);
    int crit = 0;
    for (auto i : idx) crit += g[i].urgency == "critical";
    char cr[32], dup[32], traps[32];
    std::snprintf(cr, sizeof cr, crit ? "%.2f (%d)" : "-", f.urgency.recall("critical"), crit);
    std::snprintf(dup, sizeof dup, f.dup.gold_links ? "%.2f" : "-", f.dup.f1());
    std::snprintf(traps, sizeof traps, f.dup.traps ? "%d/%d" : "-", f.dup.traps_paired, f.dup.traps);
    std::printf("%-16s %5zu %9.2f %9.2f %9.2f %9.2f %12s %8s %7s %7.2f\n", name.c_str(), f.items, f.sentiment.macro_f1(),
                f.sentiment.accuracy(), f.category.accuracy(), f.urgency.accuracy(), cr, dup, traps, f.purity);
  }
}

}  // namespace

void print_report(const std::vector<gold>& g, const std::vector<predicted>& p) {
  const auto f = score(g, p, {});
  std::printf("items: %zu\n\n", f.items);
  std::printf("sentiment: macro-F1 %.3f, accuracy %.3f\n", f.sentiment.macro_f1(), f.sentiment.accuracy());
  f.sentiment.print("sentiment");
  std::printf("\ncategory: accuracy %.3f, macro-F1 %.3f\n", f.category.accuracy(), f.category.macro_f1());
  f.category.print("category");
  std::printf("\nurgency: accuracy %.3f, critical recall %.3f, critical precision %.3f\n", f.urgency.accuracy(),
              f.urgency.recall("critical"), f.urgency.precision("critical"));
  f.urgency.print("urgency");
  std::printf("\nduplicate: precision %.3f, recall %.3f, F1 %.3f (%d predicted, %d correct, %d gold links)\n",
              f.dup.precision(), f.dup.recall(), f.dup.f1(), f.dup.predicted, f.dup.correct, f.dup.gold_links);
  std::printf("traps wrongly paired: %d of %d (%.1f %%)\n", f.dup.traps_paired, f.dup.traps,
              f.dup.traps ? 100.0 * f.dup.traps_paired / f.dup.traps : 0.0);
  std::printf("\ntheme: purity %.3f over %zu themes; label accuracy %.3f\n", f.purity, f.themes, f.theme_label_accuracy);
  print_groups("language", groups_by(g, 0), g, p);
  print_groups("product kind", groups_by(g, 1), g, p);
  print_groups("hard-case tag", groups_by(g, 2), g, p);
}

json::object json_report(const std::vector<gold>& g, const std::vector<predicted>& p) {
  json::object o = score(g, p, {}).to_json(true);
  const char* names[] = {"languages", "kinds", "tags"};
  for (int w = 0; w < 3; ++w) {
    json::object part;
    for (const auto& [name, idx] : groups_by(g, w)) part[name] = score(g, p, idx).to_json(false);
    o[names[w]] = std::move(part);
  }
  return o;
}

}  // namespace pw::bench::quality
