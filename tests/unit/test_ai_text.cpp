// The built-in AI's text layer: normalisation, tokens, language, the phrase
// engine and the lexicon format.
#include <catch2/catch.hpp>

#include "stages/ai/analysis.hpp"
#include "stages/ai/embed.hpp"
#include "stages/ai/lexicon.hpp"
#include "stages/ai/text.hpp"
#include "stages/ai/vector_codec.hpp"

namespace ai = pw::stages::ai;

namespace {

using files = std::map<std::string, std::string_view>;

std::vector<std::string> texts(const std::vector<ai::token>& t) {
  std::vector<std::string> out;
  for (const auto& x : t) out.push_back(x.text);
  return out;
}

}  // namespace

TEST_CASE("fold lowercases UTF-8 and folds diacritics, lower keeps them") {
  CHECK(ai::fold("Ärger ÖL Übel Straße") == "arger ol ubel strasse");
  CHECK(ai::fold("SESIÓN Año ÁÉÍÓÚ ñ") == "sesion ano aeiou n");
  CHECK(ai::lower("ÄÖÜ ÁÉÍÓÚ Ñ ẞ ß") != ai::fold("ÄÖÜ ÁÉÍÓÚ Ñ ẞ ß"));
  CHECK(ai::lower("ÄÖÜ ÁÉÍÓÚ Ñ") == "äöü áéíóú ñ");
}

TEST_CASE("tokenize keeps emoji, punctuation and ALL CAPS and expands contractions") {
  auto t = ai::tokenize("I can't log in!! Why is there STILL no dark mode?? 😡 :)");
  CHECK(texts(t) == std::vector<std::string>{"i", "can", "not", "log", "in", "!", "!", "why", "is", "there", "still",
                                             "no", "dark", "mode", "?", "?", "😡", "🙂"});
  CHECK(t[10].caps);
  CHECK_FALSE(t[0].caps);  // a single letter is not shouting
  CHECK(t[17].kind == ai::tok_kind::emoji);
  CHECK(texts(ai::tokenize("dont wont cannot")) == std::vector<std::string>{"do", "not", "will", "not", "can", "not"});
  CHECK(texts(ai::tokenize("v2.3 on e-mail")) == std::vector<std::string>{"v2.3", "on", "e", "mail"});
  // Sentences split at . ! ? and newlines.
  auto s = ai::tokenize("Good. Bad\nUgly");
  CHECK(s.back().sentence == 2);
}

TEST_CASE("language detection tells English, Spanish and German apart") {
  auto lang = [](std::string_view s) { return ai::detect_language(s, ai::tokenize(s)); };
  CHECK(lang("The app crashes when I open the settings") == ai::lang::en);
  CHECK(lang("La aplicación se cierra cuando abro la configuración") == ai::lang::es);
  CHECK(lang("Die App stürzt ab, wenn ich die Einstellungen öffne") == ai::lang::de);
  CHECK(lang("") == ai::lang::en);
}

TEST_CASE("phrase patterns: words, prefixes, concepts, gaps and alternatives") {
  ai::lexicons lex(files{{"concepts.txt", "@login: log in | sign in | iniciar sesión\n"},
                    {"en.txt", "[cue]\nnot * @login => x\nrefund* => y\nfoo|bar baz => z\n"}});
  auto tags = [&](std::string_view text) {
    ai::analysis a(text, lex);
    std::string out;
    for (const auto& t : a.tags()) out += std::string(lex.tag_name(t.tag));
    return out;
  };
  CHECK(tags("I can't sign in") == "x");
  CHECK(tags("I can not really ever log in") == "x");        // a gap of up to 3
  CHECK(tags("I can not. Then I log in") == "");             // a gap does not cross a sentence
  CHECK(tags("refunded and refunds") == "yy");
  CHECK(tags("bar baz") == "z");
  ai::analysis es("no puedo iniciar sesión", lex);
  REQUIRE(es.concepts().size() == 1);
  CHECK(lex.concept_name(es.concepts()[0].entry) == "login");
}

TEST_CASE("a malformed lexicon names its file and line") {
  CHECK_THROWS_WITH(ai::lexicons(files{{"en.txt", "[cue]\ngood => a\n* bad\n"}}),
                    Catch::Contains("lexicon en.txt:3") && Catch::Contains("gap"));
  CHECK_THROWS_WITH(ai::lexicons(files{{"en.txt", "good = 1\n"}}), Catch::Contains("en.txt:1"));
  CHECK_THROWS_WITH(ai::lexicons(files{{"en.txt", "[v]\ngood = x\n"}}), Catch::Contains("bad weight"));
  CHECK_THROWS_WITH(ai::lexicons(files{{"en.txt", "[v]\ncan't = 1\ncan not = 2\n"}}), Catch::Contains("already"));
}

TEST_CASE("the built-in lexicons load") {
  const auto& lex = ai::lexicons::builtin();
  CHECK(lex.section_id("valence") != SIZE_MAX);
  CHECK(lex.tag("bill") != 0);
}

TEST_CASE("vectors round-trip through f32le-base64") {
  std::vector<float> v{0.5f, -1.25f, 3.0e-7f, 0.0f};
  auto d = ai::decode_vector(ai::encode_vector(v));
  REQUIRE(d);
  CHECK(*d == v);
  CHECK_FALSE(ai::decode_vector("not base64!"));
  CHECK_FALSE(ai::decode_vector("AAAA"));  // 3 bytes: not whole floats
}

TEST_CASE("embeddings are L2-normalised, close for paraphrases, with IDF per workspace") {
  ai::embedder e(256);
  auto vec = [&](std::string_view text, std::string_view ws, std::string_view id) {
    ai::analysis a(text);
    return e.embed(a, ws, id).vector;
  };
  auto a = vec("Export to CSV drops the date column", "w", "1");
  auto b = vec("CSV export is missing the date column", "w", "2");
  auto c = vec("I love the new dark theme colours", "w", "3");
  CHECK(ai::dot(a.data(), a.data(), a.size()) == Approx(1.0f).epsilon(1e-4));
  CHECK(ai::dot(a.data(), b.data(), a.size()) > ai::dot(a.data(), c.data(), a.size()) + 0.2f);
  CHECK(e.documents("w") == 3);
  CHECK(e.documents("other") == 0);
  // A re-run of the same item does not count twice.
  ai::analysis again("Export to CSV drops the date column");
  CHECK(e.embed(again, "w", "1").state.empty());
  CHECK(e.documents("w") == 3);
}
