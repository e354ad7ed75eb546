#include "stages/ai/sentiment.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "stages/ai/urgency.hpp"

namespace pw::stages::ai {

namespace {

constexpr double neg_pos_factor = -0.6;    // "not good"
constexpr double neg_neg_factor = -0.6;    // "not bad"
constexpr double caps_factor = 1.3;
constexpr double all_caps_factor = 1.1;
constexpr double bang_factor = 1.15;
constexpr double before_contrast = 0.5;
constexpr double after_contrast = 1.5;
constexpr double concession_factor = 0.5;
constexpr double alpha = 4.0;
constexpr double threshold = 0.2;
constexpr double harm_crit = 2.0;    // critical harm (data lost, account taken, fraud)
constexpr double harm_money = 1.5;   // money or paid goods not received, charged wrongly
constexpr double harm_flow = 1.0;    // locked out of one's own account
constexpr double harm_exposure = 0.3;  // a leak or a failing flow told plainly: a report, not a grievance
constexpr double shout = 1.0;
constexpr double opener = 0.25;  // thanks/praise opening a longer report about something else
constexpr double mixed_last = 1.5;
constexpr double contrast_problem = 1.2;  // "good, but X is broken" with no valence after "but"
constexpr double mixed_rest = 0.6;

struct ids {
  std::size_t valence, negation, negation_after, intensifier, contrast, concession, sarcasm;
  explicit ids(const lexicons& l)
      : valence(l.section_id("valence")),
        negation(l.section_id("negation")),
        negation_after(l.section_id("negation_after")),
        intensifier(l.section_id("intensifier")),
        contrast(l.section_id("contrast")),
        concession(l.section_id("concession")),
        sarcasm(l.section_id("sarcasm")) {}
};

bool clause_break(const token& t) {
  return t.kind == tok_kind::punct && t.text != "\"" && t.text != "(" && t.text != ")";
}

// True when the last contrast word's sentence part after it holds no valence
// but the text reports a defect, a grievance or a goods problem.
bool problem_after_contrast(const analysis& a, const std::vector<const hit*>& best, const std::vector<char>& contrast) {
  std::size_t c = contrast.size();
  for (std::size_t k = contrast.size(); k-- > 0;)
    if (contrast[k]) {
      c = k;
      break;
    }
  if (c == contrast.size()) return false;
  const auto& toks = a.tokens();
  for (std::size_t k = c; k < toks.size() && toks[k].sentence == toks[c].sentence; ++k)
    if (best[k] && best[k]->e->weight != 0) return false;
  return a.prefix_sum("defect") + a.tag_sum("grievance") + a.prefix_sum("med.") + a.prefix_sum("high.") > 0;
}

}  // namespace

std::string_view to_string(polarity p) noexcept {
  switch (p) {
    case polarity::negative: return "negative";
    case polarity::positive: return "positive";
    default: return "neutral";
  }
}

sentiment_result sentiment(const analysis& a) {
  const ids id(a.lex());
  const auto& toks = a.tokens();
  const std::size_t n = toks.size();
  sentiment_result r;
  if (n == 0) return r;

  // Longest valence match per start; positions it covers are taken.
  std::vector<const hit*> best(n, nullptr);
  for (const auto& h : a.hits(id.valence))
    if (!best[h.begin] || h.end > best[h.begin]->end) best[h.begin] = &h;
  std::vector<char> negator(n, 0), negator_after(n, 0), contrast(n, 0), concession(n, 0);
  std::vector<double> intens(n, 1.0);
  for (const auto& h : a.hits(id.negation)) negator[h.end - 1] = 1;
  for (const auto& h : a.hits(id.negation_after)) negator_after[h.begin] = 1;
  for (const auto& h : a.hits(id.intensifier)) intens[h.end - 1] = h.e->weight;
  for (const auto& h : a.hits(id.contrast)) contrast[h.begin] = 1;
  for (const auto& h : a.hits(id.concession)) concession[h.begin] = 1;
  // "super slow": a word that is both praise and an intensifier only
  // intensifies when a valence word follows it.
  for (std::size_t i = 0; i + 1 < n; ++i)
    if (best[i] && best[i]->end == i + 1 && intens[i] != 1.0 && best[i + 1]) best[i] = nullptr;
  // A negator inside a valence phrase ("no complaints") belongs to the phrase.
  for (std::size_t i = 0; i < n; ++i)
    if (best[i])
      for (std::size_t k = i; k < best[i]->end; ++k) negator[k] = negator_after[k] = 0;

  // Position weights: contrast and concession, then a mild recency ramp.
  std::vector<double> pos_w(n, 1.0);
  for (std::size_t c = 0; c < n; ++c) {
    if (!contrast[c]) continue;
    // Everything before the contrast word (all earlier text) weighs less;
    // the clause after it, to the end of its sentence, more.
    for (std::size_t k = 0; k < c; ++k) pos_w[k] *= before_contrast;
    for (std::size_t k = c; k < n && toks[k].sentence == toks[c].sentence; ++k) pos_w[k] *= after_contrast;
  }
  for (std::size_t c = 0; c < n; ++c) {
    if (!concession[c]) continue;
    for (std::size_t k = c; k < n && !(toks[k].kind == tok_kind::punct && toks[k].text != "\""); ++k)
      pos_w[k] *= concession_factor;
  }
  const double sentences = std::max<std::size_t>(1, a.sentences());
  // "Thanks for the great app! <a long report>": the opener is courtesy.
  const bool report = a.sentences() >= 3 && (a.tag_sum("defect") + a.tag_sum("request") + a.tag_sum("bill")) >= 1;
  bool all_caps = true;
  for (const auto& t : toks)
    if (t.kind == tok_kind::word && !t.caps && t.text.size() > 1 && std::isalpha(static_cast<unsigned char>(t.text[0])))
      all_caps = false;

  // Exclamation marks per sentence.
  std::vector<int> bangs(static_cast<std::size_t>(sentences) + 1, 0);
  for (const auto& t : toks)
    if (t.kind == tok_kind::punct && t.text == "!") ++bangs[std::min<std::size_t>(t.sentence, bangs.size() - 1)];

  // Clause of each token (split at any punctuation but quotes/brackets).
  std::vector<std::uint16_t> clause(n, 0);
  for (std::size_t k = 1; k < n; ++k) clause[k] = clause[k - 1] + (clause_break(toks[k - 1]) ? 1 : 0);
  struct contribution {
    double v;
    std::uint16_t clause;
  };
  std::vector<contribution> parts;
  double pos_sum = 0, neg_sum = 0;
  for (std::size_t i = 0; i < n;) {
    const hit* h = best[i];
    if (!h) {
      ++i;
      continue;
    }
    double v = h->e->weight;
    const std::size_t b = h->begin, e = h->end;
    i = e;
    if (v == 0) continue;
    bool caps = false;
    for (std::size_t k = b; k < e; ++k) caps = caps || toks[k].caps;
    if (caps) v *= all_caps ? all_caps_factor : caps_factor;
    // Intensifier right before (skipping one word: "so very good").
    for (std::size_t k = b, steps = 0; k > 0 && steps < 2; --k, ++steps) {
      if (clause_break(toks[k - 1])) break;
      if (intens[k - 1] != 1.0) {
        v *= intens[k - 1];
        break;
      }
    }
    // Negation up to 3 words before, within the clause.
    bool negated = false;
    for (std::size_t k = b, steps = 0; k > 0 && steps < 3; --k, ++steps) {
      if (clause_break(toks[k - 1]) || contrast[k - 1]) break;
      if (negator[k - 1]) {
        negated = true;
        break;
      }
    }
    if (!negated)
      for (std::size_t k = e, steps = 0; k < n && steps < 2; ++k, ++steps) {
        if (clause_break(toks[k])) break;
        if (negator_after[k]) {
          negated = true;
          break;
        }
      }
    if (negated) v *= v > 0 ? neg_pos_factor : neg_neg_factor;
    const int bang = bangs[std::min<std::size_t>(toks[b].sentence, bangs.size() - 1)];
    if (bang > 0) v *= std::pow(bang_factor, std::min(bang, 3));
    v *= pos_w[b];
    if (report && toks[b].sentence == 0 && v > 0) v *= opener;
    v *= 0.85 + 0.3 * (toks[b].sentence + 1) / sentences;
    parts.push_back(contribution{v, clause[b]});
  }
  // Mixed messages are about their conclusion: the last clause with clear
  // valence weighs more, the rest less.
  bool pos = false, neg = false;
  int last = -1;
  for (const auto& p : parts) {
    pos = pos || p.v >= 0.5;
    neg = neg || p.v <= -0.5;
    if (std::fabs(p.v) >= 0.5) last = p.clause;
  }
  for (const auto& p : parts) {
    double v = p.v;
    if (pos && neg) v *= p.clause == last ? mixed_last : mixed_rest;
    (v > 0 ? pos_sum : neg_sum) += v;
  }

  // "Nice app, but search finds nothing": praise, then a contrast whose
  // clause reports a problem without any valence word. The problem is what
  // the message is about.
  if (pos_sum > 0 && neg_sum == 0 && problem_after_contrast(a, best, contrast)) {
    pos_sum *= before_contrast * before_contrast;
    neg_sum -= contrast_problem;
  }

  // Harm to the author (money, data or access lost) reads as negative even
  // when told plainly; a bare defect report stays neutral.
  const urgency_result u = urgency(a);
  double harm = 0;
  const bool access = a.has("access");
  const bool exposure = u.reason.substr(0, 13) == "crit.security";
  bool bang = false;
  for (const auto& t : toks) bang = bang || (t.kind == tok_kind::punct && t.text == "!");
  if (u.level == urgency_level::critical) harm = exposure && !access ? (bang ? harm_flow : harm_exposure) : harm_crit;
  else if (u.level == urgency_level::high)
    harm = u.reason == "high.money" || u.reason == "notrecv" || u.reason == "crit.fraud+contained" ? harm_money
           : access || u.reason != "high.flow"                                                     ? harm_flow
                                                                                                   : harm_exposure;
  neg_sum -= harm;

  // Shouting with no praise in it is anger.
  if (all_caps && pos_sum <= 0 && a.words() >= 3) neg_sum -= shout;

  // Sarcasm: a cue with negative evidence around turns praise into blame.
  double sarcasm = 0;
  for (const auto& h : a.hits(id.sarcasm)) sarcasm += h.e->weight;
  if (sarcasm > 0 && (neg_sum < 0 || a.prefix_sum("defect") > 0 || a.has("sarcasm.context"))) {
    neg_sum -= pos_sum + sarcasm;
    pos_sum = 0;
  }
  r.raw = pos_sum + neg_sum;
  r.score = r.raw / std::sqrt(r.raw * r.raw + alpha);
  r.label = r.score > threshold ? polarity::positive : r.score < -threshold ? polarity::negative : polarity::neutral;
  // A star rating says it outright: 1-2 negative, 3 neutral, 4-5 positive.
  if (float stars = a.tag_sum("rating"); stars > 0) {
    r.label = stars < 2.5f ? polarity::negative : stars < 3.5f ? polarity::neutral : polarity::positive;
    if (r.label == polarity::neutral) r.score = std::clamp(r.score, -threshold, threshold);
  }
  return r;
}

}  // namespace pw::stages::ai
