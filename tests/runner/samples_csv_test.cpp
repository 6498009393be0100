// requests.csv: one row per request, times relative to the load's start.

#include "harness/runner/samples_csv.h"

#include <catch2/catch.hpp>
#include <sstream>

TEST_CASE("write_samples_csv writes a header and one row per request relative to the load start",
          "[runner][samples]") {
  faultline::runner::RunRecord rec;
  rec.load_start_ns = 5'000'000'000;
  rec.load.backends = {"", "web1"};
  faultline::load::Sample ok;
  ok.intended_ns = 5'000'000'000;
  ok.sent_ns = 5'000'100'000;
  ok.done_ns = 5'002'600'000;
  ok.status = 200;
  ok.backend = 1;
  ok.user = 7;
  faultline::load::Sample failed;
  failed.intended_ns = 6'500'000'000;
  failed.sent_ns = 6'500'000'000;
  failed.done_ns = 8'500'000'000;
  failed.error = faultline::load::ErrorClass::response_timeout;
  failed.user = 3;
  rec.load.samples = {ok, failed};

  std::ostringstream out;
  faultline::runner::write_samples_csv(rec, out);
  CHECK(out.str() ==
        "intended_s,sent_s,done_s,latency_ms,service_ms,status,error,backend,user\n"
        "0.000000,0.000100,0.002600,2.600,2.500,200,none,web1,7\n"
        "1.500000,1.500000,3.500000,2000.000,2000.000,0,response_timeout,,3\n");
}
