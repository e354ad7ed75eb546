#include "stages/ai/classify.hpp"

#include <algorithm>
#include <cmath>

namespace pw::stages::ai {

namespace {

double conf(double strength) { return std::min(0.99, 0.5 + 0.5 * (1.0 - std::exp(-strength))); }

}  // namespace

std::string_view to_string(category c) noexcept {
  switch (c) {
    case category::billing: return "billing";
    case category::bug: return "bug";
    case category::feature_request: return "feature_request";
    case category::complaint: return "complaint";
    case category::praise: return "praise";
    default: return "question";
  }
}

evidence gather(const analysis& a) {
  evidence e;
  e.bill = a.tag_sum("bill");
  e.paybug = a.tag_sum("paybug");
  e.presales = a.tag_sum("presales");
  e.remedy = a.tag_sum("remedy");
  e.pursue = a.tag_sum("refund.pursue");
  e.defect = a.tag_sum("defect");
  e.soft_defect = a.tag_sum("defect.soft");
  e.service = a.tag_sum("service");
  e.cosmetic = a.tag_sum("cosmetic");
  e.security = a.tag_sum("crit.security");
  e.request = a.tag_sum("request");
  e.fixplea = a.tag_sum("fixplea");
  e.grievance = a.tag_sum("grievance");
  e.praise = a.tag_sum("praise");
  e.question = a.tag_sum("question") + (a.is_question() ? 1.0f : 0.0f);
  e.dataloss = a.tag_sum("crit.dataloss");
  e.not_received = a.tag_sum("notrecv");
  e.goods = a.tag_sum("ctx.goods");
  e.software = a.tag_sum("ctx.software");
  e.paid = a.tag_sum("ctx.paid");
  e.docs = a.tag_sum("ctx.docs");
  e.resolved = a.tag_sum("resolved");
  e.meh = a.tag_sum("meh");
  // Wrong documentation is a defect: the docs named with a mismatch.
  if (e.docs > 0 && (e.defect > 0 || !a.hits("contrast").empty())) e.defect += 1;
  // A weak defect cue about the software itself ("can't move cards").
  if (e.defect > 0 && e.defect < 1 && e.software > 0) e.defect += 0.4f;
  // "Works great now, thanks for the fix": the defect is history.
  if (e.resolved >= 1.5f) e.defect = e.soft_defect = 0;
  return e;
}

classification classify(const analysis& a, const sentiment_result& s) {
  const evidence e = gather(a);
  classification c;
  // "How do I ...?" with no harm and no strong defect, money or grievance
  // cue asks for information, whatever words it borrows ("timeout", "fee").
  const bool harm = a.prefix_sum("crit.") + a.prefix_sum("high.") > 0;
  if (a.asks_information() && !harm && e.defect < 2 && e.grievance < 1.5f && e.request < 1.5f && e.bill < 2 &&
      e.not_received <= 0) {
    c.label = category::question;
    c.confidence = conf(1.0 + e.question);
    return c;
  }
  // 1. billing: the author's own money, minus the look-alikes.
  const bool about_goods = e.goods > 0 && e.software <= 0;
  float bill = e.bill + e.pursue;
  if (e.not_received > 0 && e.paid > 0 && !about_goods) bill += 1.5f;  // bought, never credited
  if (e.remedy > 0 && e.pursue <= 0) bill -= e.remedy;          // refund as remedy for goods
  if (e.paybug > 0 && bill < 2) bill = 0;                        // payment screen bug, no money moved
  if (e.presales > 0 && e.question > 0 && bill < 2) bill = 0;    // asking about prices
  if (e.service > 0 && e.pursue <= 0 && bill < 2) bill = 0;      // a support complaint naming its subject
  if (e.security > 0 && bill < 2) bill = 0;                      // someone else's invoices: a security defect
  if (bill >= 1) {
    c.label = category::billing;
    c.confidence = conf(bill);
    return c;
  }
  // 2. bug: incorrect behaviour (slowness only when not about a service).
  float defect = e.defect + (e.service > 0 ? 0.0f : e.soft_defect) + e.paybug;
  if (about_goods) defect = 0;  // a parcel "arrived broken" is no software defect
  defect += e.security + e.dataloss;
  if (defect >= 1) {
    c.label = category::bug;
    c.confidence = conf(defect);
    return c;
  }
  // 3. feature request: an explicit ask for something new.
  if (e.request >= 1 && e.request > e.fixplea) {
    c.label = category::feature_request;
    c.confidence = conf(e.request - e.fixplea);
    return c;
  }
  // 4. complaint: a grievance, or a negative message about no defect.
  float grievance = e.grievance + e.service + (e.service > 0 ? e.soft_defect : 0.0f) + e.fixplea +
                    (about_goods ? e.defect + e.soft_defect + e.not_received : 0.0f);
  if (grievance >= 1 || (s.label == polarity::negative && e.question <= 0) ||
      (s.label == polarity::negative && s.score < -0.5)) {
    c.label = category::complaint;
    c.confidence = conf(std::max<double>(grievance, -s.score * 2));
    return c;
  }
  // 5. question: asks for information.
  if (e.question > 0 || e.presales > 0) {
    c.label = category::question;
    c.confidence = conf(e.question + e.presales);
    return c;
  }
  // 6. praise: positive with nothing to act on.
  if (s.label == polarity::positive || e.praise > 0 || e.meh > 0) {
    c.label = category::praise;
    c.confidence = conf(e.praise + s.score * 2);
    return c;
  }
  // Nothing decisive: a neutral statement about the product most often
  // describes what it does wrong.
  c.label = s.label == polarity::negative ? category::complaint : category::bug;
  c.confidence = 0.4;
  return c;
}

}  // namespace pw::stages::ai
