// The live status line.

#include "harness/runner/progress.h"

#include <catch2/catch.hpp>

using faultline::runner::format_status;
using faultline::runner::StatusFigures;

TEST_CASE("the status line shows time, rate, errors, p99 and the active faults", "[runner][progress]") {
  StatusFigures f;
  f.elapsed_ns = 12'000'000'000;
  f.total_ns = 60'000'000'000;
  f.rate = 598.4;
  f.completed = 600;
  f.failed = 3;
  f.p99_ms = 41.23;
  f.active_faults = {"lb_weight(lb)", "latency(web1)"};
  CHECK(format_status(f) ==
        "[ 12.0s / 60s]  598/s  errors 3 (0.5%)  p99 41.2 ms  fault: lb_weight(lb), latency(web1)");
}

TEST_CASE("the status line says when p99 is unknown and no fault is active", "[runner][progress]") {
  StatusFigures f;
  f.elapsed_ns = 500'000'000;
  f.total_ns = 30'000'000'000;
  CHECK(format_status(f) == "[  0.5s / 30s]  0/s  errors 0 (0.0%)  p99 –  fault: none");
}
