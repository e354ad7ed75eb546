// pw-hostile: an ordinary client's POST latency with and without hostile
// clients around it (bench/hostile.sh, docs/reliability.md). The hostile
// clients, each kind from a loopback address of its own:
//   idle       WebSockets that connect and sit (answering pings)      127.0.0.4
//   slow       WebSockets of the ordinary user that never read        127.0.0.6
//   slowloris  requests whose headers trickle in a byte at a time     127.0.0.5
//   flood      a flood of requests with forged tokens (401, then 429) 127.0.0.3
//   oversize   headers over 16 KiB (431) and bodies over the limit (413)
//   frames     sockets sending too many messages (1008) or too big ones (1009)
//   excess     connections beyond server.max_connections (429 at once)
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>

namespace pwh {

struct options {
  std::uint16_t port = 0;
  int pid = 0;                   // the server, for RSS and open files
  std::string secret;
  std::string admin_token;       // for GET /metrics at the end
  int baseline_s = 20;
  int attack_s = 40;
  double rate = 100;             // the ordinary client's POSTs a second
  int idle = 5000;
  int slow = 50;
  int slowloris = 1000;
  int flood = 16;
  int frames = 20;
  int excess_every_s = 5;        // a burst of connections beyond the limit this often
  int excess = 300;
  int attacker_nice = 0;         // nice value of the hostile clients' thread (0: as the server)
  int client_nice = 0;           // nice value of the ordinary client's thread (a diagnosis: how much is its own wake-up)
  std::string out;               // JSON report file
};

// Counters every attack kind adds to; read by the report.
struct tally {
  std::mutex mu;
  std::map<std::string, std::uint64_t> n;
  void add(const std::string& k, std::uint64_t v = 1) {
    std::lock_guard lock(mu);
    n[k] += v;
  }
  std::map<std::string, std::uint64_t> copy() {
    std::lock_guard lock(mu);
    return n;
  }
};

// Starts every hostile kind on `ioc` (run by the caller); they go on until
// `stop` is set, then close what they hold.
void start_attacks(boost::asio::io_context& ioc, const options& o, tally& t, std::atomic<bool>& stop);

std::string token_for(const options& o, const std::string& sub);

}  // namespace pwh
