// What the soak samples of the server process from /proc: resident memory,
// open file descriptors, and how many of those are the server's ends of
// connections the runner itself holds open at that instant or files of the
// store.
//
// The runner opens and closes sockets all the time (HTTP load, event
// sockets, dead sockets held for a minute), so the server's raw descriptor
// count swings with the client, not with the server; RocksDB keeps every
// table file of the store open, so it moves with flushes and compactions.
// What is left is what a leak would grow: pipes, eventfds, the listener,
// files outside the store, and connections no live client accounts for
// (left open after the peer went).
#pragma once

#include <sys/types.h>

#include <string>

namespace pwcrash {

struct fd_figures {
  long open = 0;           // every descriptor of the process
  long client_held = 0;    // its TCP ends whose peer is a socket of this (runner) process
  long store_files = 0;    // the node's data dir and the files in it (RocksDB's tables, WAL, LOG)
  long unaccounted() const { return open - client_held - store_files; }
};

long rss_kb(pid_t pid);
fd_figures fd_figures_of(pid_t pid, const std::string& data_dir);

}  // namespace pwcrash
