#include "assets.hpp"

#include <csignal>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

extern char** environ;

namespace pwtest {

namespace {

std::string images_dir() { return std::string(PW_TEST_DATA_DIR) + "/images"; }

std::string str(const boost::json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string image_bytes(const std::string& relative) {
  std::ifstream in(images_dir() + "/" + relative, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read tests/data/images/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<labelled_image> labelled_images() {
  std::ifstream in(images_dir() + "/labels.jsonl");
  std::vector<labelled_image> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto o = boost::json::parse(line).as_object();
    labelled_image l{str(o, "file"), str(o, "category"), str(o, "brand"), str(o, "model"), str(o, "variant"), str(o, "split"), {}};
    l.bytes = image_bytes(l.file);
    out.push_back(std::move(l));
  }
  return out;
}

response upload(http& c, const std::string& token, const std::string& bytes, const std::string& category,
                const std::map<std::string, std::string>& fields, const std::string& filename, const std::string& path,
                const std::map<std::string, std::string>& headers) {
  auto f = fields;
  if (!category.empty()) f["category"] = category;
  return c.post_form(path, token, f, {{"image", filename, "image/jpeg", bytes}}, headers);
}

std::string upload_ok(http& c, const std::string& token, const std::string& bytes, const std::string& category,
                      const std::map<std::string, std::string>& fields) {
  auto r = upload(c, token, bytes, category, fields);
  INFO("POST /api/v1/assets -> " << r.status << " " << r.body);
  REQUIRE(r.status == 201);
  return std::string(r.json().as_object().at("assetId").as_string());
}

boost::json::object wait_asset(http& c, const std::string& token, const std::string& id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = c.get("/api/v1/assets/" + id, token);
    if (r.status == 200) {
      auto o = r.json().as_object();
      auto s = str(o, "status");
      if (s == "active" || s == "failed") return o;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

std::string worker_asset_pipeline(const std::string& worker_url, const std::string& vision_keys) {
  return "[pipelines.asset.stages.decode]\nbackend = \"image\"\nafter = []\n\n"
         "[pipelines.asset.stages.vision]\nbackend = \"worker\"\nafter = [\"decode\"]\n" +
         vision_keys + "\n[pipelines.asset.stages.vision.options]\nurl = \"" + worker_url +
         "\"\ntimeout_ms = 2000\n\n"
         "[pipelines.asset.stages.extract]\nbackend = \"image\"\nafter = [\"vision\"]\n\n"
         "[pipelines.asset.stages.duplicate]\nbackend = \"image\"\nafter = [\"extract\"]\n\n";
}

fake_worker::fake_worker(const temp_dir& dir, const std::string& args) {
  const auto port_file = dir.file("worker.port");
  std::remove(port_file.c_str());
  std::string cmd = "exec " + std::string(PW_FAKE_WORKER) + " --port-file " + port_file + " --lifetime 300 " + args;
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  // Not the test's own descriptors (see close_inherited_descriptors).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  const int rc = posix_spawn(&pid_, "/bin/sh", &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " PW_FAKE_WORKER);
  for (int i = 0; i < 500 && port_ == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    port_ = static_cast<std::uint16_t>(std::atoi(read_file(port_file).c_str()));
  }
  if (port_ == 0) throw std::runtime_error("the fake worker did not listen");
}

fake_worker::~fake_worker() {
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string fake_worker::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/analyze"; }

boost::json::object fake_worker::stats() const {
  http c(port_);
  auto r = c.get("/stats");
  return r.status == 200 ? r.json().as_object() : boost::json::object{};
}

}  // namespace pwtest
