// The labelling rules (../shared/notes/ai-labels.md) the built-in sentiment,
// urgency, classify and priority stages follow.
#include <catch2/catch.hpp>

#include "stages/ai/analysis.hpp"
#include "stages/ai/classify.hpp"
#include "stages/ai/priority.hpp"
#include "stages/ai/sentiment.hpp"
#include "stages/ai/theme.hpp"
#include "stages/ai/urgency.hpp"

namespace ai = pw::stages::ai;

namespace {

std::string sentiment(std::string_view text) {
  ai::analysis a(text);
  return std::string(ai::to_string(ai::sentiment(a).label));
}
double score(std::string_view text) {
  ai::analysis a(text);
  return ai::sentiment(a).score;
}
std::string urgency(std::string_view text) {
  ai::analysis a(text);
  return std::string(ai::to_string(ai::urgency(a).level));
}
std::string category(std::string_view text) {
  ai::analysis a(text);
  return std::string(ai::to_string(ai::classify(a, ai::sentiment(a)).label));
}

}  // namespace

TEST_CASE("sentiment: negation flips, and negated negatives are approval") {
  CHECK(sentiment("The new editor is good") == "positive");
  CHECK(sentiment("The new editor is not good") == "negative");
  CHECK(sentiment("Not bad at all, no complaints") == "positive");
  CHECK(sentiment("I was not disappointed") == "positive");
  CHECK(sentiment("No me gusta nada la nueva versión") == "negative");
  CHECK(sentiment("Die neue Version gefällt mir nicht") == "negative");
}

TEST_CASE("sentiment: the clause after a contrast weighs more") {
  CHECK(sentiment("The design is lovely but it is so slow that I hate using it") == "negative");
  CHECK(sentiment("It crashed once, but honestly the app is excellent and I love it") == "positive");
  CHECK(sentiment("La app es bonita, pero es un desastre y muy frustrante") == "negative");
  CHECK(sentiment("Die App sieht gut aus, aber sie ist leider furchtbar langsam") == "negative");
}

TEST_CASE("sentiment: politeness is not praise, frustration is not neutral") {
  CHECK(sentiment("Would love a dark mode") == "neutral");
  CHECK(sentiment("It would be great if exports included the time zone") == "neutral");
  CHECK(sentiment("Sería genial poder exportar a PDF") == "neutral");
  CHECK(sentiment("Love the app! It would be great to have a dark mode.") == "positive");
  CHECK(sentiment("Why is there STILL no dark mode??") == "negative");
  CHECK(sentiment("The export returns a 500 error when the file has more than 1000 rows") == "neutral");
}

TEST_CASE("sentiment: intensifiers, ALL CAPS, emoji and sarcasm") {
  CHECK(score("This is really very good") > score("This is good"));
  CHECK(score("This is TERRIBLE") < score("This is terrible"));
  CHECK(sentiment("😍😍") == "positive");
  CHECK(sentiment("ok 😡") == "negative");
  CHECK(sentiment("Oh great, another update that crashes on launch. Just what I needed 🙄") == "negative");
  CHECK(sentiment("Yeah right, 'fixed'. It still loses my notes.") == "negative");
}

TEST_CASE("urgency: impact decides, not tone") {
  CHECK(urgency("I can see another user's invoices and address in my account") == "critical");
  CHECK(urgency("There are charges on my card I did not authorise, please help") == "critical");
  CHECK(urgency("Someone used my card on your site, my bank already blocked the card, I still need the refund") ==
        "high");
  CHECK(urgency("The sync deleted all my notes, years of work gone") == "critical");
  CHECK(urgency("Nobody on our team can log in since this morning") == "critical");
  CHECK(urgency("I can't log in since the update") == "high");
  CHECK(urgency("I was charged twice for the same order") == "high");
  CHECK(urgency("The app crashes on launch on my Pixel") == "high");
  CHECK(urgency("I unsubscribed but I still get marketing emails") == "medium");
  CHECK(urgency("The docs for the webhook API are outdated") == "medium");
  CHECK(urgency("My package arrived damaged") == "medium");
  CHECK(urgency("There is a typo on the settings page") == "low");
  CHECK(urgency("Please add a dark mode") == "low");
  CHECK(urgency("I LOVE THIS APP!!!") == "low");
  CHECK(urgency("WHY IS THE BUTTON BLUE?!?!") == "low");
}

TEST_CASE("classify: first that applies, in the rules' order") {
  CHECK(category("I was charged twice after the app crashed at checkout") == "billing");
  CHECK(category("The coupon code is rejected at checkout, the button just spins") == "bug");
  CHECK(category("How much does the pro plan cost per seat?") == "question");
  CHECK(category("My order arrived damaged, I want a refund or a replacement") == "complaint");
  CHECK(category("I returned the shoes 3 weeks ago and my refund still hasn't arrived") == "billing");
  CHECK(category("The export drops the date column") == "bug");
  CHECK(category("Please add an option to export to PDF") == "feature_request");
  CHECK(category("Matchmaking is awful, I keep losing to pay to win players. Please fix it") == "complaint");
  CHECK(category("The new redesign is ugly and confusing, please add an option to switch back to the old layout") ==
        "feature_request");
  CHECK(category("Support took 9 days to answer my ticket") == "complaint");
  CHECK(category("How do I change my username?") == "question");
  CHECK(category("Love this app, thank you!") == "praise");
  CHECK(category("The price went up again, 20% more for the same plan") == "billing");
}

TEST_CASE("themes come from the keyword map, else from top terms") {
  auto theme = [](std::string_view text) {
    ai::analysis a(text);
    return ai::keyword_theme(a);
  };
  CHECK(theme("Please add a dark mode") == "dark mode");
  CHECK(theme("No puedo iniciar sesión") == "login");
  CHECK(theme("Export to CSV drops a column") == "export");
  CHECK(theme("The weather is nice") == "");
  ai::analysis a("Gardening planner reminders for tomatoes");
  CHECK_FALSE(ai::top_terms(a, 2).empty());
}

TEST_CASE("priority: the documented formula and buckets") {
  ai::priority_input crit{"critical", 0.9, "neutral", 0, "bug", 0};
  CHECK(ai::priority(crit).bucket == "P1");
  ai::priority_input low{"low", 0.1, "positive", 0.8, "praise", 0};
  CHECK(ai::priority(low).bucket == "P3");
  CHECK(ai::priority(low).score == 10);  // 8 + 20 * 0.1
  ai::priority_input high{"high", 0.65, "negative", -0.9, "bug", 3};
  // 50 + 20*0.05 + 8*0.9 + 6 + 4*log2(4) = 50 + 1 + 7.2 + 6 + 8 = 72.2
  CHECK(ai::priority(high).score == 72);
  CHECK(ai::priority(high).bucket == "P1");
  ai::priority_input med{"medium", 0.4, "neutral", 0, "bug", 0};
  CHECK(ai::priority(med).bucket == "P3");  // 28 + 2 + 6 = 36
}
