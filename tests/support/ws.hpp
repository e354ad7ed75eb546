// A WebSocket client for tests: connects to /api/v1/ws, collects every JSON
// frame on a background thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace pwtest {

struct ws_options {
  std::optional<std::uint64_t> since;
  bool token_in_header = false;
  std::string extra_query;  // e.g. "&admins_since=0"
  // Text messages written right after the handshake, before frames are read
  // (the client reads on its own thread; writes would race with it later).
  std::vector<std::string> send_first;
  bool send_first_binary = false;  // send them as binary frames
};

class ws_client {
 public:
  ws_client(std::uint16_t port, const std::string& token, ws_options opts = {});
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  bool connected() const;
  int handshake_status() const;  // HTTP status of a refused upgrade
  std::vector<boost::json::object> frames() const;
  // When each frame arrived (ms since the epoch, system clock), in frames() order.
  std::vector<std::int64_t> received_ms() const;
  std::size_t count() const;
  // Waits until pred(frames) holds; false on timeout or when the socket closed first.
  bool wait_for(const std::function<bool(const std::vector<boost::json::object>&)>& pred,
                std::chrono::milliseconds timeout);
  bool closed() const;
  std::optional<int> close_code() const;
  // Stops reading frames without a clean close (like a vanished client).
  void drop();
  // Pauses reading so the server's send queue fills (a slow consumer).
  void pause_reading(bool paused);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace pwtest
