#include "store/info_log.hpp"

#include <sys/time.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>

namespace pw::store {

namespace {

constexpr std::uintmax_t rotate_at = 16u << 20;

class info_log final : public rocksdb::Logger {
 public:
  explicit info_log(std::FILE* f) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), file_(f) {}
  ~info_log() override {
    if (file_) std::fclose(file_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { write(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    write(level, format, ap);
  }

 private:
  void write(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
    char msg[2048];
    va_list copy;
    va_copy(copy, ap);
    std::vsnprintf(msg, sizeof msg, format, copy);
    va_end(copy);
    if (level >= rocksdb::InfoLogLevel::WARN_LEVEL && level != rocksdb::InfoLogLevel::HEADER_LEVEL) {
      std::string one_line(msg);  // a log field: no quotes or line breaks inside
      for (auto& c : one_line)
        if (c == '"') c = '\'';
        else if (c == '\n' || c == '\r') c = ' ';
      const bool error = level >= rocksdb::InfoLogLevel::ERROR_LEVEL;
      spdlog::log(error ? spdlog::level::err : spdlog::level::warn, "event=rocksdb.log msg=\"{}\"", one_line);
    }
    if (!file_) return;
    timeval now{};
    ::gettimeofday(&now, nullptr);
    std::tm t{};
    ::localtime_r(&now.tv_sec, &t);
    std::lock_guard lock(mu_);
    // A failed write is left alone: the next line tries again.
    std::fprintf(file_, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %s\n", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                 t.tm_min, t.tm_sec, static_cast<long>(now.tv_usec), msg);
    std::fflush(file_);
    std::clearerr(file_);
  }

  std::mutex mu_;
  std::FILE* file_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_info_log(const std::string& dir) {
  const auto path = std::filesystem::path(dir) / "LOG";
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > rotate_at && !ec) std::filesystem::rename(path, path.string() + ".old", ec);
  // Without a file (an unwritable dir fails the open later, with its cause)
  // the warnings still reach our log.
  return std::make_shared<info_log>(std::fopen(path.c_str(), "ae"));
}

}  // namespace pw::store
