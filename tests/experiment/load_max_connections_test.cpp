#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "harness/experiment/loader.h"
#include "harness/load/connection_limit.h"
#include "tests/experiment/with_load.h"

using namespace faultline::experiment;
using namespace std::chrono_literals;
using faultline::testing::with_load;

namespace {

Experiment load_text(const std::string& yaml, Diagnostics& diags, const std::vector<std::string>& sets = {}) {
  std::vector<Override> overrides;
  for (const auto& text : sets) {
    auto o = parse_override(text);
    REQUIRE(o.has_value());
    overrides.push_back(*o);
  }
  return load_string(yaml, "max_connections.yaml", overrides, diags);
}

// The only diagnostic of `diags`, which must be exactly one.
const Diagnostic& only(const Diagnostics& diags) {
  INFO(diags.format());
  REQUIRE(diags.items().size() == 1);
  return diags.items().front();
}

}  // namespace

TEST_CASE("load.max_connections defaults to the pool plus rate x timeout",
          "[experiment][loader][connections]") {
  Diagnostics diags;
  const Experiment exp = load_text(with_load(""), diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.load.connections == 16);
  CHECK(exp.load.timeout == 2s);
  // 16 + 300/s x 2s
  CHECK(exp.load.max_connections == 616);
  CHECK(exp.load.max_connections == faultline::load::default_max_connections(16, 300, 2s));

  Diagnostics other_diags;
  const Experiment other = load_text(with_load("  connections: 64\n  timeout: 500ms\n"), other_diags);
  REQUIRE_FALSE(other_diags.has_errors());
  CHECK(other.load.max_connections == 64 + 150);
}

TEST_CASE("the default load.max_connections stops at the cap, never below connections",
          "[experiment][loader][connections]") {
  // 20k/s x 2s would be 40000 connections.
  Diagnostics fast_diags;
  std::string fast = with_load("");
  fast.replace(fast.find("300/s"), 5, "20k/s");
  const Experiment high = load_text(fast, fast_diags);
  INFO(fast_diags.format());
  REQUIRE_FALSE(fast_diags.has_errors());
  CHECK(high.load.max_connections == faultline::load::kDefaultConnectionLimitCap);

  Diagnostics big_diags;
  std::string big = with_load("  connections: 5000\n");
  big.replace(big.find("300/s"), 5, "20k/s");
  const Experiment pool = load_text(big, big_diags);
  REQUIRE_FALSE(big_diags.has_errors());
  CHECK(pool.load.max_connections == 5000);
}

TEST_CASE("load.max_connections is read as written when at least connections",
          "[experiment][loader][connections]") {
  Diagnostics diags;
  const Experiment exp = load_text(with_load("  connections: 16\n  max_connections: 64\n"), diags);
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.load.max_connections == 64);

  // Equal to connections: a fixed pool.
  Diagnostics fixed_diags;
  const Experiment fixed = load_text(with_load("  connections: 16\n  max_connections: 16\n"), fixed_diags);
  REQUIRE_FALSE(fixed_diags.has_errors());
  CHECK(fixed.load.max_connections == 16);
}

TEST_CASE("load.max_connections below connections is reported at its value with a fix",
          "[experiment][loader][connections][bad-config]") {
  Diagnostics diags;
  load_text(with_load("  connections: 32\n  max_connections: 8\n"), diags);
  const Diagnostic& d = only(diags);
  CHECK(d.pos.file == "max_connections.yaml");
  CHECK(d.pos.line == 10);
  CHECK(d.pos.col == 20);
  CHECK(d.message == "'max_connections' (8) must be at least 'connections' (32)");
  CHECK(d.hint == "raise it to 32 or more, or leave it out for the default (632 here)");

  // Against the default pool of 16, too.
  Diagnostics default_pool;
  load_text(with_load("  max_connections: 10\n"), default_pool);
  CHECK(only(default_pool).message == "'max_connections' (10) must be at least 'connections' (16)");
}

TEST_CASE("load.max_connections must be a whole number from 1 to 10000",
          "[experiment][loader][connections][bad-config]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0", "'max_connections' must be between 1 and 10000, not 0"},
      {"10001", "'max_connections' must be between 1 and 10000, not 10001"},
      {"many", "'max_connections' must be a whole number, not 'many'"},
      {"2.5", "'max_connections' must be a whole number, not '2.5'"},
  };
  for (const auto& [value, message] : cases) {
    INFO("max_connections: " << value);
    Diagnostics diags;
    load_text(with_load("  max_connections: " + value + "\n"), diags);
    const Diagnostic& d = only(diags);
    CHECK(d.pos.line == 9);
    CHECK(d.pos.col == 20);
    CHECK(d.message == message);
  }
}

TEST_CASE("a bad connections value does not also report max_connections against it",
          "[experiment][loader][connections][bad-config]") {
  Diagnostics diags;
  load_text(with_load("  connections: 0\n  max_connections: 8\n"), diags);
  CHECK(only(diags).message == "'connections' must be between 1 and 10000, not 0");
}

TEST_CASE("a misspelt max_connections gets a did-you-mean", "[experiment][loader][connections][bad-config]") {
  Diagnostics diags;
  load_text(with_load("  max_conections: 64\n"), diags);
  const Diagnostic& d = only(diags);
  CHECK(d.pos.line == 9);
  CHECK(d.pos.col == 3);
  CHECK(d.message == "unknown key 'max_conections' in load");
  CHECK(d.hint == "did you mean 'max_connections'?");
}

TEST_CASE("an override of load.max_connections (--set) sets and checks the limit",
          "[experiment][loader][connections][overrides]") {
  Diagnostics diags;
  const Experiment exp = load_text(with_load(""), diags, {"load.max_connections=64"});
  INFO(diags.format());
  REQUIRE_FALSE(diags.has_errors());
  CHECK(exp.load.max_connections == 64);
  CHECK(exp.source["load"]["max_connections"].as<int>() == 64);

  // Checked against connections as set on the command line too.
  Diagnostics low_diags;
  load_text(with_load(""), low_diags, {"load.connections=100", "load.max_connections=64"});
  const Diagnostic& d = only(low_diags);
  CHECK(d.pos.file == "--set load.max_connections");
  CHECK(d.message == "'max_connections' (64) must be at least 'connections' (100)");

  // The default follows the overridden rate and timeout.
  Diagnostics rate_diags;
  const Experiment faster = load_text(with_load(""), rate_diags, {"load.rate=600/s", "load.timeout=1s"});
  REQUIRE_FALSE(rate_diags.has_errors());
  CHECK(faster.load.max_connections == 16 + 600);
}
