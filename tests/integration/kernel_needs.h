#pragma once

// Kernel features some integration tests need beyond root, checked with the
// same probes faultline's preflight uses (faults/common/kernel_features). A
// missing one skips the test as a kernel skip (tests/skip.h), which CI
// allows: the user-mode Linux guest of scripts/uml-test.sh has nf_tables for
// the bridge family only, so the faults built on nftables (loss, partition,
// reset) are proven on the host's kernel and skip there.

#include "harness/platform/kernel_features.h"
#include "tests/skip.h"

#define FAULTLINE_REQUIRE_NFTABLES()                                                    \
  do {                                                                                  \
    const auto& faultline_nft_ = ::faultline::platform::nftables_support();             \
    if (!faultline_nft_.available) {                                                    \
      FAULTLINE_SKIP_KERNEL("nftables for the inet family: " << faultline_nft_.reason); \
    }                                                                                   \
  } while (false)
