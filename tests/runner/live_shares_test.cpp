// The share source's counts in the run's figures: the live windows, the
// phases and the journal's basis take them when no response named its
// backend, and leave them when one did.

#include <catch2/catch.hpp>
#include <variant>

#include "harness/runner/analysis.h"
#include "harness/runner/live_monitor.h"
#include "harness/runner/shares_basis.h"

using namespace faultline;
using namespace faultline::runner;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kSec = 1'000'000'000;

// Counts handed in by the test, as a load balancer's would be read.
class HandedCounts : public ShareSource {
 public:
  HandedCounts() : ShareSource("haproxy-counters", "the test's counts", 100ms) {}
  void stop() override {}
  void hand(std::vector<verify::BackendCount> counts) { add(std::move(counts), {}); }
};

class QueuedSamples : public LiveSamples {
 public:
  void take_new(load::LoadResult& into) override {
    into.samples.insert(into.samples.end(), queued.begin(), queued.end());
    if (named) {
      into.backends = {"", "a"};
    }
    queued.clear();
  }
  std::vector<load::Sample> queued;
  bool named = false;
};

// 100 requests a second over [0, seconds), answered in 5 ms; each names
// backend a when `named`.
std::vector<load::Sample> requests(int seconds, bool named) {
  std::vector<load::Sample> out;
  for (int i = 0; i < seconds * 100; ++i) {
    load::Sample s;
    s.intended_ns = int64_t(i) * kSec / 100;
    s.sent_ns = s.intended_ns;
    s.done_ns = s.intended_ns + 5'000'000;
    s.status = 200;
    s.backend = named ? 1 : 0;
    out.push_back(s);
  }
  return out;
}

// web1 answers three in four, read every 100 ms over [0, seconds).
std::vector<verify::BackendCount> skewed(int seconds) {
  std::vector<verify::BackendCount> out;
  for (int64_t t = 100'000'000; t <= seconds * kSec; t += 100'000'000) {
    out.push_back({t - 1, "web1", 9});
    out.push_back({t - 1, "web2", 3});
  }
  return out;
}

AbortRule rule(const std::string& text) {
  auto parsed = parse_abort_rule(text);
  REQUIRE(std::holds_alternative<AbortRule>(parsed));
  return std::get<AbortRule>(parsed);
}

}  // namespace

TEST_CASE("live windows take their shares from the source while no response names a backend",
          "[runner][live][shares]") {
  QueuedSamples q;
  q.queued = requests(4, false);
  HandedCounts counts;
  counts.hand(skewed(4));
  LiveMonitor m(0, 1s, 500ms, {}, {rule("max_backend_share > 60% for 2s")});
  m.pull(q, &counts);
  const auto trigger = m.check_abort(3 * kSec);
  REQUIRE(trigger.has_value());
  CHECK(trigger->value == Approx(0.75));
  REQUIRE(m.final_windows().size() == 2);
  CHECK(m.final_windows()[0].backend_counts == std::map<std::string, uint64_t>{{"web1", 90}, {"web2", 30}});

  // Without the source, the same samples name no backend: no share at all.
  QueuedSamples alone;
  alone.queued = requests(4, false);
  LiveMonitor plain(0, 1s, 500ms, {}, {rule("max_backend_share > 60% for 2s")});
  plain.pull(alone);
  CHECK_FALSE(plain.check_abort(3 * kSec).has_value());
}

TEST_CASE("live windows keep the header's shares when responses name their backend",
          "[runner][live][shares]") {
  QueuedSamples q;
  q.queued = requests(4, true);
  q.named = true;
  HandedCounts counts;
  counts.hand(skewed(4));
  LiveMonitor m(0, 1s, 500ms, {}, {rule("max_backend_share < 90% for 2s")});
  m.pull(q, &counts);
  REQUIRE_FALSE(m.check_abort(3 * kSec).has_value());  // every request named a: 100%
  CHECK(m.final_windows()[0].backend_counts == std::map<std::string, uint64_t>{{"a", 100}});
}

TEST_CASE("the phases and the basis follow the source only without a header", "[runner][analysis][shares]") {
  RunRecord rec;
  rec.load_start_ns = 0;
  rec.load_end_ns = 2 * kSec;
  for (const auto& s : requests(2, false)) {
    rec.load.samples.push_back(s);
  }
  CHECK(source_counts(rec) == nullptr);
  CHECK(shares_basis(rec, "X-Backend").source == "response-header");
  CHECK(shares_basis(rec, "X-Backend").detail ==
        "the X-Backend header of each response, which no response carried");

  HandedCounts counts;
  rec.shares = ShareRecord{counts.basis(), skewed(2)};
  rec.shares->basis.unknown_servers = {"be/s9 at 10.9.9.9:80"};
  REQUIRE(source_counts(rec) != nullptr);
  const SharesBasis basis = shares_basis(rec, "X-Backend");
  CHECK(basis.source == "haproxy-counters");
  CHECK(basis.interval == std::optional<Duration>(100ms));
  CHECK(basis.unknown_servers == std::vector<std::string>{"be/s9 at 10.9.9.9:80"});
  const auto phases = make_phases(rec);
  REQUIRE(phases.size() == 1);
  CHECK(phases[0].backends == std::map<std::string, uint64_t>{{"web1", 180}, {"web2", 60}});

  // One response naming its backend makes the header the basis again.
  rec.load.backends = {"", "a"};
  rec.load.samples[7].backend = 1;
  CHECK(source_counts(rec) == nullptr);
  CHECK(shares_basis(rec, "X-Backend").detail ==
        "the X-Backend header of each response, naming the backend that answered it");
  CHECK(make_phases(rec)[0].backends == std::map<std::string, uint64_t>{{"a", 1}});
}
