// The built-in AI's model file (config/models/pw-ai.model, trained by
// tools/ai_train), carried inside the binary and parsed once at start.
#pragma once

#include <cstddef>
#include <string>

#include "stages/ai/model_file.hpp"

namespace pw::stages::builtin {

// Parses on first use; throws std::invalid_argument when the file is broken.
const ai::model_file& models();

struct models_info {
  std::string version, sha256;
  std::size_t bytes = 0, rows = 0;
  double load_ms = 0;
};
// What was loaded (parses first if needed), for the start-up log line.
models_info loaded_models();

}  // namespace pw::stages::builtin
