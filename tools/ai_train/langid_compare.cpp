// pw_ai_langid: the language detector of the built-in stages (stopword and
// letter profiles, src/stages/ai/text.cpp) against libexttextcat (n-gram
// profiles, restricted to en/es/de) on the labelled corpus: accuracy, the
// confusions, and microseconds per text. docs/decisions.md keeps the result.
//
//   pw_ai_langid FILE|DIR...
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <libexttextcat/textcat.h>

#include "corpus.hpp"
#include "stages/ai/text.hpp"

namespace ai = pw::stages::ai;
using clk = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::vector<pw::tools::train::labelled> items;
  for (int i = 1; i < argc; ++i) {
    auto part = std::filesystem::is_directory(argv[i]) ? pw::tools::train::load_dir(argv[i])
                                                       : pw::tools::train::load_file(argv[i]);
    items.insert(items.end(), part.begin(), part.end());
  }
  if (items.empty()) {
    std::fprintf(stderr, "usage: pw_ai_langid FILE|DIR...\n");
    return 2;
  }
  const auto conf = std::filesystem::temp_directory_path() / "pw_langid_fpdb.conf";
  {
    std::ofstream c(conf);
    c << "en.lm en\nes.lm es\nde.lm de\n";
  }
  void* tc = special_textcat_Init(conf.c_str(), "/usr/share/libexttextcat/");
  if (!tc) {
    std::fprintf(stderr, "libexttextcat: cannot load /usr/share/libexttextcat/{en,es,de}.lm\n");
    return 1;
  }
  textcat_SetProperty(tc, TCPROP_MINIMUM_DOCUMENT_SIZE, 1);
  std::map<std::string, int> ours_wrong, theirs_wrong;
  int ours_right = 0, theirs_right = 0;
  double ours_us = 0, theirs_us = 0;
  for (const auto& x : items) {
    auto t0 = clk::now();
    const auto toks = ai::tokenize(x.text);
    const std::string ours(ai::to_string(ai::detect_language(x.text, toks)));
    auto t1 = clk::now();
    const char* r = textcat_Classify(tc, x.text.data(), x.text.size());
    auto t2 = clk::now();
    // "[en][de]" when unsure: its first guess counts.
    std::string theirs = r ? r : "";
    if (theirs.size() >= 4 && theirs[0] == '[') theirs = theirs.substr(1, theirs.find(']') - 1);
    ours_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
    theirs_us += std::chrono::duration<double, std::micro>(t2 - t1).count();
    ours == x.lang ? ++ours_right : ++ours_wrong[x.lang + "->" + ours];
    theirs == x.lang ? ++theirs_right : ++theirs_wrong[x.lang + "->" + theirs];
  }
  textcat_Done(tc);
  std::filesystem::remove(conf);
  const double n = static_cast<double>(items.size());
  std::printf("%zu texts\n", items.size());
  std::printf("built-in (stopwords + letters): accuracy %.4f, %.1f us/text (incl. tokenizing)\n", ours_right / n, ours_us / n);
  for (auto& [k, v] : ours_wrong) std::printf("    %s %d\n", k.c_str(), v);
  std::printf("libexttextcat (en/es/de profiles): accuracy %.4f, %.1f us/text\n", theirs_right / n, theirs_us / n);
  for (auto& [k, v] : theirs_wrong) std::printf("    %s %d\n", k.c_str(), v);
  return 0;
}
