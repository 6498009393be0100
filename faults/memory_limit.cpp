// memory_limit: caps the memory every process of a service may charge
// (cgroup v1 memory.limit_in_bytes, v2 memory.max and memory.swap.max) —
// an undersized container limit. Pages charged before the move stay with the old group
// (v1 does not move charges by default), so the cap applies to what the
// service allocates from the moment of injection. Past the cap the kernel
// reclaims, then OOM-kills a process of the group: when that is the
// server's master, the stack sees the service die and the run records it.
// The group comes from the stack, as for cpu_limit (on docker the
// container's own group, whose counters count from the container's start).

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <sstream>

#include "faults/common/fault_site.h"
#include "faults/common/kernel_path.h"
#include "faults/common/lb_measures.h"
#include "faults/fault_type.h"
#include "harness/platform/cgroup.h"
#include "harness/stack/service_hold.h"

namespace faultline::faults {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
// Below a few MiB even an idle nginx worker cannot run; such a value is a
// typo, not an experiment.
constexpr std::uint64_t kMinBytes = 4 * kMiB;
constexpr std::uint64_t kMaxBytes = std::uint64_t{1024} * 1024 * kMiB;  // 1 TiB

// "64MiB" -> 67108864; bytes with an optional binary unit (B, KiB, MiB,
// GiB, TiB). Empty when the text is not such a size.
std::optional<std::uint64_t> parse_bytes(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
    ++i;
  }
  if (i == 0 || i > 15) {
    return std::nullopt;
  }
  const std::uint64_t n = std::stoull(text.substr(0, i));
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') {
    unit.erase(0, 1);
  }
  const std::pair<const char*, std::uint64_t> units[] = {
      {"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", kMiB}, {"GiB", 1024 * kMiB}, {"TiB", 1024 * 1024 * kMiB}};
  for (const auto& [name, factor] : units) {
    if (unit == name) {
      return n * factor;
    }
  }
  return std::nullopt;
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes % (1024 * kMiB) == 0) {
    return fmt::format("{} GiB", bytes / (1024 * kMiB));
  }
  if (bytes % kMiB == 0) {
    return fmt::format("{} MiB", bytes / kMiB);
  }
  return fmt::format("{} bytes", bytes);
}

class MemoryLimit final : public Fault {
 public:
  static constexpr const char* kName = "memory_limit";
  static constexpr const char* kSummary =
      "Cap a service's memory (cgroup memory limit); past it the kernel OOM-kills; lift on revert";
  static Needs needs() {
    return {.root = true, .target_kinds = {}, .kernel_feature = "cgroup memory controller (v1 or v2)"};
  }

  struct Params {
    std::optional<std::string> limit;  // a size, checked by make()
  };
  static const ParamTable<Params>& params() {
    static const ParamTable<Params> table{{
        param(&Params::limit, "limit", kind::text("bytes (KiB, MiB, GiB)"))
            .required()
            .doc("memory the service's processes may use, e.g. 64MiB"),
    }};
    return table;
  }
  static std::unique_ptr<Fault> make(const Params& p, ParamReader& params, const experiment::Experiment& exp);

  MemoryLimit(FaultSite site, std::uint64_t bytes)
      : site_(std::move(site)), target_(site_.target), bytes_(bytes) {}

  std::string describe() const override {
    std::string text =
        fmt::format("every process of {} was limited to {} of memory", target_, format_bytes(bytes_));
    // Known once revert() has read the group's counter.
    if (oom_kills_ > 0) {
      text += fmt::format("; the kernel's OOM killer ended {} of its processes under the cap", oom_kills_);
    } else if (oom_kills_ == 0) {
      text += "; no process was OOM-killed under the cap";
    }
    return text;
  }

  // How many processes the kernel's OOM killer ended in the group while the
  // cap was in force; -1 until revert() has read it (or where the kernel
  // does not count them).
  long oom_kills() const { return oom_kills_; }

  std::optional<KernelPath> kernel_path() const override {
    return cgroup_path("memory", "memory.max", "memory.limit_in_bytes");
  }
  // Kept past revert(), which lifts the limit: the journal is written at
  // the end of the run.
  std::string mechanism() const override { return mechanism_; }

  Status inject(stack::RunningStack& stack) override {
    auto limit = stack.limit_service(target_, "memory");
    if (!limit) {
      return Error{"memory_limit: " + limit.error().message};
    }
    limit_ = std::move(*limit);
    const char* file =
        limit_->version() == platform::CgroupVersion::v2 ? "memory.max" : "memory.limit_in_bytes";
    mechanism_ = limit_->mechanism(file);
    // A group that existed before the fault (a container's) has counted
    // its OOM kills since it was made: only those from here on are the cap's.
    oom_kills_before_ = read_oom_kills();
    if (auto st = limit_->write(file, std::to_string(bytes_)); !st) {
      return Error{"memory_limit: " + st.error().message};
    }
    // v2 counts swap apart from memory, with no limit by default: the cap
    // then bounds it too, to as much swap again as memory (what `docker run
    // --memory` does without --memory-swap). Without swap accounting the
    // file is missing and there is no swap to bound. (v1's memory+swap limit
    // is left alone: its file exists only with swapaccount=1.)
    if (limit_->version() == platform::CgroupVersion::v2 && limit_->has("memory.swap.max")) {
      if (auto st = limit_->write("memory.swap.max", std::to_string(bytes_)); !st) {
        return Error{"memory_limit: " + st.error().message};
      }
    }
    if (auto moved = limit_->enforce(); !moved) {
      return Error{"memory_limit: " + moved.error().message};
    }
    mechanism_ = limit_->mechanism(file);
    return {};
  }

  Status revert(stack::RunningStack& /*stack*/) override {
    if (limit_ == nullptr) {
      return {};
    }
    if (limit_->active()) {
      const long now = read_oom_kills();
      oom_kills_ = now >= 0 && oom_kills_before_ > 0 ? now - oom_kills_before_ : now;
    }
    if (auto st = limit_->lift(); !st) {
      return Error{"memory_limit: " + st.error().message};
    }
    return {};
  }

  std::vector<Measure> suggested_measures() const override {
    using experiment::ServiceKind;
    const ServiceKind kind = site_.target_kind;
    std::vector<Measure> out{
        {"Set memory limits from measured peak usage plus headroom", MeasureType::prevent},
        {"Alert when memory use passes 80% of the limit, and on OOM kills (oom_kill in memory.events)",
         MeasureType::detect},
        {kind == ServiceKind::haproxy
             ? fmt::format(
                   "Bound the memory of {} with a global `maxconn`: each connection can hold two "
                   "buffers of `tune.bufsize` (16 kB by default), so maxconn × 2 × bufsize must fit the "
                   "limit with room to spare",
                   target_)
         : kind == ServiceKind::nginx
             ? fmt::format(
                   "Bound the memory of {} through `worker_processes`, `worker_connections` and the "
                   "proxy buffers (`proxy_buffers`, `proxy_buffer_size`), so nginx degrades before the "
                   "kernel kills it",
                   target_)
             : fmt::format(
                   "Bound the worker pool and queue of {} (`capacity.workers`, `capacity.queue`) so it "
                   "sheds with 503 before it outgrows its memory",
                   target_),
         MeasureType::prevent},
        {"Have a supervisor restart an OOM-killed server (systemd Restart=on-failure, an orchestrator's "
         "liveness probe)",
         MeasureType::mitigate},
    };
    if (const auto lb = balancer_in_front(site_)) {
      out.push_back(take_failed_server_out(*lb));
    } else {
      out.push_back(redundant_load_balancer(target_));
    }
    return out;
  }

 private:
  // The group's `oom_kill` counter: memory.events on v2, memory.oom_control
  // on v1 (since Linux 4.13); -1 when neither has it.
  long read_oom_kills() const {
    auto text = limit_->read(limit_->version() == platform::CgroupVersion::v2 ? "memory.events"
                                                                              : "memory.oom_control");
    if (!text) {
      return -1;
    }
    std::istringstream in(*text);
    std::string key;
    long value = 0;
    while (in >> key >> value) {
      if (key == "oom_kill") {
        return value;
      }
    }
    return -1;
  }

  FaultSite site_;
  std::string target_;
  std::uint64_t bytes_;
  std::unique_ptr<stack::ServiceLimit> limit_;  // from inject on
  long oom_kills_before_ = -1;                  // the group's counter at inject
  long oom_kills_ = -1;
  std::string mechanism_;
};

std::unique_ptr<Fault> MemoryLimit::make(const Params& p, ParamReader& params,
                                         const experiment::Experiment& exp) {
  std::optional<std::uint64_t> bytes;
  if (p.limit) {
    bytes = parse_bytes(*p.limit);
    if (!bytes) {
      params.error_at("limit", fmt::format("parameter 'limit' must be a size like 64MiB, not '{}'", *p.limit),
                      "units: B, KiB, MiB, GiB, TiB (powers of 1024)");
    } else if (*bytes < kMinBytes || *bytes > kMaxBytes) {
      params.error_at("limit", fmt::format("parameter 'limit' is {}, outside 4MiB..1TiB", *p.limit));
      bytes.reset();
    }
  }
  if (!params.ok() || !bytes) {
    return nullptr;
  }
  return std::make_unique<MemoryLimit>(fault_site(params.step(), exp), *bytes);
}

const Registration registration{fault_type<MemoryLimit>()};

}  // namespace
}  // namespace faultline::faults
