#include "corpus.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

namespace pw::tools::train {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::vector<labelled> load_file(const std::string& path) {
  std::istringstream in(read_all(path));
  const std::string stem = std::filesystem::path(path).stem().string();
  std::vector<labelled> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) throw std::runtime_error(fmt::format("{}:{}: not a JSON object", path, n));
    const auto& o = v.as_object();
    labelled x{str(o, "id"),        str(o, "workspace"), str(o, "kind"),     str(o, "lang"),
               str(o, "text"),      str(o, "sentiment"), str(o, "urgency"),  str(o, "category"),
               str(o, "theme"),     str(o, "dup_group"), str(o, "trap_of"),  str(o, "batch"), {}};
    if (x.batch.empty()) x.batch = stem;
    if (x.kind.empty()) x.kind = x.workspace.substr(0, x.workspace.find('-'));
    if (auto it = o.find("tags"); it != o.end() && it->value().is_array())
      for (const auto& t : it->value().as_array())
        if (t.is_string()) x.tags.emplace_back(t.as_string());
    if (x.text.empty() || x.sentiment.empty() || x.urgency.empty() || x.category.empty())
      throw std::runtime_error(fmt::format("{}:{}: an item needs text, sentiment, urgency and category", path, n));
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<std::string> jsonl_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".jsonl") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no *.jsonl files in " + dir);
  return files;
}

std::vector<labelled> load_dir(const std::string& dir) {
  std::vector<labelled> out;
  for (const auto& f : jsonl_files(dir)) {
    auto part = load_file(f);
    out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return out;
}

std::string digest_of(const std::vector<std::string>& paths) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const auto& p : paths)
    for (unsigned char c : read_all(p)) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  return fmt::format("{:016x}", h).substr(0, 12);
}

}  // namespace pw::tools::train
