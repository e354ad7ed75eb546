// Text primitives of the built-in AI stages: UTF-8 normalisation, a
// tokeniser that keeps emoji, punctuation and ALL CAPS, and en/es/de
// language detection from stopword profiles. Plain C++, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pw::stages::ai {

enum class lang : std::uint8_t { en, es, de };
inline constexpr lang all_langs[] = {lang::en, lang::es, lang::de};
std::string_view to_string(lang l) noexcept;

// Lower case with diacritics folded for matching: "Ärger" -> "arger",
// "Straße" -> "strasse", "sesión" -> "sesion", "año" -> "ano". Lexicons go
// through the same function, so both sides agree.
std::string fold(std::string_view utf8);

// Lower case only (keeps ä ö ü ß á é í ó ú ñ), for display.
std::string lower(std::string_view utf8);

enum class tok_kind : std::uint8_t { word, emoji, punct };

struct token {
  std::string text;           // folded; an emoji as its UTF-8 (no variation selector); punctuation as itself
  tok_kind kind = tok_kind::word;
  bool caps = false;          // a word of >= 2 letters written in capitals ("STILL")
  std::uint16_t sentence = 0; // index of the sentence (split at . ! ? ; and newlines)
};

// Words ([letters digits]+, apostrophes joined: "can't" -> "can" "not"),
// emoji (and :) :( <3 as emoji), and the punctuation marks . , ! ? ; : ( ) -
// as single tokens. English contractions with and without the apostrophe are
// expanded ("dont" -> "do" "not").
std::vector<token> tokenize(std::string_view utf8);

// The words of `text` folded, nothing else: for lexicon entries.
std::vector<std::string> words(std::string_view utf8);

// The language whose stopwords (and letters: ñ ¿ ¡ / ä ö ü ß) the text
// uses most; English when nothing tells.
lang detect_language(std::string_view utf8, const std::vector<token>& tokens);
// A function word of that language (folded), weighed down in embeddings.
bool is_stopword(lang l, std::string_view folded_word);

// A light stem (inflection endings off: "exports", "exported" -> "export"),
// for matching only, never shown.
std::string_view stem(std::string_view folded_word, lang l) noexcept;

// True for code points that count as emoji / pictographs.
bool is_emoji(std::uint32_t cp) noexcept;

// Calls f(code_point) for each code point; invalid bytes count as Latin-1.
template <class F>
void for_each_code_point(std::string_view s, F&& f) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i])); };
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t c = byte(i);
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + n > s.size()) n = 1;
    for (std::size_t k = 1; k < n; ++k)
      if ((byte(i + k) & 0xC0u) != 0x80u) n = 1;
    std::uint32_t cp = c;
    if (n == 2) cp = ((c & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu);
    if (n == 3) cp = ((c & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu);
    if (n == 4)
      cp = ((c & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) | ((byte(i + 2) & 0x3Fu) << 6) | (byte(i + 3) & 0x3Fu);
    f(cp);
    i += n;
  }
}

void append_utf8(std::string& out, std::uint32_t cp);

// 64-bit FNV-1a; stable across runs and builds (persisted hashes use it).
std::uint64_t hash64(std::string_view s, std::uint64_t seed = 0xcbf29ce484222325ull) noexcept;

}  // namespace pw::stages::ai
