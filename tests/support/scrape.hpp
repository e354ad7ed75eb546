// Reading a node's metrics in tests: the exposition by sample, and running
// promtool (or any command) with its output.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "http.hpp"

namespace pwtest {

// Exit code and what the command printed (stdout and stderr).
std::pair<int, std::string> run_command(const std::string& cmd);
// GET /metrics with `admin`; checks the status and the content type.
std::string metrics_text(http& c, const std::string& admin);
// "name{labels}" -> value, for every sample of an exposition.
std::map<std::string, double> samples(const std::string& text);
// The sample's value; fails the test when it is missing.
double at(const std::map<std::string, double>& m, const std::string& key);
// Sum of every sample of `name` whose labels contain all of `having`.
double sum_of(const std::map<std::string, double>& m, const std::string& name, const std::vector<std::string>& having = {});

}  // namespace pwtest
