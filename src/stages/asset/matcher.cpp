#include "stages/asset/matcher.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "stages/ai/text.hpp"

namespace pw::stages::asset {

namespace {

// Letters OCR mistakes for each other: substituting within a group costs a
// quarter of a plain substitution.
constexpr std::string_view confusion_groups[] = {"O0QD", "I1LJ", "S5", "B8", "Z2", "G6C", "A4", "UV", "E3"};
// Two letters read as one, or one as two (rn / m), cost a little more.
constexpr std::pair<std::string_view, char> merges[] = {{"RN", 'M'}, {"VV", 'W'}, {"CL", 'D'}, {"LI", 'U'}};
constexpr double confused_cost = 0.25;
constexpr double merge_cost = 0.3;

bool confusable(char x, char y) {
  for (auto g : confusion_groups)
    if (g.find(x) != std::string_view::npos && g.find(y) != std::string_view::npos) return true;
  return false;
}

bool merged(char a0, char a1, char b) {
  for (const auto& [two, one] : merges)
    if (two[0] == a0 && two[1] == a1 && one == b) return true;
  return false;
}

// The similarity a name of this (compact) length needs.
double threshold_for(std::size_t len, double base) {
  if (len <= 3) return 0.9;
  if (len <= 5) return std::max(base, 0.85);
  return base;
}

struct span {
  std::string compact;
  std::string text;
  std::size_t words = 0;
};

struct prepared_line {
  const text_line* line;
  std::vector<span> spans;  // up to max_span_words words each
  std::string whole;        // compact of the whole line (words joined)
  std::vector<std::size_t> starts, ends;  // where each word starts and ends in `whole`
};

constexpr std::size_t max_span_words = 6;

prepared_line prepare(const text_line& l) {
  prepared_line p{&l, {}, {}};
  std::vector<std::pair<std::string, std::string>> words;  // (compact, text)
  std::size_t i = 0;
  const std::string_view t = l.text;
  while (i < t.size()) {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < t.size() && !(t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r')) ++j;
    if (j > i) {
      auto c = compact(t.substr(i, j - i));
      if (!c.empty()) words.emplace_back(std::move(c), std::string(t.substr(i, j - i)));
    }
    i = j;
  }
  for (std::size_t a = 0; a < words.size(); ++a) {
    span s;
    for (std::size_t b = a; b < words.size() && b - a < max_span_words; ++b) {
      s.compact += words[b].first;
      if (!s.text.empty()) s.text += ' ';
      s.text += words[b].second;
      ++s.words;
      p.spans.push_back(s);
    }
    p.starts.push_back(p.whole.size());
    p.whole += words[a].first;
    p.ends.push_back(p.whole.size());
  }
  return p;
}

struct hit {
  double confidence = 0;
  double sim = 0;
  std::string read_as;
};

// The best reading of `name` in one line.
hit find_in(const std::string& name, const prepared_line& line, double base_threshold) {
  hit best;
  const auto m = name.size();
  if (m == 0) return best;
  const double need = threshold_for(m, base_threshold);
  auto consider = [&](double sim, const std::string& read_as) {
    if (sim < need) return;
    const auto& l = *line.line;
    const double c = sim * sim * (0.6 + 0.4 * std::clamp(l.confidence, 0.0, 1.0)) *
                     (0.8 + 0.2 * std::clamp(l.prominence, 0.0, 1.0));
    if (c > best.confidence) best = hit{c, sim, read_as};
  };
  for (const auto& s : line.spans) {
    const auto n = s.compact.size();
    if (m <= 3) {
      // Short names only as a whole word: "ERA" is not inside "OPERATOR".
      if (s.words == 1 && n == m) consider(similarity(name, s.compact), s.text);
      continue;
    }
    if (n * 10 < m * 6 || n * 10 > m * 15) continue;
    consider(similarity(name, s.compact), s.text);
  }
  // Words OCR ran together ("ROLEXSUBMARINER"): the name inside a word,
  // when what it leaves of the word on either side is a word boundary or
  // long enough to be a word of its own, so that "MAGIC" is not read in
  // "MAGICIAN" (a short name needs one of its ends on a boundary too).
  if (m >= 5) {
    for (auto at = line.whole.find(name); at != std::string::npos; at = line.whole.find(name, at + 1)) {
      std::size_t w = 0;
      while (w + 1 < line.starts.size() && line.starts[w + 1] <= at) ++w;
      const std::size_t before = at - line.starts[w];
      std::size_t end_word = w;
      while (end_word < line.ends.size() && line.ends[end_word] < at + m) ++end_word;
      if (end_word == line.ends.size()) continue;
      const std::size_t after = line.ends[end_word] - (at + m);
      const bool left = before == 0 || before >= 5, right = after == 0 || after >= 5;
      if (left && right && (m >= 8 || before == 0 || after == 0)) {
        consider(0.96, name);
        break;
      }
    }
  }
  return best;
}

struct scored {
  double confidence = 0;  // the readers' confidences combined
  double sim = 0;
  std::string source;
  std::string read_as;
};

// How well `names` (a brand's spellings, or one model) are read in `lines`:
// the best hit of each source, combined as independent evidence.
scored score(const std::vector<std::string>& names, const std::vector<prepared_line>& lines, double base_threshold) {
  std::map<std::string, hit> by_source;
  for (const auto& name : names) {
    if (name.empty()) continue;
    for (const auto& l : lines) {
      auto h = find_in(name, l, base_threshold);
      auto& b = by_source[l.line->source];
      if (h.confidence > b.confidence) b = h;
    }
  }
  scored out;
  double miss = 1.0;
  for (const auto& [source, h] : by_source) {
    if (h.confidence <= 0) continue;
    miss *= 1.0 - h.confidence;
    if (!out.source.empty()) out.source += '+';
    out.source += source;
    if (h.sim > out.sim || out.read_as.empty()) {
      out.sim = h.sim;
      out.read_as = h.read_as;
    }
  }
  out.confidence = std::min(0.99, 1.0 - miss);
  return out;
}

double round3(double x) { return std::round(x * 1000.0) / 1000.0; }

struct choice {
  const std::string* value = nullptr;
  scored s;
  std::size_t length = 0;
};

// The better of two candidates: more confident; at equal confidence the
// longer (more specific) name: "Royal Oak Offshore" over "Royal Oak".
bool better(const scored& s, std::size_t length, const choice& current) {
  if (s.confidence <= 0) return false;
  if (!current.value) return true;
  if (s.confidence > current.s.confidence + 1e-9) return true;
  return std::abs(s.confidence - current.s.confidence) <= 1e-9 && length > current.length;
}

field_match to_field(const choice& c) {
  return field_match{*c.value, round3(c.s.confidence), c.s.source, c.s.read_as};
}

// The worker's name mapped onto the dictionary when it is close to an entry.
std::string canonical(const std::string& name, const std::vector<const std::string*>& options) {
  const auto c = compact(name);
  const std::string* best = nullptr;
  double best_sim = 0.85;
  for (const auto* o : options) {
    auto sim = similarity(c, compact(*o));
    if (sim >= best_sim) {
      best_sim = sim;
      best = o;
    }
  }
  return best ? *best : name;
}

// Combines what the text says with what the worker says about one field.
std::optional<field_match> combine(std::optional<field_match> text, const std::string& worker_value, double worker_conf) {
  if (worker_value.empty()) return text;
  field_match w{worker_value, round3(std::clamp(worker_conf, 0.0, 1.0)), "worker", worker_value};
  if (!text) return w;
  if (compact(text->value) == compact(worker_value)) {
    text->confidence = round3(std::min(0.99, 1.0 - (1.0 - text->confidence) * (1.0 - w.confidence)));
    text->source += "+worker";
    return text;
  }
  return w.confidence > text->confidence ? w : text;
}

}  // namespace

std::string compact(std::string_view utf8) {
  std::string out;
  for (char c : ai::fold(utf8)) {
    if (c >= 'a' && c <= 'z') out.push_back(static_cast<char>(c - 'a' + 'A'));
    else if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) out.push_back(c);
  }
  return out;
}

double similarity(std::string_view a, std::string_view b) {
  const auto n = a.size(), m = b.size();
  if (n == 0 && m == 0) return 1.0;
  if (n == 0 || m == 0) return 0.0;
  std::vector<double> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = static_cast<double>(j);
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<double>(i);
    for (std::size_t j = 1; j <= m; ++j) {
      const char x = a[i - 1], y = b[j - 1];
      double sub = x == y ? 0.0 : (confusable(x, y) ? confused_cost : 1.0);
      double v = std::min({prev[j] + 1.0, cur[j - 1] + 1.0, prev[j - 1] + sub});
      if (i >= 2 && merged(a[i - 2], x, y)) v = std::min(v, prev2[j - 1] + merge_cost);
      if (j >= 2 && merged(b[j - 2], y, x)) v = std::min(v, prev[j - 2] + merge_cost);
      cur[j] = v;
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return std::max(0.0, 1.0 - prev[m] / static_cast<double>(std::max(n, m)));
}

extraction extract(const category_entry& category, const std::vector<text_line>& lines,
                   const std::optional<external_guess>& guess, const match_options& options) {
  // Each line, and each two consecutive lines of one reader joined: OCR
  // breaks a name over two lines ("Dra" / "ft Picks") now and then.
  std::vector<text_line> joined;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (lines[i].source == lines[i + 1].source)
      joined.push_back(text_line{lines[i].text + " " + lines[i + 1].text, std::min(lines[i].confidence, lines[i + 1].confidence) * 0.95,
                                 std::max(lines[i].prominence, lines[i + 1].prominence), lines[i].source});
  std::vector<prepared_line> prepared;
  prepared.reserve(lines.size() + joined.size());
  for (const auto& l : lines) prepared.push_back(prepare(l));
  for (const auto& l : joined) prepared.push_back(prepare(l));

  // The brand: each brand's best reading over its spellings.
  choice brand;
  const brand_entry* brand_entry_ptr = nullptr;
  for (const auto& b : category.brands) {
    std::vector<std::string> names{compact(b.name)};
    for (const auto& a : b.aliases) names.push_back(compact(a));
    auto s = score(names, prepared, options.brand_threshold);
    if (better(s, names.front().size(), brand)) {
      brand = choice{&b.name, s, names.front().size()};
      brand_entry_ptr = &b;
    }
  }

  // The model: among the brand's models, or, with no brand read, among every
  // model of the category (a model of one brand then names the brand).
  choice model;
  const brand_entry* model_owner = nullptr;
  for (const auto& b : category.brands) {
    if (brand_entry_ptr && &b != brand_entry_ptr) continue;
    for (const auto& m : b.models) {
      auto c = compact(m);
      auto s = score({c}, prepared, options.model_threshold);
      if (s.confidence <= 0) continue;
      if (better(s, c.size(), model)) {
        model = choice{&m, s, c.size()};
        model_owner = &b;
      }
    }
  }

  // A model name several brands share ("Teenage Mutant Ninja Turtles") names none of them.
  bool model_shared = false;
  if (model.value) {
    std::size_t owners = 0;
    const auto c = compact(*model.value);
    for (const auto& b : category.brands)
      for (const auto& m : b.models)
        if (compact(m) == c) {
          ++owners;
          break;
        }
    model_shared = owners > 1;
  }

  extraction out;
  if (brand.value) out.brand = to_field(brand);
  if (model.value) out.model = to_field(model);
  if (!out.brand && out.model && model_owner && !model_shared && model.s.sim >= 0.85) {
    out.brand = field_match{model_owner->name, round3(out.model->confidence * 0.85), "model", out.model->read_as};
  }
  if (guess) {
    std::vector<const std::string*> brand_names, model_names;
    for (const auto& b : category.brands) {
      brand_names.push_back(&b.name);
      for (const auto& m : b.models) model_names.push_back(&m);
    }
    out.brand = combine(std::move(out.brand), guess->brand.empty() ? "" : canonical(guess->brand, brand_names),
                        guess->brand_confidence);
    out.model = combine(std::move(out.model), guess->model.empty() ? "" : canonical(guess->model, model_names),
                        guess->model_confidence);
  }
  return out;
}

}  // namespace pw::stages::asset
