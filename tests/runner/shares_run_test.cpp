// A run whose load target is an nginx running a team's config: the team's
// servers send no backend header, so the shares come from nginx's upstream
// log, in the windows, the phases, the live abort conditions, the journal
// and the reports; a header, when there is one, still decides.

#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <variant>

#include "harness/runner/journal.h"
#include "harness/runner/runner.h"
#include "reporters/reporter.h"
#include "tests/runner/fake_runtime.h"

using namespace faultline;
using namespace faultline::runner;
using namespace faultline::runner::testing;
using namespace std::chrono_literals;

namespace {

// Writes upstream log lines for as long as it lives, as nginx would: three
// requests to web1 for each one to web2, every 10 ms.
class LogWriter {
 public:
  explicit LogWriter(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        std::ofstream out(path_, std::ios::app);
        for (const char* addr :
             {"127.0.0.2:80", "127.0.0.2:80", "127.0.0.3:80, 127.0.0.2:80", "127.0.0.3:80"}) {
          out << fmt::format("{}.{:03d} {} 200\n", ms / 1000, ms % 1000, addr);
        }
        out.close();
        std::this_thread::sleep_for(10ms);
      }
    });
  }
  ~LogWriter() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::string path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct SharesRun {
  RunRecord rec;
  journal::Journal journal;
};

SharesRun run_with_upstream_log(const std::string& header, const std::vector<std::string>& abort_when = {}) {
  const std::string log =
      (std::filesystem::temp_directory_path() / fmt::format("faultline-shares-run-{}.log", ::getpid()))
          .string();
  std::filesystem::remove(log);
  TestHttpServer server(ServerMode::answer, 1ms);
  FakeScript script;
  script.upstream_log = log;
  FakeRuntime runtime(server.port(), script);
  ValidatedExperiment v;
  v.exp.title = "team nginx";
  v.exp.load.target = "lb";
  v.exp.load.rate = 100;
  v.exp.load.connections = 4;
  v.exp.load.users = 10;
  v.exp.load.timeout = 300ms;
  v.exp.load.duration = 3s;
  v.exp.load.backend_header = header;
  v.exp.slo.window = 500ms;
  for (const auto& text : abort_when) {
    auto parsed = parse_abort_rule(text);
    REQUIRE(std::holds_alternative<AbortRule>(parsed));
    v.abort_rules.push_back(std::get<AbortRule>(parsed));
  }
  RunOptions options;
  options.live_progress = false;
  options.runtime = &runtime;
  SharesRun out;
  {
    LogWriter writer(log);
    out.rec = run_experiment(v, options);
  }
  out.journal = make_journal(v, out.rec);
  std::filesystem::remove(log);
  return out;
}

uint64_t count_of(const journal::Counts& counts, const std::string& name) {
  for (const auto& [key, n] : counts) {
    if (key == name) {
      return n;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("without a backend header the shares come from the load balancer's upstream log",
          "[runner][fake][shares]") {
  const auto out = run_with_upstream_log("X-Faultline-None");
  REQUIRE(out.rec.status == RunStatus::completed);
  REQUIRE(out.journal.shares_basis.has_value());
  CHECK(out.journal.shares_basis->source == "nginx-access-log");
  CHECK(out.journal.shares_basis->interval_s == Approx(0.1));
  CHECK(out.journal.shares_basis->unknown_servers.empty());
  REQUIRE(out.journal.windows.size() == 6);
  for (const auto& w : out.journal.windows) {
    INFO(w.index);
    // web1 answered three of every four (the retry's last try among them).
    const uint64_t web1 = count_of(w.backends, "web1");
    const uint64_t web2 = count_of(w.backends, "web2");
    REQUIRE(web1 + web2 > 0);
    CHECK(double(web1) / double(web1 + web2) == Approx(0.75).margin(0.05));
  }
  REQUIRE_FALSE(out.journal.phases.empty());
  CHECK(count_of(out.journal.phases[0].backends, "web1") > count_of(out.journal.phases[0].backends, "web2"));

  const auto* md = reporters::ReporterRegistry::instance().find("md");
  REQUIRE(md != nullptr);
  CHECK_THAT(md->render(journal::to_json(out.journal), ""),
             Catch::Contains("The backend shares are counted from nginx's access log on lb"));
}

TEST_CASE("a backend header still decides the shares when the load balancer counts too",
          "[runner][fake][shares]") {
  const auto out = run_with_upstream_log("X-Backend");  // the test server names a and b
  REQUIRE(out.journal.shares_basis.has_value());
  CHECK(out.journal.shares_basis->source == "response-header");
  CHECK_FALSE(out.journal.shares_basis->interval_s.has_value());
  REQUIRE_FALSE(out.journal.windows.empty());
  CHECK(count_of(out.journal.windows[0].backends, "a") > 0);
  CHECK(count_of(out.journal.windows[0].backends, "web1") == 0);
}

TEST_CASE("an abort condition on the shares is judged on the load balancer's counts while the run goes on",
          "[runner][fake][shares]") {
  const auto out = run_with_upstream_log("X-Faultline-None", {"max_backend_share > 60% for 1s"});
  CHECK(out.rec.status == RunStatus::aborted);
  REQUIRE(out.rec.abort.has_value());
  CHECK(out.rec.abort->value == Approx(0.75).margin(0.05));
}
