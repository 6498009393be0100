#include "harness/runner/lb_watch.h"

#include <fmt/format.h>

#include <chrono>

namespace faultline::runner {

namespace {

// HAProxy's server admin-state bits (SRV_ADMF_*): forced, inherited,
// config, resolver and hostname maintenance; forced and inherited drain.
constexpr unsigned kMaintBits = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
constexpr unsigned kDrainBits = 0x08 | 0x10;

std::string event_text(const std::string& service, const std::string& server, const std::string& from,
                       const std::string& to) {
  if (to == "MAINT") {
    return fmt::format("{} put {} in maintenance", service, server);
  }
  if (to == "DRAIN") {
    return fmt::format("{} set {} to drain (no new connections)", service, server);
  }
  if (from == "MAINT" || from == "DRAIN") {
    return fmt::format("{} took {} out of {} ({} now)", service, server,
                       from == "MAINT" ? "maintenance" : "drain", to);
  }
  return fmt::format("{} marked {} {}", service, server, to);
}

}  // namespace

std::string server_state_word(const platform::HaproxyRuntimeApi::ServerRow& row) {
  const auto admin = row.find("srv_admin_state");
  const auto op = row.find("srv_op_state");
  if (admin == row.end() || op == row.end()) {
    return "";
  }
  unsigned bits = 0;
  int op_state = -1;
  try {
    bits = static_cast<unsigned>(std::stoul(admin->second));
    op_state = std::stoi(op->second);
  } catch (const std::exception&) {
    return "";
  }
  if ((bits & kMaintBits) != 0) {
    return "MAINT";
  }
  if ((bits & kDrainBits) != 0) {
    return "DRAIN";
  }
  switch (op_state) {
    case 0:
      return "DOWN";
    case 1:
      return "STARTING";
    case 2:
      return "UP";
    case 3:
      return "STOPPING";
    default:
      return "";
  }
}

void diff_server_states(const std::string& service,
                        const std::vector<platform::HaproxyRuntimeApi::ServerRow>& rows, int64_t now_ns,
                        std::map<std::string, std::string>& known, std::vector<LbEvent>& events,
                        bool qualify) {
  for (const auto& row : rows) {
    const auto name = row.find("srv_name");
    const std::string word = server_state_word(row);
    if (name == row.end() || word.empty()) {
      continue;
    }
    const auto backend = row.find("be_name");
    const std::string server =
        qualify && backend != row.end() ? backend->second + "/" + name->second : name->second;
    auto [it, first_sight] = known.try_emplace(server, word);
    if (first_sight || it->second == word) {
      continue;
    }
    events.push_back(
        LbEvent{now_ns, service, server, it->second, word, event_text(service, server, it->second, word)});
    it->second = word;
  }
}

LbWatch::LbWatch(const stack::RunningStack& stack, const RunClock& clock, Duration interval)
    : clock_(clock), poller_(interval) {
  for (const auto& svc : stack.services()) {
    // faultline's own configs hold one backend; a team's may hold many,
    // all watched (backend_name empty), each server named as
    // "backend/server".
    if (!svc.runtime_socket.empty() && (!svc.backend_name.empty() || !svc.team_config.empty())) {
      // A short deadline: a poll that waits on a paused HAProxy only delays
      // the next poll.
      targets_.push_back(
          Target{svc.planned.name,
                 svc.backend_name,
                 platform::HaproxyRuntimeApi(svc.runtime_socket, std::chrono::milliseconds(200)),
                 {}});
    }
  }
  if (!targets_.empty()) {
    poller_.start([this] { poll_all(); });
  }
}

LbWatch::~LbWatch() {
  stop();
}

void LbWatch::stop() {
  poller_.stop();
}

std::vector<LbEvent> LbWatch::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void LbWatch::poll_all() {
  for (auto& target : targets_) {
    auto rows = target.api.servers_state(target.backend);
    if (!rows) {
      continue;
    }
    std::vector<LbEvent> fresh;
    diff_server_states(target.service, *rows, clock_.now_ns(), target.known, fresh, target.backend.empty());
    if (!fresh.empty()) {
      std::lock_guard lock(mutex_);
      events_.insert(events_.end(), fresh.begin(), fresh.end());
    }
  }
}

}  // namespace faultline::runner
