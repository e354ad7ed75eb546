// Lexicon sentiment: positive | neutral | negative with a score in [-1, 1].
//
// Valence entries (config/lexicons/*.txt [valence], longest match wins, so
// "not working", "would love" or "no complaints" are read as phrases) are
// summed with:
//   - negation: a [negation] word up to 3 tokens before, in the same clause,
//     turns a valence v into -0.6 v (positive) or -0.6 v (negative: "not
//     bad" is mild approval); German also negates after ([negation_after]).
//   - intensifiers / downtoners ([intensifier] = factor) right before.
//   - ALL CAPS words x1.3 (x1.1 when the whole text shouts), "!" x1.15.
//   - contrast ([contrast]: but, pero, aunque, aber, doch): before it x0.5,
//     after it x1.5; a [concession] ("although ...,") weighs its clause x0.5;
//     later sentences weigh a little more (messages end on their point).
//   - sarcasm ([sarcasm] cues, and praise next to a defect with a sarcasm
//     cue): positive valence counts as negative.
//   - harm: critical impact, money not received or charged wrongly, or
//     being locked out count as negative (-2, -1.5, -1) even when told
//     plainly; a bare defect report stays neutral.
//   - mixed messages: the last clause with clear valence weighs x1.5, the
//     others x0.6 ("Great products, slow site" is about the site).
//   - a star rating ("3 stars", rating:N tags) decides the label.
//   - a whole text in capitals with no praise counts -1 (anger); praise in
//     the first sentence of a report of 3+ sentences about a defect, a
//     request or money weighs x0.25 (courtesy).
// Score = s / sqrt(s^2 + 4); label by thresholds (+-0.2) on the score.
#pragma once

#include <string_view>

#include "stages/ai/analysis.hpp"

namespace pw::stages::ai {

enum class polarity { negative, neutral, positive };
std::string_view to_string(polarity p) noexcept;

struct sentiment_result {
  polarity label = polarity::neutral;
  double score = 0;  // [-1, 1]
  double raw = 0;    // the sum before squashing
};

sentiment_result sentiment(const analysis& a);

}  // namespace pw::stages::ai
