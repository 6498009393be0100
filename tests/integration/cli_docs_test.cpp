// docs/FAULTS.md is what `faultline faults --markdown` prints: the catalogue
// in the docs can never drift from the binary. (No root needed.)

#include <catch2/catch.hpp>

#include "process.h"

using namespace faultline::testing;

TEST_CASE("docs/FAULTS.md matches faultline faults --markdown", "[integration][cli][docs]") {
  const std::string out = std::string(FAULTLINE_BINARY_DIR) + "/faults.md";
  REQUIRE(run({FAULTLINE_BINARY, "faults", "--markdown"}, out, std::chrono::seconds(10)) == 0);
  const std::string generated = read_file(out);
  CHECK(generated.find("## http_delay") != std::string::npos);
  INFO("regenerate with: build/faultline faults --markdown > docs/FAULTS.md");
  CHECK(generated == read_file(std::string(FAULTLINE_SOURCE_DIR) + "/docs/FAULTS.md"));
}

TEST_CASE("faultline faults NAME shows one type, and an unknown name exits 2 with the list",
          "[integration][cli]") {
  const std::string dir = std::string(FAULTLINE_BINARY_DIR);
  REQUIRE(run({FAULTLINE_BINARY, "faults", "latency"}, dir + "/faults-one.txt", std::chrono::seconds(10)) == 0);
  const std::string one = read_file(dir + "/faults-one.txt");
  CHECK(one.rfind("latency\n", 0) == 0);
  CHECK(one.find("\nloss\n") == std::string::npos);
  CHECK(run({FAULTLINE_BINARY, "faults", "latencyy"}, dir + "/faults-bad.txt", std::chrono::seconds(10)) == 2);
  CHECK(read_file(dir + "/faults-bad.txt").find("no fault type 'latencyy'") != std::string::npos);
}
