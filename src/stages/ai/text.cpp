#include "stages/ai/text.hpp"

#include <algorithm>

namespace pw::stages::ai {

namespace {

// U+0100..U+017F (Latin Extended-A) folded to a base letter.
constexpr std::string_view ext_a =
    "aaaaaaccccccccdd"
    "ddeeeeeeeeeegggg"
    "gggghhhhiiiiiiii"
    "iiiijjkkklllllll"
    "lllnnnnnnnnnoooo"
    "oooorrrrrrssssss"
    "ssttttttuuuuuuuu"
    "uuuuwwyyyzzzzzzs";

// Folds one code point; returns false when it is not a letter or digit.
bool fold_cp(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') out.push_back(static_cast<char>(cp - 'A' + 'a'));
    else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) out.push_back(static_cast<char>(cp));
    else return false;
    return true;
  }
  if (cp >= 0xC0 && cp <= 0xFF) {
    if (cp == 0xD7 || cp == 0xF7) return false;
    std::uint32_t c = cp >= 0xE0 ? cp - 0x20 : cp;  // upper half
    if (c <= 0xC5) out.push_back('a');
    else if (c == 0xC6) out += "ae";
    else if (c == 0xC7) out.push_back('c');
    else if (c <= 0xCB) out.push_back('e');
    else if (c <= 0xCF) out.push_back('i');
    else if (c == 0xD0) out.push_back('d');
    else if (c == 0xD1) out.push_back('n');
    else if (c <= 0xD6 || c == 0xD8) out.push_back('o');
    else if (c <= 0xDC) out.push_back('u');
    else if (c == 0xDD) out.push_back('y');
    else if (c == 0xDE) out += "th";
    else if (cp == 0xDF) out += "ss";
    else if (cp == 0xFF) out.push_back('y');
    else out.push_back('s');
    return true;
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    out.push_back(ext_a[cp - 0x100]);
    return true;
  }
  if (cp == 0x1E9E) {  // capital sharp s
    out += "ss";
    return true;
  }
  // Other scripts: keep the letter itself (lower-casing only what we know).
  if (cp >= 0x370 && !is_emoji(cp) && !(cp >= 0x2000 && cp <= 0x2BFF) && !(cp >= 0x3000 && cp <= 0x303F) &&
      cp != 0xFE0F && cp != 0x200D) {
    append_utf8(out, cp);
    return true;
  }
  return false;
}

bool is_upper(std::uint32_t cp) noexcept {
  return (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
         (cp >= 0x100 && cp <= 0x17F && cp % 2 == 0 && cp != 0x138);
}

bool is_letter_like(std::uint32_t cp) {
  std::string scratch;
  return fold_cp(cp, scratch);
}

bool is_apostrophe(std::uint32_t cp) noexcept { return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == '`'; }

// Appends a finished word, expanding English negative contractions.
void push_word(std::vector<token>& out, std::string w, bool caps, std::uint16_t sentence) {
  auto emit = [&](std::string s) {
    if (!s.empty()) out.push_back(token{std::move(s), tok_kind::word, caps, sentence});
  };
  auto apos = w.find('\'');
  if (apos != std::string::npos) {
    std::string head = w.substr(0, apos), tail = w.substr(apos + 1);
    tail.erase(std::remove(tail.begin(), tail.end(), '\''), tail.end());
    if (tail == "t" && head.size() >= 2 && head.back() == 'n') {
      std::string stem = head.substr(0, head.size() - 1);
      if (stem == "ca") stem = "can";
      else if (stem == "wo") stem = "will";
      else if (stem == "sha") stem = "shall";
      else if (stem == "ai") stem = "is";
      emit(stem);
      emit("not");
      return;
    }
    emit(head);
    if (tail == "m") emit("am");
    else if (tail == "re") emit("are");
    else if (tail == "ve") emit("have");
    else if (tail == "ll") emit("will");
    else if (tail == "d") emit("would");
    else if (tail != "s" && tail != "t") emit(tail);
    return;
  }
  static const std::pair<std::string_view, std::string_view> bare[] = {
      {"cant", "can"},       {"dont", "do"},         {"doesnt", "does"}, {"didnt", "did"},   {"isnt", "is"},
      {"wasnt", "was"},      {"arent", "are"},       {"werent", "were"}, {"wont", "will"},   {"wouldnt", "would"},
      {"couldnt", "could"},  {"shouldnt", "should"}, {"havent", "have"}, {"hasnt", "has"},   {"hadnt", "had"},
      {"aint", "is"},        {"cannot", "can"}};
  for (const auto& [k, v] : bare)
    if (w == k) {
      emit(std::string(v));
      emit("not");
      return;
    }
  // Chat spellings and frequent misspellings, read as the word meant.
  static const std::pair<std::string_view, std::string_view> spelling[] = {
      {"pls", "please"},      {"plz", "please"},         {"plse", "please"},     {"thx", "thanks"},
      {"thnx", "thanks"},     {"tnx", "thanks"},         {"u", "you"},           {"ur", "your"},
      {"recieve", "receive"}, {"recieved", "received"},  {"recieving", "receiving"},
      {"acount", "account"},  {"acc", "account"},        {"pasword", "password"}, {"passwort", "passwort"},
      {"loggin", "login"},    {"notifcations", "notifications"}, {"notifcation", "notification"},
      {"definately", "definitely"}, {"seperate", "separate"}, {"wierd", "weird"}, {"occured", "occurred"},
      {"untill", "until"},    {"cuz", "because"},        {"coz", "because"},     {"bc", "because"},
      {"asap", "asap"},       {"app's", "app"},          {"crahes", "crashes"},  {"crashs", "crashes"},
      {"paymnet", "payment"}, {"subscribtion", "subscription"}, {"refound", "refund"}};
  for (const auto& [k, v] : spelling)
    if (w == k) {
      emit(std::string(v));
      return;
    }
  emit(std::move(w));
}

}  // namespace

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_emoji(std::uint32_t cp) noexcept {
  return (cp >= 0x1F300 && cp <= 0x1FAFF && !(cp >= 0x1F3FB && cp <= 0x1F3FF)) || (cp >= 0x2600 && cp <= 0x27BF) ||
         (cp >= 0x1F000 && cp <= 0x1F2FF) || cp == 0x2B50 || cp == 0x2B55 || cp == 0x203C || cp == 0x2049 ||
         cp == 0x2705 || cp == 0x274C;
}

std::string fold(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for_each_code_point(utf8, [&](std::uint32_t cp) {
    if (!fold_cp(cp, out)) {
      if (cp < 0x80) out.push_back(static_cast<char>(cp));
      else append_utf8(out, cp);
    }
  });
  return out;
}

std::string lower(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for_each_code_point(utf8, [&](std::uint32_t cp) {
    if (cp >= 'A' && cp <= 'Z') cp += 0x20;
    else if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) cp += 0x20;
    else if (cp >= 0x100 && cp <= 0x17F && is_upper(cp)) cp += 1;
    append_utf8(out, cp);
  });
  return out;
}

std::vector<token> tokenize(std::string_view utf8) {
  std::vector<std::uint32_t> cps;
  cps.reserve(utf8.size());
  for_each_code_point(utf8, [&](std::uint32_t cp) { cps.push_back(cp); });
  std::vector<token> out;
  out.reserve(cps.size() / 4 + 4);
  std::uint16_t sentence = 0;
  bool sentence_open = false;  // a token was emitted since the last boundary
  std::string word;
  int letters = 0, uppers = 0;
  auto flush = [&] {
    if (!word.empty()) {
      push_word(out, std::move(word), letters >= 2 && uppers == letters, sentence);
      sentence_open = true;
    }
    word.clear();
    letters = uppers = 0;
  };
  auto boundary = [&] {
    if (sentence_open) ++sentence;
    sentence_open = false;
  };
  auto punct = [&](std::string p) {
    out.push_back(token{std::move(p), tok_kind::punct, false, sentence});
  };
  auto emoji = [&](std::uint32_t cp) {
    std::string e;
    append_utf8(e, cp);
    out.push_back(token{std::move(e), tok_kind::emoji, false, sentence});
    sentence_open = true;
  };
  const std::size_t n = cps.size();
  auto at = [&](std::size_t i) -> std::uint32_t { return i < n ? cps[i] : 0u; };
  auto space_or_edge = [&](std::size_t i, bool before) {
    if (before ? i == static_cast<std::size_t>(-1) : i >= n) return true;
    std::uint32_t c = cps[i];
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || (!before && (c == '.' || c == ',' || c == '!'));
  };
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t cp = cps[i];
    // ASCII emoticons, standing alone.
    if ((cp == ':' || cp == ';' || cp == '<') && word.empty() && space_or_edge(i - 1, true)) {
      std::size_t j = i + 1;
      if (cp != '<' && at(j) == '-') ++j;
      std::uint32_t m = at(j), e = 0;
      if (cp == '<' && m == '3') e = 0x2764;
      else if (cp == ':' && m == ')') e = 0x1F642;
      else if (cp == ':' && m == '(') e = 0x1F641;
      else if (cp == ':' && m == 'D') e = 0x1F600;
      else if (cp == ';' && m == ')') e = 0x1F609;
      else if (cp == ':' && m == '/') e = 0x1F615;
      if (e && space_or_edge(j + 1, false)) {
        emoji(e);
        i = j;
        continue;
      }
    }
    // "+1" (a vote) is a word of its own.
    if (cp == '+' && word.empty() && at(i + 1) >= '0' && at(i + 1) <= '9') {
      word.push_back('+');
      continue;
    }
    std::size_t before = word.size();
    if (fold_cp(cp, word)) {
      if (word.size() > before && !(cp >= '0' && cp <= '9')) {
        ++letters;
        if (is_upper(cp)) ++uppers;
      }
      continue;
    }
    if (is_apostrophe(cp) && !word.empty() && is_letter_like(at(i + 1))) {
      word.push_back('\'');
      continue;
    }
    // v2.3, example.com: one word ("works." ends a sentence; see below).
    if (cp == '.' && !word.empty() && is_letter_like(at(i + 1))) {
      word.push_back('.');
      continue;
    }
    // e-mail, log-in, file_name: the parts are words of their own.
    if ((cp == '-' || cp == '_') && !word.empty() && is_letter_like(at(i + 1))) {
      flush();
      continue;
    }
    flush();
    if (is_emoji(cp)) {
      emoji(cp);
      continue;
    }
    switch (cp) {
      case '.':
        if (at(i + 1) == '.' && at(i + 2) == '.') {
          punct("...");
          while (at(i + 1) == '.') ++i;
        } else {
          punct(".");
        }
        boundary();
        break;
      case 0x2026:
        punct("...");
        boundary();
        break;
      case '!': case '?': case ';':
        punct(std::string(1, static_cast<char>(cp)));
        boundary();
        break;
      case '\n':
        boundary();
        break;
      case ',': case ':': case '(': case ')': case '"': case '-':
        punct(std::string(1, static_cast<char>(cp)));
        break;
      case 0xBF: punct("?"); break;  // ¿
      case 0xA1: punct("!"); break;  // ¡
      case 0x201C: case 0x201D: case 0xAB: case 0xBB: punct("\""); break;
      case 0x2013: case 0x2014: punct("-"); break;
      default: break;
    }
  }
  flush();
  return out;
}

std::vector<std::string> words(std::string_view utf8) {
  std::vector<std::string> out;
  for (auto& t : tokenize(utf8))
    if (t.kind != tok_kind::punct) out.push_back(std::move(t.text));
  return out;
}

std::uint64_t hash64(std::string_view s, std::uint64_t h) noexcept {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace pw::stages::ai
