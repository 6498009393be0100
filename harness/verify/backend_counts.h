#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/load/sample.h"
#include "harness/verify/window.h"

namespace faultline::verify {

// Requests a backend answered, counted by the load balancer in front of it
// rather than named in each response: the basis of the shares when the
// responses carry no backend header (a team's own config and program send
// none). Each count is stamped with when it was counted, so it lands in
// the window of that time, not of any request's intended send.
struct BackendCount {
  int64_t at_ns = 0;    // on the run clock
  std::string backend;  // a service of the stack; "" for a server the stack does not know
  uint64_t requests = 0;
};

// Whether any sample named the backend that answered it (the load's
// backend_header): then the header is the shares' basis, whatever else
// counted them.
bool backend_header_seen(const load::LoadResult& result);

// The counts stamped in [from_ns, to_ns), summed by backend.
std::map<std::string, uint64_t> backend_counts_between(const std::vector<BackendCount>& counts,
                                                       int64_t from_ns, int64_t to_ns);

// Replaces each window's backend_counts with the counts stamped in it
// ([start_ns, end_ns)); a window no count falls in is left with none. The
// windows must be in order and not overlap, as build_windows makes them;
// the counts may come in any order.
void count_backends_by_time(std::vector<WindowStats>& windows, const std::vector<BackendCount>& counts);

}  // namespace faultline::verify
