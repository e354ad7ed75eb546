// Category: bug | feature_request | question | praise | complaint | billing,
// by the precedence of docs/ai-labels (first that applies):
//   billing > bug > feature_request > complaint > question > praise
// Evidence comes from lexicon tags (config/lexicons/*.txt [cue] sections):
//   bill        the author's own money (charged, refund, invoice, renewal, fee)
//   paybug      a payment screen misbehaving with no money moved (coupon
//               rejected, button spins): a bug, not billing
//   presales    asking about prices or fees before buying: a question
//   remedy      a refund or replacement asked for damaged/late goods: not
//               billing unless the refund itself is pursued (refund.pursue)
//   defect      the product misbehaves (defect.soft: slowness, lag... which
//               are complaints when about delivery or support: service)
//   request     asks for a new capability (fixplea: "please fix" is not one)
//   grievance   dissatisfaction that is not a software defect
//   praise      satisfaction; questions come from "?" and question openers.
// Context tags say what a message is about: ctx.goods (parcels, sizes,
// delivery) turns "broken"/"missing" into a complaint unless ctx.software
// is named too; notrecv with ctx.paid (gems, a purchase) is billing.
#pragma once

#include <string_view>

#include "stages/ai/analysis.hpp"
#include "stages/ai/sentiment.hpp"

namespace pw::stages::ai {

enum class category { billing, bug, feature_request, complaint, question, praise };
std::string_view to_string(category c) noexcept;

struct classification {
  category label = category::question;
  double confidence = 0.5;  // (0, 1]
};

// The evidence totals classify decides on (for urgency and priority too).
struct evidence {
  float bill = 0, paybug = 0, presales = 0, remedy = 0, pursue = 0;
  float defect = 0, soft_defect = 0, service = 0, cosmetic = 0, security = 0;
  float request = 0, fixplea = 0, grievance = 0, praise = 0, question = 0;
  float dataloss = 0, not_received = 0, goods = 0, software = 0, paid = 0, docs = 0, resolved = 0, meh = 0;
};
evidence gather(const analysis& a);

classification classify(const analysis& a, const sentiment_result& s);

}  // namespace pw::stages::ai
