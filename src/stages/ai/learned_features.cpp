#include "stages/ai/learned_features.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "stages/ai/classify.hpp"
#include "stages/ai/sentiment.hpp"
#include "stages/ai/snowball.hpp"
#include "stages/ai/urgency.hpp"

namespace pw::stages::ai {

namespace {

class builder {
 public:
  void add(char group, std::string_view name, float value = 1.0f) {
    std::uint64_t h = hash64(std::string_view(&group, 1), 0x84222325cbf29ce4ull);
    h = hash64(name, h);
    raw_.emplace_back(static_cast<std::uint32_t>((h >> 32) & (feature_slots - 1)), value);
  }
  void add2(char group, std::string_view x, std::string_view y) {
    std::uint64_t h = hash64(std::string_view(&group, 1), 0x84222325cbf29ce4ull);
    h = hash64(x, h);
    h = hash64(" ", h);
    h = hash64(y, h);
    raw_.emplace_back(static_cast<std::uint32_t>((h >> 32) & (feature_slots - 1)), 1.0f);
  }
  // Equal slots merged (counts damped: 1 + ln n for indicator groups), then
  // L2-normalised.
  sparse_vector finish() {
    std::sort(raw_.begin(), raw_.end());
    sparse_vector v;
    for (std::size_t i = 0; i < raw_.size();) {
      std::size_t j = i;
      float sum = 0;
      while (j < raw_.size() && raw_[j].first == raw_[i].first) sum += raw_[j++].second;
      float val = sum > 1.0f ? 1.0f + std::log(sum) : sum;
      if (val != 0.0f) v.entries.emplace_back(raw_[i].first, val);
      i = j;
    }
    double n = 0;
    for (auto& e : v.entries) n += double(e.second) * e.second;
    if (n > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(n));
      for (auto& e : v.entries) e.second *= inv;
    }
    return v;
  }

 private:
  std::vector<std::pair<std::uint32_t, float>> raw_;
};

std::string_view bucket(std::size_t n, std::initializer_list<std::pair<std::size_t, std::string_view>> steps,
                        std::string_view last) {
  for (auto& [limit, name] : steps)
    if (n < limit) return name;
  return last;
}

}  // namespace

sparse_vector text_features(const analysis& a) {
  builder f;
  const auto& toks = a.tokens();
  const lang l = a.language();
  // Scopes: negation (3 words after a negator, same clause), contrast (rest
  // of the sentence after "but").
  std::vector<char> negated(toks.size(), 0), contrasted(toks.size(), 0);
  auto mark = [&](const std::vector<hit>& hs, std::vector<char>& scope, std::size_t reach) {
    for (const auto& h : hs) {
      std::size_t words = 0;
      for (std::size_t k = h.end; k < toks.size() && words < reach; ++k) {
        if (toks[k].sentence != toks[h.begin].sentence) break;
        if (toks[k].kind == tok_kind::punct && reach < 100 && (toks[k].text == "," || toks[k].text == ";")) break;
        if (toks[k].kind == tok_kind::punct) continue;
        scope[k] = 1;
        ++words;
      }
    }
  };
  mark(a.hits("negation"), negated, 3);
  mark(a.hits("contrast"), contrasted, 1000);

  std::vector<std::string> stems(toks.size());
  std::string buf;
  std::size_t caps = 0, excl = 0, quest = 0, emoji = 0, digits = 0;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    if (t.kind == tok_kind::punct) {
      excl += t.text == "!";
      quest += t.text == "?";
      continue;
    }
    if (t.kind == tok_kind::emoji) {
      ++emoji;
      stems[i] = t.text;
      f.add('w', t.text);
      continue;
    }
    caps += t.caps;
    if (!t.text.empty() && t.text[0] >= '0' && t.text[0] <= '9') {
      ++digits;
      stems[i].assign(1, '#');
      continue;
    }
    stems[i] = snowball(t.text, l);
    const std::string& s = stems[i];
    f.add('w', s);
    if (negated[i]) f.add('n', s);
    if (contrasted[i]) f.add('k', s);
    if (t.text.size() >= 4) {
      buf.assign(1, '<');
      buf += t.text;
      buf.push_back('>');
      for (std::size_t k = 0; k + 4 <= buf.size(); ++k) f.add('g', std::string_view(buf).substr(k, 4), 0.35f);
    }
  }
  // Bigrams of neighbouring words in one sentence (digits as '#').
  for (std::size_t i = 1; i < toks.size(); ++i)
    if (!stems[i].empty() && !stems[i - 1].empty() && toks[i].sentence == toks[i - 1].sentence)
      f.add2('b', stems[i - 1], stems[i]);

  for (const auto& c : a.concepts()) f.add('c', a.lex().concept_name(c.entry));
  for (const auto& t : a.tags()) f.add('t', a.lex().tag_name(t.tag), std::clamp(t.weight, -3.0f, 3.0f));

  const auto s = sentiment(a);
  const auto u = urgency(a);
  const auto c = classify(a, s);
  f.add('r', std::string("sent=") += to_string(s.label));
  f.add('r', std::string("urg=") += to_string(u.level));
  f.add('r', std::string("cat=") += to_string(c.label));
  f.add('r', "sentiment", static_cast<float>(s.score));

  const std::size_t words = a.words();
  f.add('s', std::string("lang=") += to_string(l));
  f.add('s', bucket(words, {{4, "len<4"}, {9, "len<9"}, {20, "len<20"}, {45, "len<45"}, {90, "len<90"}}, "len90+"));
  f.add('s', bucket(a.sentences(), {{2, "sent1"}, {4, "sent<4"}, {8, "sent<8"}}, "sent8+"));
  if (excl) f.add('s', bucket(excl, {{2, "!1"}, {4, "!<4"}}, "!4+"));
  if (quest) f.add('s', quest > 1 ? "?2+" : "?1");
  if (a.asks_information()) f.add('s', "info-opener");
  if (a.is_question()) f.add('s', "question");
  if (emoji) f.add('s', "emoji");
  if (digits) f.add('s', "digits");
  if (words && caps * 2 >= words && words >= 2) f.add('s', "all-caps");
  else if (caps) f.add('s', "some-caps");
  return f.finish();
}

}  // namespace pw::stages::ai
