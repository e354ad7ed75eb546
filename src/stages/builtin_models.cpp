#include "stages/builtin_models.hpp"

#include <chrono>
#include <string_view>

namespace pw::embedded_bin {
std::string_view pw_ai_model();
std::string_view pw_ai_model_sha256();
}  // namespace pw::embedded_bin

namespace pw::stages::builtin {

namespace {

struct loaded {
  ai::model_file file;
  double ms;
};

const loaded& load() {
  static const loaded l = [] {
    const auto t0 = std::chrono::steady_clock::now();
    auto f = ai::model_file::parse(embedded_bin::pw_ai_model());
    return loaded{std::move(f), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()};
  }();
  return l;
}

}  // namespace

const ai::model_file& models() { return load().file; }

models_info loaded_models() {
  const auto& l = load();
  return models_info{l.file.version(), std::string(embedded_bin::pw_ai_model_sha256()),
                     embedded_bin::pw_ai_model().size(), l.file.rows(), l.ms};
}

}  // namespace pw::stages::builtin
