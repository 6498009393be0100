// Measures, per fault family, how long after a step's scheduled `at` the
// fault shows in the traffic, and how long after its scheduled revert
// (`at + duration`) the traffic is back to normal.
//
// Each family is one short experiment in bench/experiments/ (HAProxy LB and
// two nginx backends). The bench runs the faultline binary built next to it
// on each experiment, once with HAProxy as the LB and once with nginx
// (`--set stack.services.lb.kind=nginx`) when the fault applies to both, and
// reads the per-request samples (requests.csv) and the journal. Everything is
// judged from the requests as the load generator saw them, by their send
// time: a request is a sample of the system's state when it left, so the
// figures cannot be finer than the gap between two requests of the stream a
// metric looks at (the resolution column).
//
// The faultline runs clean up after themselves; the bench checks that no
// `fl-` network namespace is left at the end and says so if one is.
//
// Why one file of this length: a benchmark is audited as a whole (what it
// starts, what it measures against which peer, how it prints the ratio), and
// bench/CMakeLists.txt builds each file as its own program; split, a reader
// would chase one measurement across files.
#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifndef FAULTLINE_BINARY
#error "FAULTLINE_BINARY must name the faultline executable (set by bench/CMakeLists.txt)"
#endif
#ifndef FAULT_TIMING_EXPERIMENTS
#error "FAULT_TIMING_EXPERIMENTS must name bench/experiments (set by bench/CMakeLists.txt)"
#endif

namespace faultline::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::atomic<bool> g_interrupted{false};

void on_signal(int /*sig*/) {
  g_interrupted = true;
}

// ---------------------------------------------------------------------------
// What is measured

// How a family's effect and recovery are read from the requests.
enum class Metric {
  // A backend leaves the rotation: effect = the last request it answers
  // after `at`; recovery = the first one it answers after the revert.
  backend_gone,
  // Requests fail: effect = the first failed request sent after `at`;
  // recovery = the request after the last failure, from the revert.
  failures,
  // Requests slow down or hang: as `failures`, with "failed, or service
  // time above the baseline p99 + kSlowMarginMs" in place of "failed". For
  // a hang (partition, pause) too: a request sent less than the client
  // timeout before the revert does not fail, it waits for the revert;
  // counting it puts the recovery where service is normal again.
  failed_or_slow,
  // A backend dies for good and the LB's health checks take it out: effect
  // as `failures`; recovery = the last failure, from `at` (no revert).
  failures_until_out,
};

constexpr double kSlowMarginMs = 25.0;
// Requests in the first second warm up connections; the baseline skips them.
constexpr double kBaselineFromS = 1.0;

struct Family {
  std::string family;  // what --family selects
  std::string fault;   // the fault type, as in the experiment
  std::string file;    // in bench/experiments/
  Metric metric;
  std::string backend;  // the backend the fault hits (one request in two), empty: all requests
  bool nginx_peer;      // also run with nginx as the LB
  std::string mechanism_haproxy;
  std::string mechanism_nginx;
};

const std::vector<Family>& families() {
  static const std::vector<Family> list = {
      {"lb-runtime", "lb_maintenance", "lb_runtime_api.yaml", Metric::backend_gone, "web2", true,
       "runtime API", "reload"},
      {"lb-reload", "http_abort", "lb_reload.yaml", Metric::failures, "", true, "reload", "reload"},
      {"net-delay", "latency", "net_delay.yaml", Metric::failed_or_slow, "web1", true, "", ""},
      {"nft", "partition", "nft_partition.yaml", Metric::failed_or_slow, "web1", true, "nftables drop",
       "nftables drop"},
      {"tc", "bandwidth", "tc_bandwidth.yaml", Metric::failed_or_slow, "web1", true, "tc tbf", "tc tbf"},
      {"process", "kill", "process_kill.yaml", Metric::failures_until_out, "web1", true, "SIGKILL",
       "SIGKILL"},
      {"process", "pause", "process_pause.yaml", Metric::failed_or_slow, "web1", true, "SIGSTOP/SIGCONT",
       "SIGSTOP/SIGCONT"},
      {"http", "http_delay", "http_delay.yaml", Metric::failed_or_slow, "", true, "reload (Lua)",
       "reload (echo)"},
  };
  return list;
}

// ---------------------------------------------------------------------------
// Reading a run

struct Request {
  double sent_s = 0;
  double service_ms = 0;
  int status = 0;
  std::string error;
  std::string backend;

  bool failed() const { return error != "none" || status == 0 || status >= 500; }
};

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) {
    out.push_back(field);
  }
  return out;
}

// requests.csv: intended_s,sent_s,done_s,latency_ms,service_ms,status,error,backend,user
std::optional<std::vector<Request>> read_requests(const fs::path& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);  // header
  std::vector<Request> out;
  while (std::getline(in, line)) {
    const auto f = split(line, ',');
    if (f.size() < 8) {
      continue;
    }
    Request r;
    r.sent_s = std::stod(f[1]);
    r.service_ms = std::stod(f[4]);
    r.status = std::stoi(f[5]);
    r.error = f[6];
    r.backend = f[7];
    out.push_back(std::move(r));
  }
  // The CSV is in intended order; a request held back by a busy connection
  // can leave after a later one. Everything here is judged by send time.
  std::stable_sort(out.begin(), out.end(),
                   [](const Request& a, const Request& b) { return a.sent_s < b.sent_s; });
  return out;
}

// One run of one experiment on one LB kind.
struct Sample {
  bool ok = false;
  std::string error;                // why the run is not usable
  std::optional<double> effect_ms;  // nullopt: the effect never showed
  std::optional<double> recovery_ms;
  std::optional<double> affected;  // requests that failed (or were slow) from `at` on
  double resolution_ms = 0;        // gap between two requests of the watched stream
  double inject_lag_ms = 0;        // inject returned - at: the harness applying the fault
  std::optional<double> revert_lag_ms;
  std::string mechanism;
};

// Shortens the mechanism the journal records for a packet fault
// ("faultline's NFQUEUE packet delayer (kernel has no sch_netem ...)").
// Journals written before activities had `mechanism` named it at the end of
// the description ("..., by faultline's NFQUEUE ..."), so that is read too.
std::string short_mechanism(const json& activity) {
  const std::string text = activity.contains("mechanism") && activity["mechanism"].is_string()
                               ? activity["mechanism"].get<std::string>()
                               : activity.value("description", "");
  if (text.find("NFQUEUE") != std::string::npos) {
    return "NFQUEUE delayer";
  }
  if (text.find("netem") != std::string::npos) {
    return "netem";
  }
  return "?";
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Effect and recovery for `bad`-style metrics: the first bad request sent at
// or after `at`, and the request right after the last bad one.
template <typename Bad>
void first_and_after_last(const std::vector<Request>& reqs, double at, double revert, bool from_revert,
                          const Bad& bad, Sample& s) {
  std::optional<size_t> first;
  std::optional<size_t> last;
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (reqs[i].sent_s < at || !bad(reqs[i])) {
      continue;
    }
    if (!first) {
      first = i;
    }
    last = i;
  }
  if (!first) {
    return;
  }
  s.effect_ms = (reqs[*first].sent_s - at) * 1e3;
  s.affected =
      static_cast<double>(std::count_if(reqs.begin() + static_cast<std::ptrdiff_t>(*first), reqs.end(), bad));
  if (!from_revert) {
    // failures_until_out: the last failure itself, from `at`.
    s.recovery_ms = (reqs[*last].sent_s - at) * 1e3;
  } else if (*last + 1 < reqs.size()) {
    s.recovery_ms = (reqs[*last + 1].sent_s - revert) * 1e3;
  }
}

Sample measure(const Family& fam, const fs::path& run_dir, const std::string& lb_kind) {
  Sample s;
  std::ifstream jin(run_dir / "journal.json");
  if (!jin) {
    s.error = "no journal.json";
    return s;
  }
  json journal;
  try {
    journal = json::parse(jin);
  } catch (const json::exception& e) {
    s.error = fmt::format("journal.json: {}", e.what());
    return s;
  }
  if (journal.value("status", "") != "completed") {
    s.error = fmt::format("run {}: {}", journal.value("status", "?"),
                          journal["error"].is_string() ? journal["error"].get<std::string>() : "");
    return s;
  }
  const auto& acts = journal["activities"];
  if (!acts.is_array() || acts.empty()) {
    s.error = "journal has no activity";
    return s;
  }
  const auto& act = acts[0];
  if (act.value("status", "") == "failed" || act["injected_s"].is_null()) {
    s.error =
        fmt::format("fault failed: {}", act["error"].is_string() ? act["error"].get<std::string>() : "");
    return s;
  }
  // `at` and `duration` as planned (the experiment as run, parsed by faultline).
  const double at = act["planned_at_s"].get<double>();
  const bool has_duration = act["planned_duration_s"].is_number();
  const double revert = has_duration ? at + act["planned_duration_s"].get<double>() : 0;
  // injected_s is when inject() was called; it returned inject_took_ms later.
  s.inject_lag_ms = (act["injected_s"].get<double>() + act.value("inject_took_ms", 0.0) / 1e3 - at) * 1e3;
  if (has_duration && act["reverted_s"].is_number()) {
    s.revert_lag_ms = (act["reverted_s"].get<double>() - revert) * 1e3;
  }
  s.mechanism = lb_kind == "nginx" ? fam.mechanism_nginx : fam.mechanism_haproxy;
  if (s.mechanism.empty()) {
    s.mechanism = short_mechanism(act);
  }

  auto reqs = read_requests(run_dir / "requests.csv");
  if (!reqs || reqs->empty()) {
    s.error = "no requests.csv (was --samples passed?)";
    return s;
  }
  const double load_s = journal["load"]["duration_s"].get<double>();
  // The watched stream: a per-backend metric sees one request in two.
  const double share = fam.backend.empty() ? 1.0 : 0.5;
  s.resolution_ms = 1e3 * load_s / (static_cast<double>(reqs->size()) * share);

  switch (fam.metric) {
    case Metric::backend_gone: {
      std::optional<double> last_before_revert;
      std::optional<double> first_after_revert;
      for (const auto& r : *reqs) {
        if (r.backend != fam.backend) {
          continue;
        }
        if (r.sent_s < revert) {
          last_before_revert = r.sent_s;
        } else if (!first_after_revert) {
          first_after_revert = r.sent_s;
        }
      }
      // The last request the backend answered may precede `at` by less than
      // the resolution: then the effect reads negative, and that is the truth
      // of the samples.
      if (last_before_revert) {
        s.effect_ms = (*last_before_revert - at) * 1e3;
      }
      if (first_after_revert) {
        s.recovery_ms = (*first_after_revert - revert) * 1e3;
      }
      break;
    }
    case Metric::failures:
      first_and_after_last(
          *reqs, at, revert, true, [](const Request& r) { return r.failed(); }, s);
      break;
    case Metric::failures_until_out:
      first_and_after_last(
          *reqs, at, revert, false, [](const Request& r) { return r.failed(); }, s);
      break;
    case Metric::failed_or_slow: {
      std::vector<double> base;
      for (const auto& r : *reqs) {
        if (r.sent_s >= kBaselineFromS && r.sent_s < at && !r.failed()) {
          base.push_back(r.service_ms);
        }
      }
      const double threshold = percentile(base, 0.99) + kSlowMarginMs;
      first_and_after_last(
          *reqs, at, revert, true,
          [threshold](const Request& r) { return r.failed() || r.service_ms > threshold; }, s);
      break;
    }
  }
  s.ok = true;
  return s;
}

// ---------------------------------------------------------------------------
// Running faultline

// Runs faultline with its output in `log`; returns its exit status, or -1
// when it could not be started or died by a signal.
int run_faultline(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(FAULTLINE_BINARY));
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    return -1;
  }
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f != nullptr) {
      dup2(fileno(f), STDOUT_FILENO);
      dup2(fileno(f), STDERR_FILENO);
    }
    execv(FAULTLINE_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  bool forwarded = false;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
    // A terminal's Ctrl-C reaches faultline too; a SIGTERM sent to the bench
    // alone is passed on, so faultline reverts and tears its stack down.
    if (g_interrupted && !forwarded) {
      kill(pid, SIGTERM);
      forwarded = true;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---------------------------------------------------------------------------
// Summarising

struct Stat {
  std::optional<double> median;
  std::optional<double> max;
  size_t seen = 0;  // reps where the value exists
};

Stat stat_of(std::vector<double> v) {
  Stat st;
  st.seen = v.size();
  if (v.empty()) {
    return st;
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  st.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  st.max = v.back();
  return st;
}

struct Row {
  const Family* fam = nullptr;
  std::string lb_kind;
  std::vector<Sample> samples;
};

std::string cell(const Stat& st, size_t reps, const char* never) {
  if (!st.median) {
    return never;
  }
  std::string text = fmt::format("{:.1f} / {:.1f}", *st.median, *st.max);
  if (st.seen < reps) {
    text += fmt::format(" ({}/{})", st.seen, reps);
  }
  return text;
}

// A median within one request gap of zero is "at once, as far as the
// samples tell": dividing by it would print noise as a ratio.
std::string ratio(const Stat& nginx, const Stat& haproxy, double resolution_ms) {
  if (!nginx.median || !haproxy.median || *haproxy.median < resolution_ms || *nginx.median < resolution_ms) {
    return "-";
  }
  return fmt::format("{:.2f}", *nginx.median / *haproxy.median);
}

void print_table(const std::vector<Row>& rows, int reps) {
  std::map<std::pair<const Family*, std::string>, std::pair<Stat, Stat>> stats;
  for (const auto& row : rows) {
    std::vector<double> eff;
    std::vector<double> rec;
    for (const auto& s : row.samples) {
      if (s.ok && s.effect_ms) {
        eff.push_back(*s.effect_ms);
      }
      if (s.ok && s.recovery_ms) {
        rec.push_back(*s.recovery_ms);
      }
    }
    stats[{row.fam, row.lb_kind}] = {stat_of(eff), stat_of(rec)};
  }

  fmt::print("\n{:<11} {:<15} {:<18} {:<8} {:>7} {:>8} {:>8} {:>6} {:>24} {:>24} {:>13}\n", "family", "fault",
             "mechanism", "LB", "res ms", "inj ms", "rev ms", "n bad", "effect-after-at med/max",
             "recovery med/max", "nginx/haproxy");
  fmt::print("{:-<153}\n", "");
  for (const auto& row : rows) {
    const auto& [eff, rec] = stats[{row.fam, row.lb_kind}];
    std::vector<double> res;
    std::vector<double> inj;
    std::vector<double> rev;
    std::vector<double> bad;
    std::string mechanism;
    std::vector<std::string> errors;
    for (const auto& s : row.samples) {
      if (!s.ok) {
        errors.push_back(s.error);
        continue;
      }
      res.push_back(s.resolution_ms);
      inj.push_back(s.inject_lag_ms);
      if (s.revert_lag_ms) {
        rev.push_back(*s.revert_lag_ms);
      }
      if (s.affected) {
        bad.push_back(*s.affected);
      }
      mechanism = s.mechanism;
    }
    if (res.empty()) {
      fmt::print("{:<11} {:<15} {:<18} {:<8} all {} runs failed: {}\n", row.fam->family, row.fam->fault, "-",
                 row.lb_kind, row.samples.size(), errors.empty() ? "" : errors.front());
      continue;
    }
    const auto num = [](const Stat& st) { return st.median ? fmt::format("{:.1f}", *st.median) : "-"; };
    std::string peer = "";
    if (row.lb_kind == "nginx") {
      const auto it = stats.find({row.fam, "haproxy"});
      if (it != stats.end()) {
        const double r = *stat_of(res).median;
        peer = fmt::format("{} / {}", ratio(eff, it->second.first, r), ratio(rec, it->second.second, r));
      }
    }
    const bool from_at = row.fam->metric == Metric::failures_until_out;
    std::string rec_cell = cell(rec, res.size(), "never");
    if (from_at && rec.median) {
      rec_cell += " *";
    }
    const auto bad_stat = stat_of(bad);
    const std::string bad_cell = bad_stat.median ? fmt::format("{:.0f}", *bad_stat.median) : "-";
    fmt::print("{:<11} {:<15} {:<18} {:<8} {:>7} {:>8} {:>8} {:>6} {:>24} {:>24} {:>13}\n", row.fam->family,
               row.fam->fault, mechanism, row.lb_kind, num(stat_of(res)), num(stat_of(inj)),
               num(stat_of(rev)), bad_cell, cell(eff, res.size(), "none"), rec_cell, peer);
    for (const auto& e : errors) {
      fmt::print("{:<11}   a run failed: {}\n", "", e);
    }
  }
  fmt::print(
      "\n{} rep(s) per row. Times in ms, by each request's send time; a figure cannot be finer than "
      "'res ms',\n"
      "the mean gap between two requests of the stream the metric watches (all requests, or one backend's "
      "half).\n"
      "inj ms / rev ms: how long after the scheduled time faultline's inject / revert call returned "
      "(median).\n"
      "n bad: requests sent from the first affected one on that failed (or were slow), median.\n"
      "effect-after-at: first failed or slow (> baseline p99 + {:.0f} ms) request sent after `at`; "
      "lb_maintenance:\n"
      "  the last request web2 answered (negative: it was before `at`, within the resolution).\n"
      "recovery: from `at + duration` to the request after the last failed/slow one; lb_maintenance: "
      "the first\n"
      "  request web2 answered. '*' (kill, no revert): the last failed request, from `at`: how long the LB "
      "kept\n"
      "  sending to the dead server. 'none'/'never': not seen in any rep; (k/N): seen in k of N reps.\n"
      "nginx/haproxy: ratio of the medians, effect / recovery, against the HAProxy run of the same "
      "invocation;\n"
      "  '-' when either median is missing or below 'res ms' (not resolved from zero).\n"
      "A negative recovery: the last affected request left before the revert; requests in flight at the "
      "revert\n"
      "  were released by it in less than the client timeout (or the slow threshold) and do not count.\n",
      reps, kSlowMarginMs);
}

// ---------------------------------------------------------------------------

std::vector<std::string> leftover_namespaces() {
  std::vector<std::string> out;
  FILE* p = popen("ip netns list 2>/dev/null", "r");
  if (p == nullptr) {
    return out;
  }
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    std::string line(buf);
    if (line.rfind("fl-", 0) == 0) {
      out.push_back(line.substr(0, line.find_first_of(" \n")));
    }
  }
  pclose(p);
  return out;
}

int run(int argc, char** argv) {
  int reps = 3;
  std::vector<std::string> family_filter;
  std::string out_dir;
  bool keep = false;
  CLI::App app{
      "fault_timing: time from a fault's scheduled start to its effect in the traffic, and from its "
      "scheduled revert to recovery, per fault family, on HAProxy and nginx as the LB. Needs root; run it "
      "under flock /tmp/faultline-integration.lock."};
  app.add_option("--reps", reps, "runs per family and LB kind")->check(CLI::Range(1, 50));
  std::string names;
  for (const auto& f : families()) {
    if (names.find(f.family) == std::string::npos) {
      names += (names.empty() ? "" : ", ") + f.family;
    }
  }
  app.add_option("--family", family_filter, fmt::format("only these families or fault types ({})", names));
  app.add_option("--out-dir", out_dir,
                 "where the runs go (default: a temporary folder, removed unless --keep)");
  app.add_flag("--keep", keep, "keep the runs' folders (journals, requests.csv, faultline logs)");
  CLI11_PARSE(app, argc, argv);

  if (geteuid() != 0) {
    fmt::print(stderr, "fault_timing: needs root (faultline builds network namespaces)\n");
    return 2;
  }
  if (access(FAULTLINE_BINARY, X_OK) != 0) {
    fmt::print(stderr, "fault_timing: {} is not there; build the faultline target first\n", FAULTLINE_BINARY);
    return 2;
  }
  std::vector<const Family*> selected;
  for (const auto& f : families()) {
    if (family_filter.empty() ||
        std::any_of(family_filter.begin(), family_filter.end(),
                    [&](const std::string& w) { return w == f.family || w == f.fault; })) {
      selected.push_back(&f);
    }
  }
  if (selected.empty()) {
    fmt::print(stderr, "fault_timing: no family matches; known: {}\n", names);
    return 2;
  }

  const bool temp_dir = out_dir.empty();
  if (temp_dir) {
    char tmpl[] = "/tmp/fault_timing.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      fmt::print(stderr, "fault_timing: mkdtemp: {}\n", std::strerror(errno));
      return 2;
    }
    out_dir = tmpl;
  }
  fs::create_directories(out_dir);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<Row> rows;
  for (const auto* f : selected) {
    rows.push_back({f, "haproxy", {}});
    if (f->nginx_peer) {
      rows.push_back({f, "nginx", {}});
    }
  }
  const size_t total = rows.size() * static_cast<size_t>(reps);
  size_t done = 0;
  // Rep-major, HAProxy and nginx of a family back to back: drift in the
  // machine's load affects both sides of a ratio alike.
  for (int rep = 0; rep < reps && !g_interrupted; ++rep) {
    for (auto& row : rows) {
      if (g_interrupted) {
        break;
      }
      const fs::path dir = fs::path(out_dir) / fmt::format("{}-{}-{}", row.fam->fault, row.lb_kind, rep + 1);
      fs::remove_all(dir);
      std::vector<std::string> args = {"run",   (fs::path(FAULT_TIMING_EXPERIMENTS) / row.fam->file).string(),
                                       "--out", dir.string(),
                                       "-q",    "--samples"};
      if (row.lb_kind == "nginx") {
        args.push_back("--set");
        args.push_back("stack.services.lb.kind=nginx");
      }
      fmt::print(stderr, "[{}/{}] {} {} rep {}\n", ++done, total, row.fam->fault, row.lb_kind, rep + 1);
      fs::create_directories(dir);
      const int rc = run_faultline(args, dir / "faultline.log");
      Sample s = measure(*row.fam, dir, row.lb_kind);
      if (!s.ok && rc != 0) {
        s.error =
            fmt::format("faultline exited {} ({}); see {}", rc, s.error, (dir / "faultline.log").string());
      }
      row.samples.push_back(std::move(s));
    }
  }

  fmt::print("fault_timing: faultline {}\n", FAULTLINE_BINARY);
  print_table(rows, reps);
  if (g_interrupted) {
    fmt::print("\ninterrupted: the table holds the runs that finished\n");
  }

  if (temp_dir && !keep) {
    std::error_code ec;
    fs::remove_all(out_dir, ec);
  } else {
    fmt::print("\nruns kept in {}\n", out_dir);
  }
  const auto left = leftover_namespaces();
  if (!left.empty()) {
    std::string list;
    for (const auto& n : left) {
      list += " " + n;
    }
    fmt::print(stderr, "WARNING: network namespaces named fl-* remain:{} (faultline cleanup removes them)\n",
               list);
    return 1;
  }
  return g_interrupted ? 130 : 0;
}

}  // namespace
}  // namespace faultline::bench

int main(int argc, char** argv) {
  return faultline::bench::run(argc, argv);
}
