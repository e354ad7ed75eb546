// The store on a filesystem that fills up and in a data dir that turns
// unwritable: new writes get 503 with a JSON error naming the cause, reads
// and sockets keep serving, nothing accepted is lost, and the node takes
// writes again by itself once the cause is gone.
//
// The filesystem is a tmpfs mounted by the test, or an ext4 image on a loop
// device that the kernel turns read-only after an error: that needs root.
// Where mounting is refused, the test prints why and exits 77, which ctest
// reports as skipped (SKIP_RETURN_CODE), never passed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <tuple>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

int sh(const std::string& cmd) {
  int status = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

[[noreturn]] void skip(const std::string& why) {
  std::cout << "SKIPPED: " << why << std::endl;
  std::exit(77);
}

// A filesystem mounted for one test: a tmpfs of `mb` MB.
class mounted_fs {
 public:
  mounted_fs(const temp_dir& dir, int mb) : path_(dir.file("mnt")) {
    std::filesystem::create_directories(path_);
    if (::geteuid() != 0) skip("mounting a small filesystem needs root (this test runs as uid " + std::to_string(::geteuid()) + ")");
    const int rc = sh("mount -t tmpfs -o size=" + std::to_string(mb) + "m tmpfs " + path_);
    if (rc != 0) skip("mount refused (exit " + std::to_string(rc) + "): the container may lack CAP_SYS_ADMIN or loop devices");
    mounted_ = true;
  }
  ~mounted_fs() { unmount(); }
  void unmount() {
    if (mounted_ && sh("umount " + path_) != 0) sh("umount -l " + path_);
    mounted_ = false;
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
  bool mounted_ = false;
};

std::string output_of(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// An ext4 image on a loop device, mounted with errors=remount-ro: the
// kernel turns it read-only on its own after an error (what a failing disk
// does to a running node), here caused by ext4's trigger_fs_error.
class ext4_on_loop {
 public:
  ext4_on_loop(const temp_dir& dir, int mb) : image_(dir.file("ext4.img")), path_(dir.file("mnt")) {
    std::filesystem::create_directories(path_);
    if (::geteuid() != 0) skip("mounting an ext4 image needs root (this test runs as uid " + std::to_string(::geteuid()) + ")");
    if (sh("truncate -s " + std::to_string(mb) + "M " + image_) != 0 || sh("mkfs.ext4 -q -F " + image_) != 0)
      skip("mkfs.ext4 failed (e2fsprogs missing?)");
    mount();
    device_ = output_of("findmnt -n -o SOURCE " + path_);
    const auto name = device_.substr(device_.rfind('/') + 1);
    trigger_ = "/sys/fs/ext4/" + name + "/trigger_fs_error";
    if (::access(trigger_.c_str(), W_OK) != 0) skip(trigger_ + " is missing: this kernel cannot fail an ext4 filesystem on demand");
  }
  ~ext4_on_loop() { unmount(); }
  // The kernel's answer to a filesystem error: abort the journal, refuse writes.
  void fail() {
    std::ofstream trigger(trigger_);
    trigger << "pipewright it_disk\n";
    trigger.close();
    REQUIRE(trigger.good());
  }
  // Unmounts, repairs (e2fsck) and mounts again, as an operator would.
  void repair_and_remount() {
    unmount();
    const int fsck = sh("e2fsck -fy " + image_);
    CHECK(fsck <= 1);  // 0: clean, 1: errors corrected
    mount();
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  void mount() {
    const int rc = sh("mount -o loop,errors=remount-ro " + image_ + " " + path_);
    if (rc != 0) skip("mount -o loop refused (exit " + std::to_string(rc) + "): the container may lack loop devices");
    mounted_ = true;
  }
  void unmount() {
    if (mounted_ && sh("umount " + path_) != 0) sh("umount -l " + path_);
    mounted_ = false;
  }
  std::string image_, path_, device_, trigger_;
  bool mounted_ = false;
};

// Writes 1 MiB blocks until the filesystem is full.
void fill(const std::string& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  std::string block(1 << 20, 'x');
  for (;;) {
    auto n = ::write(fd, block.data(), block.size());
    if (n <= 0) break;
  }
  std::string small(4096, 'x');
  while (::write(fd, small.data(), small.size()) > 0) {
  }
  ::fsync(fd);
  ::close(fd);
}

std::string config() {
  // A small memtable: the store needs new files soon after the disk fills;
  // a small reserve (the default is 64 MB, more than these filesystems).
  // The priority stage is slow, so items are mid-pipeline when it fills.
  return config_builder()
      .section("store", "write_buffer_mb = 1\nmin_free_mb = 4\n")
      .chaos("priority", "latency = \"fixed\"\nlatency_min_ms = 800\n")
      .str();
}

std::string big_text(int i) { return "item " + std::to_string(i) + " " + std::string(4000, 'a' + i % 26); }

// POSTs until the store refuses one; the ids it accepted before that go to `accepted`.
response post_until_refused(http& c, const std::string& token, std::vector<std::string>& accepted, int max_tries = 3000) {
  for (int i = 0; i < max_tries; ++i) {
    auto r = c.post("/api/v1/items", item_body("w", big_text(i)), token);
    if (r.status == 201) {
      accepted.push_back(std::string(r.json().as_object().at("id").as_string()));
      continue;
    }
    return r;
  }
  return {};
}

// While writes are refused: the refusal names the cause, reads and sockets serve.
void check_refusing(http& c, const std::string& token, const response& refused, const std::vector<std::string>& accepted,
                    const std::string& cause, std::uint16_t port) {
  INFO(refused.status << " " << refused.body);
  REQUIRE(refused.status == 503);
  CHECK(refused.error_code() == "STORE_FAILED");
  auto err = refused.json().as_object().at("error").as_object();
  CHECK(std::string(err.at("message").as_string()).find(cause) != std::string::npos);
  CHECK(err.at("details").as_object().at("cause").as_string() == cause);
  CHECK(!refused.header("Retry-After").empty());
  // Reads keep serving.
  for (std::size_t i = 0; i < accepted.size(); i += std::max<std::size_t>(1, accepted.size() / 20))
    CHECK(c.get("/api/v1/items/" + accepted[i], token).status == 200);
  CHECK(c.get("/api/v1/items?workspace=w&limit=20", token).status == 200);
  auto health = c.get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.body.find(cause) != std::string::npos);
  auto ready = c.get("/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.error_code() == "STORE_FAILED");
  // An action that needs a write is refused with the same cause.
  auto pause = c.post("/api/v1/items/" + accepted.back() + "/pause", "{}", token);
  CHECK((pause.status == 503 || pause.status == 409));
  // Sockets keep serving: a new one connects and gets its pong.
  ws_client s(port, token, ws_options{.send_first = {"{\"type\":\"ping\"}"}});
  REQUIRE(s.connected());
  CHECK(s.wait_for(
      [](const auto& frames) {
        for (const auto& f : frames)
          if (f.at("type").as_string() == "pong") return true;
        return false;
      },
      5s));
}

// Every accepted item completes, and the owner's socket saw each completion
// once, with seqs that never skip or repeat.
void check_all_completed(http& c, const std::string& token, const std::vector<std::string>& ids, ws_client& socket) {
  REQUIRE(wait_terminal(c, token, ids, 120s));
  for (const auto& id : ids) CHECK(status_of(c, token, id) == "completed");
  REQUIRE(socket.wait_for(
      [&](const auto& frames) {
        std::size_t done = 0;
        for (const auto& f : frames)
          if (f.at("type").as_string() == "item.completed") ++done;
        return done >= ids.size();
      },
      30s));
  std::uint64_t last = 0;
  std::map<std::string, int> completions;
  for (const auto& f : socket.frames()) {
    if (!f.contains("seq")) continue;
    auto seq = f.at("seq").to_number<std::uint64_t>();
    CHECK(seq == last + 1);
    last = seq;
    if (f.at("type").as_string() == "item.completed") ++completions[std::string(f.at("item_id").as_string())];
  }
  for (const auto& id : ids) CHECK(completions[id] == 1);
}

// Polls POST until the node accepts again; the time it took, or nullopt.
std::optional<std::chrono::milliseconds> wait_writable(http& c, const std::string& token, std::vector<std::string>& ids) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < 30s) {
    auto r = c.post("/api/v1/items", item_body("w", "after the recovery"), token);
    if (r.status == 201) {
      ids.push_back(std::string(r.json().as_object().at("id").as_string()));
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    }
    std::this_thread::sleep_for(100ms);
  }
  return std::nullopt;
}

// A node whose data dir is on a tmpfs of `mb` MB, a user's socket replaying
// from seq 0, and 20 items the node accepted.
struct node_on_tmpfs {
  temp_dir dir;
  mounted_fs fs;
  server_process srv;
  http c;
  std::string token = make_token("alice", {"w"});
  ws_client socket;
  std::vector<std::string> ids;

  explicit node_on_tmpfs(int mb)
      : fs(dir, mb), srv(dir, config(), fs.file("data")), c(started(srv)), socket(srv.port(), token, ws_options{.since = 0}) {
    REQUIRE(socket.connected());
    for (int i = 0; i < 20; ++i) ids.push_back(submit(c, token, "w", "before " + std::to_string(i)));
  }
  auto parts() { return std::tie(fs, srv, c, token, socket, ids); }

 private:
  static std::uint16_t started(server_process& s) {
    s.start();
    REQUIRE(s.wait_ready());
    return s.port();
  }
};

}  // namespace

TEST_CASE("disk full: 503 naming the cause, reads and sockets serve, nothing accepted is lost, writes resume by themselves") {
  node_on_tmpfs n(48);
  auto [fs, srv, c, token, socket, ids] = n.parts();  // references into n
  fill(fs.file("filler"));
  auto refused = post_until_refused(c, token, ids);
  INFO(ids.size() << " items accepted in all");
  check_refusing(c, token, refused, ids, "no space left on device", srv.port());
  CHECK(!socket.closed());

  std::filesystem::remove(fs.file("filler"));
  auto took = wait_writable(c, token, ids);
  REQUIRE(took);
  UNSCOPED_INFO("writes resumed " << took->count() << " ms after the space came back");
  CHECK(c.get("/readyz").status == 200);
  check_all_completed(c, token, ids, socket);
  REQUIRE(srv.terminate(10s) == 0);
  CHECK(sh(std::string(binary_path()) + " verify --data-dir " + srv.data_dir()) == 0);
}

TEST_CASE("an unwritable data dir: 503 naming the cause, reads and sockets serve, writes resume when it is writable again") {
  node_on_tmpfs n(64);
  auto [fs, srv, c, token, socket, ids] = n.parts();  // references into n

  // Immutable: no file can be created in it, by root either (what a data
  // dir that is not the server's user's to write looks like to RocksDB).
  if (sh("chattr +i " + srv.data_dir()) != 0) skip("chattr +i is refused on this filesystem (tmpfs needs Linux 6.0)");
  // (Should a check fail meanwhile, unmounting the tmpfs drops the immutable dir.)
  auto refused = post_until_refused(c, token, ids);
  INFO(ids.size() << " items accepted in all");
  check_refusing(c, token, refused, ids, "the data dir is not writable", srv.port());

  REQUIRE(sh("chattr -i " + srv.data_dir()) == 0);
  auto took = wait_writable(c, token, ids);
  REQUIRE(took);
  UNSCOPED_INFO("writes resumed " << took->count() << " ms after the dir was writable again");
  check_all_completed(c, token, ids, socket);
  REQUIRE(srv.terminate(10s) == 0);
  CHECK(sh(std::string(binary_path()) + " verify --data-dir " + srv.data_dir()) == 0);
}

TEST_CASE("a filesystem the kernel turns read-only under a running node: it keeps serving, refuses writes, and a restart after repair has every item it answered") {
  temp_dir dir;
  ext4_on_loop fs(dir, 256);
  // store.sync: an fsync before each answer. Without it the kernel may drop
  // what was not yet written back when it aborts the journal, as a power cut
  // would (the design's durability levels, docs/reliability.md).
  const auto cfg = config_builder().section("store", "sync = true\n").chaos("priority", "latency = \"fixed\"\nlatency_min_ms = 300\n").str();
  server_process srv(dir, cfg, fs.file("data"));
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice", {"w"});
  http c(srv.port());
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(submit(c, token, "w", "before " + std::to_string(i)));

  fs.fail();
  response refused;
  for (int i = 0; i < 200 && refused.status != 503; ++i) {
    auto r = c.post("/api/v1/items", item_body("w", "after the error " + std::to_string(i)), token);
    if (r.status == 201) ids.push_back(std::string(r.json().as_object().at("id").as_string()));
    else refused = r;
  }
  INFO(refused.status << " " << refused.body);
  if (refused.status != 503) {
    auto code = srv.wait_exit(std::chrono::milliseconds(500));
    FAIL_CHECK("exit " << (code ? std::to_string(*code) : std::string("none (running)")) << "\n" << srv.log());
  }
  REQUIRE(refused.status == 503);
  CHECK(refused.error_code() == "STORE_FAILED");
  const std::string cause(refused.json().as_object().at("error").as_object().at("details").as_object().at("cause").as_string());
  // The WAL append meets EROFS, or its fdatasync EIO (store.sync): either way
  // the cause says so, and that this process cannot write again.
  CHECK((cause.find("the file system is read-only") == 0 || cause.find("the disk reported an input/output error") == 0));
  CHECK(cause.find("restart the node") != std::string::npos);
  // Alive and serving reads; /healthz says why, /readyz is not ready.
  std::this_thread::sleep_for(1s);  // RocksDB logs its background error meanwhile (it used to abort the node there)
  REQUIRE(!srv.wait_exit(std::chrono::milliseconds(1)));
  for (const auto& id : ids) CHECK(c.get("/api/v1/items/" + id, token).status == 200);
  auto health = c.get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.body.find("restart the node") != std::string::npos);
  CHECK(c.get("/readyz").status == 503);
  ws_client s(srv.port(), token, ws_options{.send_first = {"{\"type\":\"ping\"}"}});
  CHECK(s.connected());
  // A clean stop still works.
  CHECK(srv.terminate(30s).has_value());

  fs.repair_and_remount();
  srv.start();
  REQUIRE(srv.wait_ready());
  http again(srv.port());
  for (const auto& id : ids) CHECK(again.get("/api/v1/items/" + id, token).status == 200);
  REQUIRE(wait_terminal(again, token, ids, 120s));
  REQUIRE(srv.terminate(10s) == 0);
  CHECK(sh(std::string(binary_path()) + " verify --data-dir " + srv.data_dir()) == 0);
}
