#include "stages/ai/urgency.hpp"

#include <algorithm>

#include "stages/ai/classify.hpp"

namespace pw::stages::ai {

std::string_view to_string(urgency_level u) noexcept {
  switch (u) {
    case urgency_level::critical: return "critical";
    case urgency_level::high: return "high";
    case urgency_level::medium: return "medium";
    default: return "low";
  }
}

urgency_result urgency(const analysis& a) {
  const auto& lex = a.lex();
  // Strongest tag of each family, and its name.
  struct family {
    float sum = 0, best = 0;
    std::string_view reason;
  };
  family crit, fraud, high, med, low;
  float contained = 0, outage = 0, many = 0;
  for (const auto& t : a.tags()) {
    std::string_view name = lex.tag_name(t.tag);
    family* f = nullptr;
    if (name == "crit.fraud") f = &fraud;
    else if (name.substr(0, 5) == "crit.") f = &crit;
    else if (name.substr(0, 5) == "high.") f = &high;
    else if (name.substr(0, 4) == "med.") f = &med;
    else if (name.substr(0, 4) == "low.") f = &low;
    else if (name == "contained") contained += t.weight;
    else if (name == "outage") outage += t.weight;
    else if (name == "scope.many") many += t.weight;
    if (f) {
      f->sum += t.weight;
      if (t.weight > f->best) {
        f->best = t.weight;
        f->reason = name;
      }
    }
  }
  const evidence e = gather(a);
  urgency_result r;
  auto set = [&](urgency_level l, double base, float extra, std::string_view why) {
    r.level = l;
    r.score = std::min(base + 0.04 * std::max(0.0f, extra - 1.0f), base + 0.12);
    r.reason = why;
  };
  if (crit.sum >= 1) set(urgency_level::critical, 0.88, crit.sum, crit.reason);
  else if (fraud.sum >= 1 && contained <= 0) set(urgency_level::critical, 0.88, fraud.sum, fraud.reason);
  else if (outage >= 1 && many >= 1) set(urgency_level::critical, 0.86, outage + many, "outage");
  else if (fraud.sum >= 1) set(urgency_level::high, 0.7, fraud.sum, "crit.fraud+contained");
  else if (high.sum >= 1) set(urgency_level::high, 0.65, high.sum, high.reason);
  else if (e.not_received >= 1 && (e.goods > 0 || e.paid > 0)) set(urgency_level::high, 0.65, e.not_received, "notrecv");
  else if (outage >= 1) set(urgency_level::high, 0.65, outage, "outage");
  else if (a.asks_information() && e.defect < 2 && e.grievance < 1.5f && e.not_received <= 0)
    set(urgency_level::low, 0.12, 0, "question");
  else if (med.sum >= 1) set(urgency_level::medium, 0.4, med.sum, med.reason);
  else if (e.docs > 0 && e.defect >= 1) set(urgency_level::medium, 0.38, e.defect, "med.docs");
  else if (e.defect + e.soft_defect + e.paybug >= 1 && e.defect + e.soft_defect + e.paybug > e.cosmetic)
    set(urgency_level::medium, 0.35, e.defect + e.soft_defect, "defect");
  else if (e.service >= 1) set(urgency_level::medium, 0.32, e.service, "service");
  else set(urgency_level::low, 0.1, low.sum, low.reason);
  return r;
}

}  // namespace pw::stages::ai
