// Urgency: low < medium < high < critical, with a score in [0, 1], from the
// impact described, never the tone (ALL CAPS and "!!!" do not count).
// Lexicon tags (config/lexicons/*.txt [cue] sections):
//   crit.security  another user's data visible, account takeover, leaked
//                  tokens, telemetry after opting out
//   crit.fraud     unauthorised money movement or money to the wrong party;
//                  with `contained` (card blocked, bank reversed) it is high
//   crit.dataloss  irreversible loss of data or progress
//   crit.outage    an outage for many users / a whole team; also `outage`
//                  (down, nobody can...) together with `scope.many`
//   high.*         a core flow broken (login, pay, launch, install), money
//                  wrong or not received, production impact, a near deadline
//   med.*          secondary feature broken, ignored setting, wrong docs,
//                  damaged goods, fee dispute, poor service, accessibility
//   low.*          cosmetic, requests, questions, opinions
// A defect that is not cosmetic is at least medium (classify's evidence).
#pragma once

#include <string_view>

#include "stages/ai/analysis.hpp"

namespace pw::stages::ai {

enum class urgency_level { low, medium, high, critical };
std::string_view to_string(urgency_level u) noexcept;

struct urgency_result {
  urgency_level level = urgency_level::low;
  double score = 0.1;       // [0, 1]: low < 0.3 <= medium < 0.6 <= high < 0.85 <= critical
  std::string_view reason;  // the deciding tag ("" when none)
};

urgency_result urgency(const analysis& a);

}  // namespace pw::stages::ai
