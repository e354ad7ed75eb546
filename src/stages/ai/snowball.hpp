// Snowball stems (libstemmer: english, spanish, german) of folded words, for
// the learned models' features. One stemmer per language and thread: a
// libstemmer handle is not safe to share.
#pragma once

#include <string>
#include <string_view>

#include "stages/ai/text.hpp"

namespace pw::stages::ai {

// The Snowball stem of a folded word ("exporting" -> "export",
// "exportieren" -> "export", "cancelaciones" -> "cancel").
std::string snowball(std::string_view folded_word, lang l);

}  // namespace pw::stages::ai
