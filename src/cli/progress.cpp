#include "cli/progress.hpp"

#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

namespace pw::cli {

progress::progress(std::string what, std::size_t total)
    : what_(std::move(what)), total_(total), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void progress::advance(std::size_t n, std::size_t failed) {
  done_ += n;
  failed_ = failed;
  draw(false);
}

void progress::note(const std::string& message) {
  if (tty_) std::cerr << "\r\033[K";
  std::cerr << message << '\n';
  draw(true);
}

void progress::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const auto gap = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2000);
  if (!force && now - last_draw_ < gap && done_ != total_) return;
  last_draw_ = now;
  drawn_ = done_;
  const double s = std::chrono::duration<double>(now - start_).count();
  const auto line = fmt::format("{} {}/{} ({:.0f}%), {} refused, {:.0f}/s", what_, done_, total_,
                                total_ ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0, failed_,
                                s > 0 ? static_cast<double>(done_) / s : 0.0);
  if (tty_) std::cerr << "\r\033[K" << line << std::flush;
  else std::cerr << line << '\n';
}

void progress::finish() {
  if (tty_ || drawn_ != done_) draw(true);
  if (tty_) std::cerr << '\n';
}

}  // namespace pw::cli
