// pw-loadgen: the C++ twin of the BullMQ anchor's loadgen.js (same options,
// texts, checks and report), for Pipewright's API or the anchor's contract.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <boost/json.hpp>

#include "options.hpp"
#include "run.hpp"

namespace {

// JSON text with plain decimal numbers ("12.5", not boost's "1.25E1"); a
// figure that could not be computed (nothing completed: 0/0) is null, since
// JSON has no inf or nan.
void write_json(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_: {
      if (!std::isfinite(v.get_double())) {
        out += "null";
        break;
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", v.get_double());
      out += buf;
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::value(kv.key()));
        out += ':';
        write_json(out, kv.value());
      }
      out += '}';
      break;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(out, e);
      }
      out += ']';
      break;
    }
    default: out += boost::json::serialize(v);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int code = 1;
  auto opt = pwlg::parse_options(argc, argv, &code);
  if (!opt) return code;
  // Whatever happens, stop: the run is bounded by --timeout, this by a minute more.
  const auto hard_stop = std::chrono::duration<double>(opt->timeout_s + opt->grace_s + 60);
  std::thread([hard_stop] {
    std::this_thread::sleep_for(hard_stop);
    std::fputs("[pw-loadgen] hard timeout\n", stderr);
    _exit(4);
  }).detach();
  try {
    auto report = pwlg::run(*opt);
    std::string text;
    write_json(text, report);
    if (!opt->out.empty()) std::ofstream(opt->out) << text << "\n";
    std::cout << text << std::endl;
    return report.at("ok").as_bool() ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[pw-loadgen] fatal: %s\n", e.what());
    return 1;
  }
}
