// What pw_ai_quality computes from gold labels and the stages' outputs:
// confusion matrices, duplicate pair precision/recall/F1 with traps paired,
// theme purity, and the same figures per language, product kind and
// hard-case tag. Plain data in, printable text or JSON out.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace pw::bench::quality {

struct gold {
  std::string id, workspace, kind, lang, text, sentiment, urgency, category, theme, dup_group, trap_of, batch;
  std::vector<std::string> tags;
};

struct predicted {
  std::string sentiment, urgency, category, theme_id, theme_label, duplicate_of;  // duplicate_of "" when none
};

// A confusion matrix over named classes.
struct confusion {
  std::vector<std::string> classes;
  std::map<std::pair<std::string, std::string>, int> m;  // (gold, predicted)
  int n = 0, right = 0;
  explicit confusion(std::vector<std::string> c) : classes(std::move(c)) {}
  void add(const std::string& g, const std::string& p);
  double accuracy() const { return n ? double(right) / n : 0; }
  int count(const std::string& g, const std::string& p) const;
  double recall(const std::string& c) const;
  double precision(const std::string& c) const;
  double f1(const std::string& c) const;
  double macro_f1() const;
  void print(const char* title) const;
  boost::json::object to_json() const;
};

struct dup_figures {
  int predicted = 0, correct = 0, gold_links = 0, traps = 0, traps_paired = 0;
  double precision() const { return predicted ? double(correct) / predicted : 0; }
  double recall() const { return gold_links ? double(correct) / gold_links : 0; }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

// Every figure of one set of items (a split, or a group inside it).
struct figures {
  confusion sentiment{{"positive", "neutral", "negative"}};
  confusion category{{"bug", "feature_request", "question", "praise", "complaint", "billing"}};
  confusion urgency{{"low", "medium", "high", "critical"}};
  dup_figures dup;
  double purity = 0, theme_label_accuracy = 0;
  std::size_t items = 0, themes = 0;
  boost::json::object to_json(bool matrices) const;
};

// Scores the items whose index `keep` accepts (all when empty): the
// duplicate links and themes are judged within that subset.
figures score(const std::vector<gold>& g, const std::vector<predicted>& p, const std::vector<std::size_t>& keep);

// The report: the split's figures with matrices, then per language, per
// product kind and per hard-case tag (a row each).
void print_report(const std::vector<gold>& g, const std::vector<predicted>& p);
boost::json::object json_report(const std::vector<gold>& g, const std::vector<predicted>& p);

}  // namespace pw::bench::quality
