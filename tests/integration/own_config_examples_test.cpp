// The examples of experiments/own-config/: a team's own HAProxy and nginx
// configs and its API program, each drill reproducing a broken-upstream
// incident on the team's config (`expect: breach`) and its fixed twin,
// whose only change is the corrected config file, holding the SLOs through
// the same fault; `faultline compare` on each pair says the fix holds. The
// team's files are the same bytes after the runs.

#include <catch2/catch.hpp>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string example(const std::string& name) {
  return std::string(FAULTLINE_SOURCE_DIR) + "/experiments/own-config/" + name;
}

std::string out_dir(const std::string& name) {
  return std::string(FAULTLINE_BINARY_DIR) + "/test-output/own-config/" + name;
}

json run_example(const std::string& name) {
  const std::string out = fresh_out_dir("own-config/" + name);
  const int code = run({FAULTLINE_BINARY, "run", example(name + ".yaml"), "--out", out},
                       out + "/faultline.log", std::chrono::seconds(90));
  INFO(name << " log:\n" << read_file(out + "/faultline.log"));
  REQUIRE(code == 0);
  const json j = json::parse(read_file(out + "/journal.json"));
  CHECK(j["status"] == "completed");
  CHECK(j["activities"][0]["status"] == "reverted");
  CHECK(leftovers(j["run_id"].get<std::string>()).empty());
  return j;
}

double failed_share(const json& phase) {
  const double requests = phase["requests"].get<double>();
  return requests > 0 ? phase["errors"].get<double>() / requests : 0.0;
}

// The drill, its fixed twin and `compare` on the pair.
void check_pair(const std::string& drill, const std::vector<std::string>& team_files) {
  std::vector<std::string> before;
  for (const auto& f : team_files) {
    before.push_back(read_file(example(f)));
  }
  const json incident = run_example(drill);
  // A dead server keeps half the API traffic, all of which fails.
  CHECK(failed_share(journal_phase(incident, "fault")) == Approx(0.5).margin(0.1));
  CHECK(failed_share(journal_phase(incident, "recovery")) == 0.0);

  const json fixed = run_example(drill + ".fixed");
  CHECK(journal_phase(fixed, "fault")["errors"].get<double>() <= 2);
  for (const auto& o : fixed["slo"]["objectives"]) {
    INFO(o["name"]);
    CHECK(o["breached"] == false);
  }

  const std::string report = out_dir(drill) + ".compare.md";
  const int code = run({FAULTLINE_BINARY, "compare", out_dir(drill) + "/journal.json",
                        out_dir(drill + ".fixed") + "/journal.json", "-o", report},
                       out_dir(drill) + ".compare.log", std::chrono::seconds(30));
  INFO(read_file(out_dir(drill) + ".compare.log") << read_file(report));
  CHECK(code == 0);
  CHECK(read_file(report).find("The fix holds") != std::string::npos);
  for (size_t i = 0; i < team_files.size(); ++i) {
    INFO(team_files[i]);
    CHECK(read_file(example(team_files[i])) == before[i]);
  }
}

}  // namespace

TEST_CASE(
    "own-config: the team's HAProxy config loses half the API requests when a server dies, and the fixed "
    "config holds",
    "[integration][own][examples]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  check_pair("haproxy-api-down", {"haproxy/haproxy.cfg", "haproxy/haproxy.fixed.cfg", "web/nginx.conf"});
}

TEST_CASE(
    "own-config: the team's nginx config answers 502 for a dead server's share, and the fixed config holds",
    "[integration][own][examples]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  check_pair("nginx-api-down", {"nginx/nginx.conf", "nginx/nginx.fixed.conf", "nginx/conf.d/static.conf"});
}
