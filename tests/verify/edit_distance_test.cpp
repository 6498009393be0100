#include "harness/verify/edit_distance.h"

#include <catch2/catch.hpp>

namespace faultline::verify {
namespace {

TEST_CASE("edit distance counts insertions, deletions, substitutions and swaps", "[verify]") {
  CHECK(edit_distance("error_rate", "error_rate") == 0);
  CHECK(edit_distance("eror_rate", "error_rate") == 1);
  CHECK(edit_distance("errpr_rate", "error_rate") == 1);
  CHECK(edit_distance("erorr_rate", "error_rate") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("nearest suggests only a candidate close enough to be a typo", "[verify]") {
  const std::vector<std::string_view> names{"error_rate", "p", "max_backend_share"};
  CHECK(nearest("eror_rate", names) == "error_rate");
  CHECK(nearest("max_backend_shar", names) == "max_backend_share");
  CHECK_FALSE(nearest("latency", names).has_value());
  CHECK_FALSE(nearest("throughput", names).has_value());
}

}  // namespace
}  // namespace faultline::verify
