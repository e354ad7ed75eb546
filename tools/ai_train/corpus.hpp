// The labelled corpus as the training tool reads it: JSONL files of the
// format of tests/data/README.md (id, workspace, kind, lang, text,
// sentiment, urgency, category, theme, dup_group, trap_of, tags, batch).
#pragma once

#include <string>
#include <vector>

namespace pw::tools::train {

struct labelled {
  std::string id, workspace, kind, lang, text, sentiment, urgency, category, theme, dup_group, trap_of, batch;
  std::vector<std::string> tags;
};

// One file's items in file order; `batch` defaults to the file's stem.
std::vector<labelled> load_file(const std::string& path);
// Every *.jsonl of a directory, files in name order.
std::vector<labelled> load_dir(const std::string& dir);
// A stable digest (FNV-1a 64 of every file's bytes in order), for the version.
std::string digest_of(const std::vector<std::string>& paths);
std::vector<std::string> jsonl_files(const std::string& dir);

}  // namespace pw::tools::train
