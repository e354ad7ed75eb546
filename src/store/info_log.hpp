// Internal to src/store: RocksDB's info log (the LOG file in the data dir),
// written by us. RocksDB's own file logger asserts when it writes again
// after a failed write (WritableFileWriter, seen in RocksDB 7.8 with its
// assertions on, as Debian builds it): a filesystem the kernel turned
// read-only under a running node aborted the process at the next log line.
// This one ignores failed writes (the LOG is a diagnostic) and also sends
// RocksDB's warnings and errors to our log as `event=rocksdb.log`.
#pragma once

#include <memory>
#include <string>

#include <rocksdb/env.h>

namespace pw::store {

// Appends to <dir>/LOG; a LOG over 16 MB is moved to LOG.old first.
std::shared_ptr<rocksdb::Logger> make_info_log(const std::string& dir);

}  // namespace pw::store
