#include "harness/runner/load_delivery.h"

#include <fmt/format.h>

namespace faultline::runner {

LoadDelivery judge_delivery(const load::LoadResult& load) {
  LoadDelivery d;
  d.requests = load.samples.size();
  d.late = load.late_sends;
  d.expired_unsent = load.expired_unsent;
  d.connection_limit_waits = load.connection_limit_waits;
  if (d.requests == 0) {
    return d;
  }
  const double late_share = double(d.late) / double(d.requests);
  if (late_share > kMaxLateShare) {
    d.problems.push_back(
        fmt::format("{} of {} requests ({:.1f}%) were started more than {} ms after their intended time (the "
                    "latest {:.0f} ms "
                    "late): the load generator fell behind its schedule",
                    d.late, d.requests, 100.0 * late_share, double(load.late_threshold_ns) / 1e6,
                    double(load.send_lateness_max_ns) / 1e6));
  }
  const double wait_share = double(d.connection_limit_waits) / double(d.requests);
  if (wait_share > kMaxLateShare) {
    d.problems.push_back(fmt::format(
        "{} requests ({:.1f}%) found all {} connections busy (load.max_connections) and waited for one",
        d.connection_limit_waits, 100.0 * wait_share, load.max_connections));
  }
  if (d.expired_unsent > 0) {
    d.problems.push_back(
        fmt::format("{} requests reached their timeout waiting for a free connection and were never sent",
                    d.expired_unsent));
  }
  return d;
}

}  // namespace faultline::runner
