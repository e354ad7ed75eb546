#include "stages/ai/priority.hpp"

#include <algorithm>
#include <cmath>

namespace pw::stages::ai {

priority_result priority(const priority_input& in) {
  // The formula is in priority.hpp and docs/ai-quality.md; keep them equal.
  double u = 8, floor = 0.0;
  if (in.urgency == "critical") u = 72, floor = 0.85;
  else if (in.urgency == "high") u = 50, floor = 0.6;
  else if (in.urgency == "medium") u = 28, floor = 0.3;
  u += std::clamp(20.0 * (in.urgency_score - floor), 0.0, 6.0);
  double s = in.sentiment == "negative" ? 8.0 * std::min(1.0, std::fabs(in.sentiment_score)) : 0.0;
  double c = 0;
  if (in.category == "bug" || in.category == "billing") c = 6;
  else if (in.category == "complaint") c = 4;
  else if (in.category == "feature_request") c = 2;
  else if (in.category == "question") c = 1;
  double d = std::min(14.0, 4.0 * std::log2(1.0 + static_cast<double>(in.duplicates)));
  priority_result r;
  r.score = static_cast<int>(std::lround(std::clamp(u + s + c + d, 0.0, 100.0)));
  r.bucket = r.score >= 70 ? "P1" : r.score >= 40 ? "P2" : "P3";
  return r;
}

}  // namespace pw::stages::ai
