// Progress of a long client command on stderr: a line rewritten in place on
// a terminal, a line every few seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace pw::cli {

class progress {
 public:
  progress(std::string what, std::size_t total);
  void advance(std::size_t n, std::size_t failed);
  // A message that must stay visible (printed on its own line).
  void note(const std::string& message);
  void finish();

 private:
  void draw(bool force);
  std::string what_;
  std::size_t total_, done_ = 0, failed_ = 0, drawn_ = static_cast<std::size_t>(-1);
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace pw::cli
