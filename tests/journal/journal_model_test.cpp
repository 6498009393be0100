// The typed journal must say what the JSON says: every journal the runner
// wrote (the recorded outcomes and the golden runs) reads into the model and
// writes back byte for byte, and a journal that is hand-edited, old or
// broken reads without throwing, with what is missing left empty.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/text.h"
#include "harness/journal/journal.h"

namespace {

using faultline::journal::from_json;
using faultline::journal::json;
using faultline::journal::to_json;
namespace fs = std::filesystem;

std::vector<fs::path> journals_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      out.push_back(entry.path());
    }
  }
  return out;
}

json read_json(const fs::path& path) {
  return json::parse(faultline::read_text(path.string()));
}

// Whether everything `original` says, `again` says too, with the same
// value: a journal of an older version gains the fields it lacked (at
// their defaults) but loses and changes nothing. `where` names the first
// difference.
bool says_all_of(const json& original, const json& again, std::string& where, const std::string& path = "") {
  if (original.is_object()) {
    if (!again.is_object()) {
      where = path;
      return false;
    }
    for (const auto& [key, value] : original.items()) {
      if (!again.contains(key) || !says_all_of(value, again[key], where, path + "/" + key)) {
        where = where.empty() ? path + "/" + key : where;
        return false;
      }
    }
    return true;
  }
  if (original.is_array()) {
    if (!again.is_array() || again.size() != original.size()) {
      where = path;
      return false;
    }
    for (size_t i = 0; i < original.size(); ++i) {
      if (!says_all_of(original[i], again[i], where, path + "/" + std::to_string(i))) {
        return false;
      }
    }
    return true;
  }
  // 3 and 3.0 are the same figure.
  const bool same = original.is_number() && again.is_number() ? original.get<double>() == again.get<double>()
                                                              : original == again;
  if (!same) {
    where = path;
  }
  return same;
}

}  // namespace

TEST_CASE("every journal the runner wrote reads into the model and writes back byte for byte") {
  // The recorded outcomes (scripts/record-journals.sh) and the golden runs:
  // written by this version's runner.
  const fs::path data = FAULTLINE_TEST_DATA;
  std::vector<fs::path> files = journals_under(data / "journals" / "outcomes");
  for (const auto& p : journals_under(data / "golden")) {
    files.push_back(p);
  }
  REQUIRE(files.size() >= 9);
  for (const auto& path : files) {
    INFO(path.string());
    const json original = read_json(path);
    const json again = to_json(from_json(original));
    CHECK(again.dump(2) == original.dump(2));
  }
}

TEST_CASE("journals of older versions read and write back with nothing lost or changed") {
  // tests/data/journals/*.json were written by hand or by older versions:
  // they lack fields added since, which come back at their defaults.
  const fs::path dir = fs::path(FAULTLINE_TEST_DATA) / "journals";
  size_t seen = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    INFO(entry.path().string());
    ++seen;
    const json original = read_json(entry.path());
    std::string where;
    CHECK(says_all_of(original, to_json(from_json(original)), where));
    CHECK(where.empty());
  }
  CHECK(seen >= 5);
}

TEST_CASE("a journal of any shape reads without throwing, with what is missing left empty") {
  for (const json& doc : {json(nullptr), json(42), json("text"), json::array({1, 2}), json::object(),
                          json::parse(R"({"windows": 3, "activities": [null, 7, {"injected_s": "soon"}],
                                          "stack": {"services": [{"port": 1e300, "backends": "x"}]},
                                          "load": {"requests": -5}, "analysis": []})")}) {
    INFO(doc.dump());
    const auto j = from_json(doc);
    CHECK(j.windows.empty());
    CHECK(j.schema.empty());
    CHECK_FALSE(j.verdict.has_value());
    CHECK_FALSE(j.analysis.first_inject_s.has_value());
    for (const auto& a : j.activities) {
      CHECK_FALSE(a.injected_s.has_value());
    }
  }
  const auto j = from_json(json::parse(R"({"stack": {"services": [{"port": 1e300, "backends": "x"}]},
                                           "load": {"requests": -5}})"));
  REQUIRE(j.stack.services.size() == 1);
  CHECK(j.stack.services[0].port == std::numeric_limits<int64_t>::max());
  CHECK(j.stack.services[0].load_balancer);  // it has `backends`, though not a list
  CHECK(j.stack.services[0].backends.empty());
  REQUIRE(j.load.requests.has_value());
  CHECK(*j.load.requests == 0);
}

TEST_CASE("older journals keep what tells them apart: string measures, windows without responses") {
  const json old = json::parse(R"({
    "activities": [{"suggested_measures": ["Add a health check", {"action": "Alert", "type": "detect"}]}],
    "windows": [{"index": 0, "requests": 10, "throughput": 10.0}],
    "postmortem": {"corrective_actions": ["Fix it", {"action": "Page", "owner": "sre"}]}
  })");
  const auto j = from_json(old);
  REQUIRE(j.activities.size() == 1);
  REQUIRE(j.activities[0].suggested_measures.size() == 2);
  CHECK(j.activities[0].suggested_measures[0].action == "Add a health check");
  CHECK_FALSE(j.activities[0].suggested_measures[0].type.has_value());
  CHECK(j.activities[0].suggested_measures[1].type == std::optional<std::string>("detect"));
  REQUIRE(j.windows.size() == 1);
  CHECK_FALSE(j.windows[0].responses.has_value());
  CHECK_FALSE(j.windows[0].offered_rate.has_value());
  CHECK(j.windows[0].throughput == std::optional<double>(10.0));
  REQUIRE(j.postmortem.corrective_actions.size() == 2);
  CHECK_FALSE(j.postmortem.corrective_actions[0].owner.has_value());
  CHECK(j.postmortem.corrective_actions[1].owner == std::optional<std::string>("sre"));

  // Written again, each keeps its old form: a string stays a string, and the
  // window gains no `responses` it never had.
  const json again = to_json(j);
  CHECK(again["activities"][0]["suggested_measures"][0] == "Add a health check");
  CHECK(again["activities"][0]["suggested_measures"][1]["type"] == "detect");
  CHECK_FALSE(again["windows"][0].contains("responses"));
  CHECK(again["postmortem"]["corrective_actions"][0] == "Fix it");
  CHECK(again["postmortem"]["corrective_actions"][1] == json::parse(R"({"action": "Page", "owner": "sre"})"));
}

TEST_CASE("the shares' basis reads and writes back, and a journal without one gains none") {
  const fs::path golden = fs::path(FAULTLINE_TEST_DATA) / "golden" / "incident" / "journal.json";
  json doc = read_json(golden);
  REQUIRE_FALSE(doc.contains("shares_basis"));
  CHECK_FALSE(from_json(doc).shares_basis.has_value());
  CHECK_FALSE(to_json(from_json(doc)).contains("shares_basis"));

  // Written where the runner writes it: after service_events, before phases.
  json with_basis = json::object();
  for (const auto& [key, value] : doc.items()) {
    if (key == "phases") {
      with_basis["shares_basis"] = json::parse(R"({
        "source": "haproxy-counters",
        "detail": "HAProxy's own per-server request counters on lb (req_tot), read every 100ms",
        "interval_s": 0.1,
        "unknown_servers": ["api/s9 at 10.9.9.9:80"]})");
    }
    with_basis[key] = value;
  }
  const auto j = from_json(with_basis);
  REQUIRE(j.shares_basis.has_value());
  CHECK(j.shares_basis->source == "haproxy-counters");
  CHECK(j.shares_basis->interval_s == std::optional<double>(0.1));
  CHECK(j.shares_basis->unknown_servers == std::vector<std::string>{"api/s9 at 10.9.9.9:80"});
  CHECK(to_json(j).dump(2) == with_basis.dump(2));

  // The header's basis has no interval and, without unknown servers, no list.
  const json header = json::parse(R"({"shares_basis": {"source": "response-header",
                                      "detail": "the X-Backend header of each response"}})");
  const json again = to_json(from_json(header))["shares_basis"];
  CHECK(again == header["shares_basis"]);
}

TEST_CASE("a container run's servers read and write back, and a netns journal gains none") {
  const fs::path golden = fs::path(FAULTLINE_TEST_DATA) / "golden" / "incident" / "journal.json";
  json doc = read_json(golden);
  REQUIRE_FALSE(doc["environment"].contains("servers"));
  CHECK(from_json(doc).environment.servers.empty());
  CHECK_FALSE(to_json(from_json(doc))["environment"].contains("servers"));

  doc["environment"]["haproxy"] = "";
  doc["environment"]["nginx"] = "";
  doc["environment"]["servers"] = json::parse(R"([
    {"service": "lb", "image": "haproxy:2.8", "version": "HAProxy version 2.8.5-aaba8d0 2023/12/07"},
    {"service": "web1", "image": "nginx:1.25", "version": "", "why": "its container is not running"}])");
  const auto j = from_json(doc);
  REQUIRE(j.environment.servers.size() == 2);
  CHECK(j.environment.servers[0].service == "lb");
  CHECK(j.environment.servers[0].image == "haproxy:2.8");
  CHECK(j.environment.servers[1].why == "its container is not running");
  CHECK(to_json(j).dump(2) == doc.dump(2));
}

TEST_CASE("a phase's figures per request name read and write back in the mix's order, and old phases gain none") {
  const fs::path golden = fs::path(FAULTLINE_TEST_DATA) / "golden" / "incident" / "journal.json";
  json doc = read_json(golden);
  REQUIRE_FALSE(doc["phases"].empty());
  REQUIRE_FALSE(doc["phases"][0].contains("requests_by_name"));
  CHECK(from_json(doc).phases[0].requests_by_name.empty());
  CHECK_FALSE(to_json(from_json(doc))["phases"][0].contains("requests_by_name"));

  doc["phases"][0]["requests_by_name"] = json::parse(R"({
    "search": {"requests": 250, "errors": 1, "p99_ms": 12.5},
    "checkout": {"requests": 50, "errors": 0, "p99_ms": null}})");
  const auto j = from_json(doc);
  const auto& by_name = j.phases[0].requests_by_name;
  REQUIRE(by_name.size() == 2);
  CHECK(by_name[0].name == "search");
  CHECK(by_name[0].requests == 250);
  CHECK(by_name[0].errors == 1);
  CHECK(by_name[0].p99_ms == std::optional<double>(12.5));
  CHECK(by_name[1].name == "checkout");
  CHECK_FALSE(by_name[1].p99_ms.has_value());
  CHECK(to_json(j).dump(2) == doc.dump(2));
}
