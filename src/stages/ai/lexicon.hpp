// The lexicons the built-in stages read: config/lexicons/*.txt, embedded in
// the binary at build time (so `pipewright serve` works from any directory).
//
// File format (one entry a line, `#` starts a comment):
//   [section]                      starts a section
//   pattern                        an entry (see phrases.hpp for patterns)
//   pattern = 2.5                  ... with a weight (valence, factor)
//   pattern => tag tag:0.5         ... with tags (weight 1 unless given)
//   pattern = -2 => tag            both
// concepts.txt holds `@name: pattern | pattern | ...` lines instead; a
// concept is language-independent and usable as `@name` in any pattern.
// common.txt applies to every language; en.txt, es.txt, de.txt to theirs.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/ai/phrases.hpp"
#include "stages/ai/text.hpp"

namespace pw::stages::ai {

using tag_id = std::uint16_t;

struct tag_weight {
  tag_id tag;
  float weight;
};

struct entry {
  std::string pattern;
  float weight = 1.0f;
  std::vector<tag_weight> tags;
};

struct section {
  std::vector<entry> entries;
};

// One file's sections, by section id. All their patterns live in one
// phrase set (one pass over a text), each pattern naming its section entry.
struct lexicon {
  struct ref {
    std::uint32_t section, entry;
  };
  std::vector<std::unique_ptr<section>> sections;  // index: section id; null when absent
  phrase_set patterns;
  std::vector<ref> refs;  // by pattern entry number
  const section* find(std::size_t id) const { return id < sections.size() ? sections[id].get() : nullptr; }
};

class lexicons {
 public:
  // Parses the files (name -> text); throws std::invalid_argument naming
  // the file and line of a malformed entry.
  explicit lexicons(const std::map<std::string, std::string_view>& files);
  // The built-in files, parsed once.
  static const lexicons& builtin();

  const vocabulary& vocab() const { return vocab_; }
  const phrase_set& concepts() const { return concepts_; }
  sym concept_sym(std::uint32_t entry) const { return concept_syms_[entry]; }
  std::string_view concept_name(std::uint32_t entry) const { return concept_names_[entry]; }
  const lexicon& common() const { return common_; }
  const lexicon& of(lang l) const { return langs_[static_cast<std::size_t>(l)]; }

  // Section and tag names as numbers (stable within a process).
  std::size_t section_id(std::string_view name) const;  // npos-like: SIZE_MAX when unknown
  tag_id tag(std::string_view name) const;              // 0 ("") when unknown
  std::string_view tag_name(tag_id t) const { return tag_names_[t]; }
  std::size_t tag_count() const { return tag_names_.size(); }

 private:
  void parse_concepts(std::string_view file, std::string_view text);
  void parse(std::string_view file, std::string_view text, lexicon& into);
  tag_id intern_tag(std::string_view name);
  std::size_t intern_section(std::string_view name);

  vocabulary vocab_;
  phrase_set concepts_;
  std::vector<sym> concept_syms_;
  std::vector<std::string> concept_names_;
  lexicon common_;
  std::array<lexicon, 3> langs_;
  std::map<std::string, std::size_t, std::less<>> section_ids_;
  std::map<std::string, tag_id, std::less<>> tag_ids_;
  std::vector<std::string> tag_names_;
};

}  // namespace pw::stages::ai
