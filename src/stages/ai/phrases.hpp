// Phrase matching over tokens: the engine under the lexicons.
//
// A pattern is a sequence of elements separated by spaces:
//   word      the folded word exactly ("charged")
//   word*     any word starting with it ("refund*" matches refunds, refunded)
//   @concept  a concept span (config/lexicons/concepts.txt: "@login" matches
//             "log in", "sign in", "iniciar sesión", "anmelden", ...)
//   *         a gap of 0..4 tokens inside the sentence ("not * log in")
//   ! ? ... " punctuation tokens themselves
//   a|b       either word (no spaces inside)
// A document is resolved once against the shared vocabulary; then every
// pattern set is matched by looking patterns up by their first element.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stages/ai/text.hpp"

namespace pw::stages::ai {

using sym = std::uint32_t;

// Every word, prefix and concept name any pattern uses, as numbers.
class vocabulary {
 public:
  sym word(std::string_view w);          // interns
  sym prefix(std::string_view p);        // interns "p" of "p*"
  sym concept_of(std::string_view name); // interns "@name"
  // The word's symbol and those of the prefixes it starts with.
  void resolve(std::string_view w, std::vector<sym>& out) const;
  std::string_view name(sym s) const { return names_[s]; }

 private:
  sym intern(std::string key);
  std::unordered_map<std::string, sym> ids_;
  std::vector<std::string> names_;
  // Prefixes as a byte trie: node 0 is the root.
  struct trie_node {
    std::uint32_t child = 0, sibling = 0;  // 0: none
    char c = 0;
    std::int64_t symbol = -1;
  };
  std::vector<trie_node> trie_{trie_node{}};
};

struct span {
  std::uint32_t entry;        // the pattern's entry number in its set
  std::uint16_t begin, end;   // token positions [begin, end)
};

// The symbols at each token position, and where each ends.
class resolved_doc {
 public:
  resolved_doc(const std::vector<token>& tokens, const vocabulary& v);
  std::size_t size() const { return tokens_.size(); }
  const token& tok(std::size_t i) const { return tokens_[i]; }
  // Adds a symbol that starts at `begin` and ends at `end` (a concept span).
  void add(std::size_t begin, std::size_t end, sym s);
  template <class F>
  void each(std::size_t pos, F&& f) const {
    for (std::uint32_t k = start_[pos]; k != npos; k = next_[k]) f(syms_[k], ends_[k]);
  }
  bool boundary(std::size_t i) const;  // . ! ? ; ... (a gap does not cross it)

 private:
  static constexpr std::uint32_t npos = 0xffffffffu;
  const std::vector<token>& tokens_;
  std::vector<std::uint32_t> start_;  // first entry per position
  std::vector<sym> syms_;
  std::vector<std::uint16_t> ends_;
  std::vector<std::uint32_t> next_;
};

class phrase_set {
 public:
  // Compiles `pattern` (see above) as entry `entry`; false with `error` set
  // when it is malformed.
  bool add(std::string_view text, std::uint32_t entry, vocabulary& v, std::string& error);
  // Every match (one per start position and pattern, the shortest).
  void match(const resolved_doc& d, std::vector<span>& out) const;
  std::size_t size() const { return patterns_.size(); }

 private:
  struct elem {
    enum kind_t : std::uint8_t { symbol, alt, gap } kind;
    std::vector<sym> syms;  // one, or the alternatives
  };
  struct pattern {
    std::vector<elem> elems;
    std::uint32_t entry;
  };
  bool match_from(const resolved_doc& d, const pattern& p, std::size_t e, std::size_t pos, std::size_t& end) const;
  std::vector<pattern> patterns_;
  std::vector<std::vector<std::uint32_t>> by_first_;  // index: symbol
};

}  // namespace pw::stages::ai
