// Brand and model from what was read on a photo: every span of words of
// every line read (by OCR, by the vision stage) is compared with the brands,
// their spellings and their models in the category's dictionary, with an
// edit distance that knows OCR's confusions (0/O, 1/I/l, 5/S, rn/m, ...), so
// a brand survives a misread letter. Each field gets a confidence in [0, 1]
// from how well it matched, how sure the reader was, how prominent the
// lettering is and how many readers agree. Plain C++, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stages/asset/dictionary.hpp"

namespace pw::stages::asset {

struct text_line {
  std::string text;
  double confidence = 1.0;  // the reader's, in [0, 1]
  double prominence = 0.5;  // glyph height relative to the tallest line read, in [0, 1]
  std::string source;       // "ocr", "vision"
};

// What an external analysis worker answered (an empty string: no answer).
struct external_guess {
  std::string brand, model;
  double brand_confidence = 0, model_confidence = 0;
};

struct field_match {
  std::string value;    // the dictionary's spelling (or the worker's, for a name it does not list)
  double confidence = 0;
  std::string source;   // "ocr", "vision", "ocr+vision", "worker", "model" (implied by a model of one brand), ...
  std::string read_as;  // the text that matched
};

struct extraction {
  std::optional<field_match> brand, model;
};

struct match_options {
  double brand_threshold = 0.80;  // similarity a brand needs (short names need more; see matcher.cpp)
  double model_threshold = 0.78;
};

extraction extract(const category_entry& category, const std::vector<text_line>& lines,
                   const std::optional<external_guess>& guess, const match_options& options = {});

// Upper case, diacritics folded, letters and digits only: "Yu-Gi-Oh!" -> "YUGIOH".
std::string compact(std::string_view utf8);
// 1 - (OCR-weighted edit distance) / (longer length), on compact strings.
double similarity(std::string_view a, std::string_view b);

}  // namespace pw::stages::asset
