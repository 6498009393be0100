// The preflight on the real machine: a run that lacks something is refused
// with the item, its fix and exit 6, before anything is made; `faultline
// doctor` reports the same checks.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "journal_helpers.h"
#include "tests/skip.h"

using namespace faultline::testing;

namespace {

std::string count_of_faultline_things() {
  return shell(
      "ip netns list 2>/dev/null | grep -c '^fl-' ; ip -o link 2>/dev/null | grep -c 'flbr-\\|flv-' ; "
      "ls /tmp/faultline-preflight-registry 2>/dev/null | wc -l");
}

}  // namespace

TEST_CASE("a run without root is refused by the preflight, exit 6, and nothing is made",
          "[integration][preflight]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root to drop to another user (CI runs as root)");
  }
  const std::string out = fresh_out_dir("preflight/not-root");
  const std::string run_out = out + "/never-made";
  const std::string before = count_of_faultline_things();
  // nobody: no root, so no namespaces; the preflight must say so first.
  const int code =
      run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", FAULTLINE_BINARY, "run",
           std::string(FAULTLINE_SOURCE_DIR) + "/experiments/haproxy-weight-skew.yaml", "--out", run_out,
           "--registry", "/tmp/faultline-preflight-registry"},
          out + "/faultline.log", std::chrono::seconds(30));
  const std::string log = read_file(out + "/faultline.log");
  INFO(log);
  CHECK(code == 6);
  CHECK(log.find("faultline run: preflight: root: not root") != std::string::npos);
  CHECK(log.find("fix: run it with sudo") != std::string::npos);
  CHECK(log.find("nothing was changed") != std::string::npos);
  // Refused before the output folder, the registry or any link was made.
  CHECK_FALSE(std::filesystem::exists(run_out));
  CHECK_FALSE(std::filesystem::exists("/tmp/faultline-preflight-registry"));
  CHECK(count_of_faultline_things() == before);
}

TEST_CASE("faultline doctor prints every check and exits 0 exactly when all pass",
          "[integration][preflight]") {
  const std::string out = fresh_out_dir("preflight/doctor");
  const int code = run({FAULTLINE_BINARY, "doctor"}, out + "/doctor.log", std::chrono::seconds(60));
  const std::string log = read_file(out + "/doctor.log");
  INFO(log);
  for (const char* item : {"root", "haproxy", "nginx", "iproute2", "kernel: tbf", "kernel: nftables",
                           "kernel: netem or NFQUEUE", "open files"}) {
    CHECK(log.find(item) != std::string::npos);
  }
  const bool all_passed = log.find("checks passed") != std::string::npos;
  CHECK(code == (all_passed ? 0 : 6));
  CHECK(all_passed == (log.find("FAIL") == std::string::npos));
  if (is_root()) {
    // The kernel was probed in scratch namespaces: none is left, and no
    // probe table or rule reached the host's own namespace.
    CHECK(shell("nft list tables 2>/dev/null | grep -c faultline_probe || true") == "0\n");
    CHECK(shell("iptables-save 2>/dev/null | grep -c 'NFQUEUE --queue-num 1 ' || true") == "0\n");
  }
}

TEST_CASE("an old HAProxy and a low open-files limit are each refused with their fix, exit 6, nothing made",
          "[integration][preflight]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root, so that only the item under test is missing (CI runs as root)");
  }
  const std::string out = fresh_out_dir("preflight/items");
  const std::string experiment = std::string(FAULTLINE_SOURCE_DIR) + "/experiments/haproxy-weight-skew.yaml";
  // A haproxy first in PATH that says it is 1.8.
  const std::string fake_dir = out + "/fake-bin";
  std::filesystem::create_directories(fake_dir);
  {
    std::ofstream script(fake_dir + "/haproxy");
    script << "#!/bin/sh\necho 'HAProxy version 1.8.30-1 2021/04/12 - https://haproxy.org/'\n";
  }
  std::filesystem::permissions(fake_dir + "/haproxy", std::filesystem::perms::owner_all);
  const char* path = std::getenv("PATH");
  const std::string fake_path = "PATH=" + fake_dir + ":" + (path != nullptr ? path : "/usr/bin:/bin");

  struct Case {
    std::string name;
    std::vector<std::string> prefix;  // what the run is started under
    std::string found;
    std::string fix;
  };
  const std::vector<Case> cases = {
      {"old-haproxy",
       {"/usr/bin/env", fake_path},
       "faultline run: preflight: haproxy: " + fake_dir + "/haproxy 1.8",
       "fix: faultline needs haproxy 2.0 or newer"},
      {"open-files",
       {"/usr/bin/prlimit", "--nofile=256:256"},
       "faultline run: preflight: open files: limit 256",
       "fix: raise it: ulimit -n"},
  };
  const std::string before = count_of_faultline_things();
  for (const auto& c : cases) {
    const std::string run_out = out + "/" + c.name + "/never-made";
    std::vector<std::string> argv = c.prefix;
    for (const std::string& a :
         {std::string(FAULTLINE_BINARY), std::string("run"), experiment, std::string("--out"), run_out,
          std::string("--registry"), std::string("/tmp/faultline-preflight-registry")}) {
      argv.push_back(a);
    }
    const std::string log_path = out + "/" + c.name + ".log";
    const int code = run(argv, log_path, std::chrono::seconds(60));
    const std::string log = read_file(log_path);
    INFO(c.name << ":\n" << log);
    CHECK(code == 6);
    CHECK(log.find(c.found) != std::string::npos);
    CHECK(log.find(c.fix) != std::string::npos);
    // Only that item: every other check passed.
    CHECK(std::count(log.begin(), log.end(), '\n') == 3);
    CHECK(log.find("nothing was changed") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out + "/" + c.name));
    CHECK_FALSE(std::filesystem::exists("/tmp/faultline-preflight-registry"));
    CHECK(count_of_faultline_things() == before);
  }
}
