// Faults of the harness itself, with the real faultline binary: a server
// that will not start, a load balancer killed in the middle of a run, a
// load target the host cannot reach. Each run must end with exit 3, an
// error that says which service and what happened, a journal with status
// "failed", and nothing of the run left on the machine.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "journal_helpers.h"
#include "tests/skip.h"

namespace fs = std::filesystem;
using namespace faultline::testing;
using Clock = std::chrono::steady_clock;

namespace {

// A subnet no other test uses, so the firewall rule below touches only
// this test's run.
constexpr const char* kUnreachableSubnet = "10.213.251.0/24";
constexpr const char* kNftTable = "faultline_test_unreach";

// A run with stdout and stderr in separate files of `out`, and PATH
// replaced when `path_env` is given.
pid_t spawn_run(const std::vector<std::string>& argv, const std::string& out, const std::string& path_env) {
  return spawn(argv, out + "/stdout.log", out + "/faultline.log", path_env);
}

// A run that did not end by itself (a failed REQUIRE, the test's own time
// bound) is killed and what it left removed, so a failing test leaves no
// namespaces to the next.
struct RunGuard {
  pid_t pid = -1;
  std::string out;
  bool ended = false;

  int wait(std::chrono::seconds limit) {
    const int code = wait_for(pid, limit);
    ended = code != -1;
    return code;
  }
  ~RunGuard() {
    if (pid <= 0 || ended) {
      return;
    }
    if (waitpid(pid, nullptr, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    run({FAULTLINE_BINARY, "cleanup"}, out + "/cleanup.log", std::chrono::seconds(30));
  }
};

std::string write_experiment(const std::string& dir, const std::string& lb_kind,
                             const std::string& extra_stack, const std::string& load,
                             const std::string& method) {
  const std::string path = dir + "/experiment.yaml";
  std::ofstream out(path);
  out << "version: 1\n"
         "title: Harness fault with "
      << lb_kind
      << "\n"
         "stack:\n"
      << extra_stack
      << "  services:\n"
         "    lb: { kind: "
      << lb_kind
      << ", backends: [web1, web2] }\n"
         "    web1: { kind: nginx }\n"
         "    web2: { kind: nginx }\n"
         "load: { target: lb, "
      << load
      << " }\n"
         "slo:\n"
         "  window: 500ms\n"
         "  objectives:\n"
         "    - { name: availability, expr: \"error_rate < 1%\" }\n"
      << method << "expect: hold\n";
  return path;
}

// The real server binary, found as faultline would find it without our PATH.
std::string real_binary(const std::string& name) {
  for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"}) {
    const std::string p = std::string(d) + "/" + name;
    if (access(p.c_str(), X_OK) == 0) {
      return p;
    }
  }
  return {};
}

// A `name` that answers version and config checks like the real one (by
// asking it) but, started for real, fails the way a server does when its
// port is taken.
std::string write_failing_server(const std::string& dir, const std::string& name) {
  const std::string real = real_binary(name);
  REQUIRE_FALSE(real.empty());
  fs::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream out(path);
  // The flags of a check or version run (nginx's -c names its config: it
  // is not a check).
  const std::string checks = name == "haproxy" ? "-v|-vv|-V|-c" : "-v|-V|-t|-T";
  out << "#!/bin/sh\n"
         "for a in \"$@\"; do\n"
         "  case \"$a\" in "
      << checks << ") exec '" << real
      << "' \"$@\" ;; esac\n"
         "done\n"
         "echo \"[NOTICE]   (4242) : fake "
      << name
      << " for faultline's tests\" >&2\n"
         "echo \"[ALERT]    (4242) : Starting frontend main: cannot bind socket (Address already in use)\" "
         ">&2\n"
         "exit 1\n";
  out.close();
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  return dir;
}

// The pid of a run's server whose command line names its service folder.
pid_t server_pid(const std::string& run_id, const std::string& service) {
  const std::string needle = "/run/faultline/" + run_id + "/" + service + "/";
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::string cmdline = read_file(e.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) {
      return static_cast<pid_t>(std::stol(name));
    }
  }
  return -1;
}

void remove_drop_rule() {
  shell(std::string("nft delete table inet ") + kNftTable + " 2>/dev/null");
}

// A host rule that drops everything the host sends to the test subnet,
// for as long as it lives (and removed first, if a killed test left it).
struct HostDropRule {
  bool added = false;
  HostDropRule() {
    remove_drop_rule();
    const std::string t = std::string("inet ") + kNftTable;
    const std::string err =
        shell("nft add table " + t + " 2>&1 && nft add chain " + t +
              " out '{ type filter hook output priority 0 ; policy accept ; }' 2>&1 && nft add rule " + t +
              " out ip daddr " + kUnreachableSubnet + " drop 2>&1");
    INFO(err);
    added = shell("nft list table " + t + " 2>/dev/null").find("drop") != std::string::npos;
  }
  ~HostDropRule() { remove_drop_rule(); }
};

void check_nothing_left(const std::string& run_id) {
  REQUIRE_FALSE(run_id.empty());
  const std::string left = leftovers(run_id);
  INFO("left behind:\n" << left);
  CHECK(left.empty());
}

}  // namespace

TEST_CASE("a server that fails to start ends the run with exit 3, its error in the journal and nothing left",
          "[integration][harness-faults]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  // HAProxy fails as the load balancer; a failing nginx is met first as a
  // backend (backends start first).
  for (const auto& [binary, service] :
       std::vector<std::pair<std::string, std::string>>{{"haproxy", "lb"}, {"nginx", "web[12]"}}) {
    INFO("failing " << binary);
    const std::string out = fresh_out_dir("harness_faults/start_" + binary);
    const std::string bin = write_failing_server(out + "/bin", binary);
    const std::string exp = write_experiment(out, "haproxy", "", "rate: 100/s, duration: 3s", "");
    const char* path = std::getenv("PATH");
    RunGuard guard{spawn_run({FAULTLINE_BINARY, "run", exp, "--out", out}, out,
                             bin + ":" + (path != nullptr ? path : "/usr/bin:/bin")),
                   out};
    const auto t0 = Clock::now();
    const int code = guard.wait(std::chrono::seconds(60));
    const double took = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::string err = read_file(out + "/faultline.log");
    INFO("stderr:\n" << err << "\nstdout:\n" << read_file(out + "/stdout.log"));
    CHECK(code == 3);
    CHECK(took < 15);
    // stderr names the service, what failed and the server's own words
    // (both backends fail: either may be noticed first).
    const std::regex what("service " + service + " \\(" + binary + "\\) exited with status 1 during startup");
    CHECK(std::regex_search(err, what));
    CHECK(err.find("cannot bind socket") != std::string::npos);

    const json j = json::parse(read_file(out + "/journal.json"));
    CHECK(j["status"] == "failed");
    REQUIRE(j["error"].is_string());
    CHECK(std::regex_search(j["error"].get<std::string>(), what));
    CHECK(j["error"].get<std::string>().find("cannot bind socket") != std::string::npos);
    REQUIRE(j["failure"].is_object());
    CHECK(j["failure"]["stage"] == "bring-up");
    CHECK(j["load"]["requests"] == 0);
    CHECK(fs::exists(out + "/postmortem.md"));
    check_nothing_left(j["run_id"].get<std::string>());
  }
}

TEST_CASE("a load balancer killed mid-run ends the run at once, failed, reverted and with nothing left",
          "[integration][harness-faults]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  for (const std::string lb_kind : {"haproxy", "nginx"}) {
    INFO("load balancer: " << lb_kind);
    const std::string out = fresh_out_dir("harness_faults/killed_" + lb_kind);
    // A fault is in force when the load balancer dies: it must be reverted.
    const std::string exp =
        write_experiment(out, lb_kind, "", "rate: 200/s, connections: 8, timeout: 1s, duration: 8s",
                         "method:\n  - { at: 500ms, fault: latency, target: web1, "
                         "params: { delay: 20ms } }\n");
    RunGuard guard{spawn_run({FAULTLINE_BINARY, "run", exp, "--out", out}, out, ""), out};
    const std::string log = out + "/faultline.log";
    const bool injected = wait_for_text(log, "injected latency on web1", std::chrono::seconds(20));
    INFO("stderr:\n" << read_file(log));
    REQUIRE(injected);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const std::string run_id = run_id_from_log(log);
    REQUIRE_FALSE(run_id.empty());
    const pid_t lb = server_pid(run_id, "lb");
    REQUIRE(lb > 0);

    const auto killed_wall = std::chrono::system_clock::now();
    const auto t0 = Clock::now();
    REQUIRE(kill(lb, SIGKILL) == 0);
    const bool noticed = wait_for_text(log, "run " + run_id + ": failed:", std::chrono::seconds(5));
    const double notice_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const int code = guard.wait(std::chrono::seconds(30));
    const double exit_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::string err = read_file(log);
    INFO("stderr:\n" << err << "\nnoticed after " << notice_s << " s, exited after " << exit_s << " s");
    CHECK(noticed);
    CHECK(notice_s < 1.0);
    CHECK(exit_s < 2.0);
    CHECK(code == 3);
    const std::string what =
        "service lb (" + lb_kind + ", pid " + std::to_string(lb) + ") was killed by signal 9";
    CHECK(err.find(what) != std::string::npos);

    const json j = json::parse(read_file(out + "/journal.json"));
    CHECK(j["status"] == "failed");
    REQUIRE(j["error"].is_string());
    CHECK(j["error"].get<std::string>().find(what) != std::string::npos);
    REQUIRE(j["failure"].is_object());
    CHECK(j["failure"]["stage"] == "run");
    CHECK(j["failure"]["service"] == "lb");
    // When it happened, on the journal's clock: within the 0.1 s watch
    // (and a little scheduling) after the kill.
    const double start_ms = j["start"]["epoch_ms"].get<double>();
    const double failed_at_ms = start_ms + 1000 * j["failure"]["t"].get<double>();
    const double killed_ms =
        double(std::chrono::duration_cast<std::chrono::milliseconds>(killed_wall.time_since_epoch()).count());
    CHECK(failed_at_ms >= killed_ms - 20);
    CHECK(failed_at_ms <= killed_ms + 500);
    // On the postmortem's timeline as a service event.
    REQUIRE(j["service_events"].size() == 1);
    CHECK(j["service_events"][0]["service"] == "lb");
    CHECK(j["service_events"][0]["event"] == "died");
    CHECK(j["service_events"][0]["text"].get<std::string>().find("killed by signal 9") != std::string::npos);
    CHECK(j["service_events"][0]["t"].get<double>() == Approx(j["failure"]["t"].get<double>()).margin(0.05));
    // The load stopped there, and the fault in force was reverted.
    CHECK(j["load"]["ran_s"].get<double>() < 4.0);
    REQUIRE(j["activities"].size() == 1);
    CHECK(j["activities"][0]["status"] == "reverted");
    CHECK(j["activities"][0]["error"].is_null());
    // The postmortem says the harness stopped the run, not the fault.
    const std::string postmortem = read_file(out + "/postmortem.md");
    INFO(postmortem);
    CHECK(postmortem.find("**lb died**") != std::string::npos);
    CHECK(postmortem.find("Run stopped by a harness failure") != std::string::npos);
    CHECK(postmortem.find("lb crashed") == std::string::npos);
    check_nothing_left(run_id);
  }
}

TEST_CASE("a load target the host cannot reach fails the bring-up with the cause and leaves nothing",
          "[integration][harness-faults]") {
  if (!is_root()) {
    FAULTLINE_SKIP("needs root for network namespaces (CI runs as root)");
  }
  const std::string out = fresh_out_dir("harness_faults/unreachable");
  const std::string exp = write_experiment(
      out, "haproxy", std::string("  subnet: ") + kUnreachableSubnet + "\n", "rate: 100/s, duration: 3s", "");
  std::string run_id;
  {
    HostDropRule rule;
    REQUIRE(rule.added);
    RunGuard guard{spawn_run({FAULTLINE_BINARY, "run", exp, "--out", out}, out, ""), out};
    const auto t0 = Clock::now();
    const int code = guard.wait(std::chrono::seconds(60));
    const double took = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::string err = read_file(out + "/faultline.log");
    INFO("stderr:\n" << err << "\nexited after " << took << " s");
    CHECK(code == 3);
    CHECK(took < 10);
    const std::string what =
        "the load balancer lb answers inside its namespace but not from the host at 10.213.251.";
    const std::string hint =
        std::string("check the host's firewall (nft list ruleset, iptables -S) for ") + kUnreachableSubnet;
    CHECK(err.find(what) != std::string::npos);
    CHECK(err.find(hint) != std::string::npos);

    const json j = json::parse(read_file(out + "/journal.json"));
    CHECK(j["status"] == "failed");
    REQUIRE(j["error"].is_string());
    CHECK(j["error"].get<std::string>().find(what) != std::string::npos);
    CHECK(j["error"].get<std::string>().find(hint) != std::string::npos);
    REQUIRE(j["failure"].is_object());
    CHECK(j["failure"]["stage"] == "bring-up");
    run_id = j["run_id"].get<std::string>();
  }
  CHECK(shell(std::string("nft list tables 2>/dev/null | grep -c ") + kNftTable + " || true") == "0\n");
  check_nothing_left(run_id);
}
