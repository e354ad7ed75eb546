#include "proc_figures.hpp"

#include <dirent.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace pwcrash {

namespace {

struct tcp_socket {
  std::string local;   // hex address:port as /proc/net/tcp writes it
  std::string remote;
};

// inode -> the socket's endpoints, for IPv4 and IPv6 TCP sockets of the host.
std::map<unsigned long, tcp_socket> tcp_table() {
  std::map<unsigned long, tcp_socket> t;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      if (f >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode && inode != 0)
        t[inode] = {local, remote};
    }
  }
  return t;
}

// The socket inodes among a process's descriptors; counts them all in
// `open` and those that name `data_dir` or a file in it in `under_dir`
// (RocksDB keeps the directory itself open, once per column family on a
// fresh store).
std::vector<unsigned long> socket_inodes(const std::string& fd_dir, long& open, const std::string& data_dir, long& under_dir) {
  std::vector<unsigned long> inodes;
  open = under_dir = 0;
  DIR* d = ::opendir(fd_dir.c_str());
  if (!d) return inodes;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    ++open;
    char target[4096];
    const auto n = ::readlink((fd_dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    const std::string link(target, static_cast<std::size_t>(n));
    if (link.rfind("socket:[", 0) == 0) inodes.push_back(std::stoul(link.substr(8)));
    else if (!data_dir.empty() && (link == data_dir || link.rfind(data_dir + "/", 0) == 0)) ++under_dir;
  }
  ::closedir(d);
  return inodes;
}

}  // namespace

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

fd_figures fd_figures_of(pid_t pid, const std::string& data_dir) {
  fd_figures f;
  long mine = 0, ignored = 0;
  const auto runner = socket_inodes("/proc/self/fd", mine, "", ignored);
  std::error_code ec;
  const auto dir = std::filesystem::weakly_canonical(data_dir, ec).string();
  const auto server = socket_inodes("/proc/" + std::to_string(pid) + "/fd", f.open, ec ? data_dir : dir, f.store_files);
  const auto table = tcp_table();
  std::set<std::string> runner_ends;
  for (auto inode : runner)
    if (auto it = table.find(inode); it != table.end()) runner_ends.insert(it->second.local);
  for (auto inode : server)
    if (auto it = table.find(inode); it != table.end() && runner_ends.count(it->second.remote)) ++f.client_held;
  return f;
}

}  // namespace pwcrash
