// Language detection and the light stemmer of text.hpp: stopword profiles of
// en/es/de (one table, a bit per language) and letters only one of them
// uses.
#include <array>
#include <unordered_map>
#include <unordered_set>

#include "stages/ai/text.hpp"

namespace pw::stages::ai {

namespace {

const std::unordered_set<std::string_view>& stopwords(lang l) {
  static const std::unordered_set<std::string_view> en{
      "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "is", "are", "was", "were", "be",
      "been", "it", "this", "that", "i", "you", "we", "they", "my", "our", "your", "me", "at", "by", "from",
      "as", "so", "if", "do", "does", "did", "have", "has", "had", "will", "would", "just", "there", "what",
      "how", "when", "which", "who", "am", "its", "he", "she", "them", "their", "his", "her", "than", "then",
      "also", "all", "any", "some", "out", "up", "about", "into", "us", "should", "could", "been", "being",
      "these", "those", "here", "im", "ive", "get", "got", "one", "can", "after", "again", "now", "only"};
  static const std::unordered_set<std::string_view> es{
      "el", "la", "los", "las", "un", "una", "unos", "unas", "y", "o", "de", "del", "al", "en", "con", "por",
      "para", "que", "es", "son", "fue", "ser", "esta", "estan", "estoy", "mi", "mis", "tu", "su", "sus", "lo",
      "le", "les", "se", "muy", "pero", "como", "cuando", "porque", "me", "te", "nos", "ya", "hay", "este",
      "esto", "eso", "ese", "sin", "ha", "he", "han", "desde", "hace", "cada", "tengo", "tiene", "puedo",
      "otra", "otro", "ni", "mas", "sobre", "todo", "todos", "aunque", "nada", "tambien", "vez"};
  static const std::unordered_set<std::string_view> de{
      "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "und", "oder", "zu",
      "im", "am", "auf", "mit", "von", "fur", "ist", "sind", "war", "bin", "es", "ich", "du", "wir", "sie",
      "er", "mein", "meine", "meinen", "nicht", "kein", "keine", "aber", "wenn", "weil", "dass", "wie", "was",
      "auch", "noch", "schon", "nur", "sehr", "bei", "aus", "nach", "um", "ja", "nein", "man", "mir", "mich",
      "uns", "habe", "hat", "haben", "wird", "werden", "kann", "seit", "immer", "jetzt", "mehr", "bitte",
      "nichts", "wieder", "doch", "dann", "zum", "zur", "ihr", "ihre"};
  switch (l) {
    case lang::es: return es;
    case lang::de: return de;
    default: return en;
  }
}

// One lookup for all three languages: bit 1 << lang per word.
const std::unordered_map<std::string_view, std::uint8_t>& stopword_bits() {
  static const auto table = [] {
    std::unordered_map<std::string_view, std::uint8_t> t;
    for (lang l : all_langs)
      for (std::string_view w : stopwords(l)) t[w] |= static_cast<std::uint8_t>(1u << static_cast<int>(l));
    return t;
  }();
  return table;
}

}  // namespace

std::string_view to_string(lang l) noexcept {
  switch (l) {
    case lang::es: return "es";
    case lang::de: return "de";
    default: return "en";
  }
}

lang detect_language(std::string_view utf8, const std::vector<token>& tokens) {
  std::array<double, 3> score{0, 0, 0};
  for (const auto& t : tokens) {
    if (t.kind != tok_kind::word) continue;
    auto it = stopword_bits().find(t.text);
    if (it == stopword_bits().end()) continue;
    for (int l = 0; l < 3; ++l)
      if (it->second & (1u << l)) score[l] += 1;
  }
  for_each_code_point(utf8, [&](std::uint32_t cp) {
    if (cp == 0xF1 || cp == 0xD1 || cp == 0xBF || cp == 0xA1 || cp == 0xE1 || cp == 0xED || cp == 0xF3 || cp == 0xFA)
      score[1] += 1.5;
    if (cp == 0xE4 || cp == 0xF6 || cp == 0xFC || cp == 0xDF || cp == 0xC4 || cp == 0xD6 || cp == 0xDC) score[2] += 1.5;
  });
  int best = 0;
  for (int i = 1; i < 3; ++i)
    if (score[i] > score[best]) best = i;
  return static_cast<lang>(best);
}

bool is_stopword(lang l, std::string_view w) {
  auto it = stopword_bits().find(w);
  return it != stopword_bits().end() && (it->second & (1u << static_cast<int>(l)));
}

// A light stem: inflection endings off, so "exports", "exporting" and
// "exported" meet. Only for hashing; never shown.
std::string_view stem(std::string_view w, lang l) noexcept {
  auto ends = [&](std::string_view s) { return w.size() >= s.size() + 3 && w.substr(w.size() - s.size()) == s; };
  auto cut = [&](std::size_t n) { return w.substr(0, w.size() - n); };
  switch (l) {
    case lang::en:
      if (ends("ing")) return cut(3);
      if (ends("ied") || ends("ies")) return cut(3);
      if (ends("ed")) return cut(2);
      if (ends("es") && (w[w.size() - 3] == 's' || w[w.size() - 3] == 'x' || w[w.size() - 3] == 'h')) return cut(2);
      if (ends("s") && w[w.size() - 2] != 's') return cut(1);
      return w;
    case lang::es:
      for (std::string_view e : {"ando", "iendo", "ados", "idos", "adas", "idas", "ado", "ido", "ada", "ida", "es", "os", "as", "ar", "er", "ir", "s"})
        if (ends(e)) return cut(e.size());
      return w;
    case lang::de:
      for (std::string_view e : {"ungen", "ung", "ern", "en", "er", "es", "e", "n", "s", "t"})
        if (ends(e)) return cut(e.size());
      return w;
  }
  return w;
}

}  // namespace pw::stages::ai
