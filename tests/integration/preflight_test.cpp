// The preflight on the real machine: a run that lacks something is refused
// with the item, its fix and exit 6, before anything is made; `faultline
// doctor` reports the same checks.

#include <filesystem>

#include "journal_helpers.h"

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
    WARN("skipped: needs root to drop to another user (CI runs as root)");
    return;
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
