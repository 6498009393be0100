// The names network faults give what they add inside a container's
// namespace are the ones `faultline cleanup` recognises there after a
// killed run (stack/compose_sweep.h): it finds them by name, so a change to
// either side must show here.

#include <catch2/catch.hpp>

#include "fault_test_support.h"
#include "faults/common/net_target.h"
#include "faults/common/nft.h"
#include "harness/stack/compose_sweep.h"

TEST_CASE("network faults' nft tables and iptables comments are those cleanup removes", "[faults][cleanup]") {
  faultline::faults::testing::FakeStack stack;
  const std::string run = stack.identity().run_id;
  // NftTargetTable (partition, reset) and loss name their tables after
  // this prefix.
  CHECK(faultline::stack::compose::is_run_table(faultline::faults::nft_table_prefix(run) + "_partition_1",
                                                run));
  CHECK(faultline::stack::compose::is_run_table(faultline::faults::nft_table_prefix(run) + "_loss0", run));
  CHECK_FALSE(
      faultline::stack::compose::is_run_table(faultline::faults::nft_table_prefix("ffffff") + "_loss0", run));
  // The NFQUEUE rules carry this comment.
  const std::string save = "*filter\n-A OUTPUT -o eth0 -m comment --comment \"" +
                           faultline::faults::rule_comment(stack) +
                           "\" -j NFQUEUE --queue-num 1 --queue-bypass\nCOMMIT\n";
  CHECK(faultline::stack::compose::delete_run_rules_script(save, run) ==
        "*filter\n-D OUTPUT -o eth0 -m comment --comment \"" + faultline::faults::rule_comment(stack) +
            "\" -j NFQUEUE --queue-num 1 --queue-bypass\nCOMMIT\n");
}
