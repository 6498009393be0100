// runtime compose: the attached project's containers as a RunningStack
// (compose_stack.h).

#include "harness/stack/compose_stack.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "harness/common/text.h"
#include "harness/platform/command.h"
#include "harness/platform/container_files.h"
#include "harness/platform/netns.h"
#include "harness/platform/unique_fd.h"
#include "harness/stack/compose_sweep.h"
#include "harness/stack/haproxy_conf.h"
#include "harness/stack/http_probe.h"

namespace faultline::stack::compose {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kRestartTimeout = 30s;

// A path a fault read through an earlier pid, as the container names it.
std::optional<std::string> inside_path(const std::string& path) {
  const auto in = platform::split_container_path(path);
  return in ? std::optional<std::string>(in->inside) : std::nullopt;
}

std::vector<std::string> cmdline_of(int pid) {
  const std::string raw = read_text(fmt::format("/proc/{}/cmdline", pid));
  std::vector<std::string> out;
  size_t start = 0;
  while (start < raw.size()) {
    const size_t end = raw.find('\0', start);
    out.push_back(raw.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

std::vector<int> children_of(int pid) {
  std::vector<int> out;
  for (const auto& word : split_words(read_text(fmt::format("/proc/{}/task/{}/children", pid, pid)))) {
    try {
      out.push_back(std::stoi(word));
    } catch (const std::exception&) {
    }
  }
  return out;
}

// The nginx master: the container's first process when that is nginx,
// else its nginx child (docker-init, tini or a shell in front). A SIGHUP
// to docker-init would reach it too, but a shell would not pass it on.
int nginx_master(int pid) {
  if (trim(read_text(fmt::format("/proc/{}/comm", pid))) == "nginx") {
    return pid;
  }
  for (int child : children_of(pid)) {
    if (trim(read_text(fmt::format("/proc/{}/comm", child))) == "nginx") {
      return child;
    }
  }
  return pid;
}

}  // namespace

std::optional<std::string> config_file_in_command(experiment::ServiceKind kind,
                                                  const std::vector<std::string>& args) {
  const std::string program = kind == experiment::ServiceKind::haproxy ? "haproxy" : "nginx";
  const std::string flag = kind == experiment::ServiceKind::haproxy ? "-f" : "-c";
  bool in_server = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!in_server) {
      in_server = fs::path(args[i]).filename() == program;
      continue;
    }
    if (args[i] == flag && i + 1 < args.size()) {
      return args[i + 1];
    }
    if (args[i].size() > flag.size() && starts_with(args[i], flag)) {
      return args[i].substr(flag.size());  // "-f/etc/haproxy/haproxy.cfg"
    }
  }
  return std::nullopt;
}

std::string server_config_file(experiment::ServiceKind kind, int pid, const std::string& root) {
  std::vector<int> pids = {pid};
  for (int child : children_of(pid)) {
    pids.push_back(child);
  }
  for (int p : pids) {
    if (auto file = config_file_in_command(kind, cmdline_of(p)); file && !file->empty()) {
      // nginx reads a relative -c from its prefix; the image's working
      // directory is the best guess faultline has, and "/" the usual one.
      return file->front() == '/' ? *file : "/" + *file;
    }
  }
  const std::vector<std::string> candidates =
      kind == experiment::ServiceKind::haproxy
          ? std::vector<std::string>{"/etc/haproxy/haproxy.cfg", "/usr/local/etc/haproxy/haproxy.cfg"}
          : std::vector<std::string>{"/etc/nginx/nginx.conf"};
  for (const auto& c : candidates) {
    if (platform::exists_confined(root + c)) {
      return c;
    }
  }
  return candidates.front();
}

std::string admin_socket_of(const std::string& config_text) {
  auto config = haproxy_conf::parse(config_text, "haproxy.cfg");
  if (!config) {
    return {};
  }
  for (const auto& s : haproxy_conf::stats_sockets(*config)) {
    if (s.level == "admin" && !s.path.empty()) {
      return s.path;
    }
  }
  return {};
}

ComposeStack::ComposeStack(platform::DockerApi api, RunIdentity id, std::string project, Plan plan,
                           std::vector<ServiceInstance> services, std::vector<Attached> attached)
    : api_(std::move(api)),
      id_(std::move(id)),
      project_(std::move(project)),
      plan_(std::move(plan)),
      services_(std::move(services)),
      attached_(std::move(attached)),
      expected_down_(services_.size(), false),
      exit_reported_(services_.size(), false),
      paused_by_us_(services_.size(), false),
      netns_recorded_(services_.size(), false) {
  for (const auto& s : services_) {
    records_.emplace_back(s.log_dir);
  }
}

std::optional<size_t> ComposeStack::index_of(const std::string& instance) const {
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i].planned.name == instance) {
      return i;
    }
  }
  return std::nullopt;
}

std::vector<size_t> ComposeStack::indexes_of(const std::string& service) const {
  if (auto i = index_of(service)) {
    return {*i};
  }
  std::vector<size_t> out;
  for (size_t i = 0; i < attached_.size(); ++i) {
    if (attached_[i].container.service == service) {
      out.push_back(i);
    }
  }
  return out;
}

Result<platform::ContainerInfo> ComposeStack::read(size_t i) {
  auto& c = attached_[i].container;
  return inspect_again(api_, project_, c.service, c.number, c.id, c.name);
}

void ComposeStack::set_pid(size_t i, int pid) {
  auto& a = attached_[i];
  if (pid == a.pid) {
    return;
  }
  a.pid = pid;
  auto& inst = services_[i];
  inst.pid = pid;
  if (!a.config_file.empty()) {
    inst.config_path = platform::container_path(pid, a.config_file);
  }
  if (!a.admin_socket.empty()) {
    inst.runtime_socket = platform::container_path(pid, a.admin_socket);
  }
}

Result<int> ComposeStack::current_pid(size_t i) {
  auto info = read(i);
  if (!info) {
    return info.error();
  }
  if (!info->state.running || info->state.pid <= 0) {
    return 0;
  }
  set_pid(i, info->state.pid);
  return info->state.pid;
}

Result<int> ComposeStack::running_pid(size_t i, const std::string& service) {
  auto pid = current_pid(i);
  if (!pid) {
    return Error{fmt::format("service {}: {}", service, pid.error().message)};
  }
  if (*pid == 0) {
    return Error{
        fmt::format("service {}: container {} is not running", service, attached_[i].container.name)};
  }
  return *pid;
}

Status ComposeStack::check_alive() {
  if (torn_down_) {
    return Error{"the stack has been torn down"};
  }
  for (size_t i = 0; i < services_.size(); ++i) {
    if (expected_down_[i]) {
      continue;
    }
    const auto& name = services_[i].planned.name;
    const std::string kind = experiment::to_string(services_[i].planned.kind);
    auto info = read(i);
    if (!info) {
      return Error{fmt::format("{} {}: {}", kind, name, info.error().message)};
    }
    const auto& st = info->state;
    if (st.running && st.pid > 0) {
      if (attached_[i].pid != 0 && st.pid != attached_[i].pid) {
        // Its restart policy brought it back: a new process and a new
        // network namespace, which the timeline should show.
        service_exits_.push_back(
            {name,
             fmt::format("container {} was restarted (restart count {}, pid {} -> {})",
                         attached_[i].container.name, info->restart_count, attached_[i].pid, st.pid),
             false});
      }
      set_pid(i, st.pid);
      exit_reported_[i] = false;
      continue;
    }
    if (st.restarting) {
      if (!exit_reported_[i]) {
        exit_reported_[i] = true;
        service_exits_.push_back(
            {name,
             fmt::format("container {} exited (code {}); its restart policy is restarting it",
                         attached_[i].container.name, st.exit_code),
             false});
      }
      continue;
    }
    const std::string what = fmt::format("container {} is {} with exit code {}", attached_[i].container.name,
                                         st.status, st.exit_code);
    if (!exit_reported_[i]) {
      exit_reported_[i] = true;
      service_exits_.push_back({name, what, true});
    }
    return Error{fmt::format("{} {} ({})", kind, name, what)};
  }
  return {};
}

Status ComposeStack::in_netns(const std::string& service, const std::function<Status()>& fn) {
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
  }
  const auto indexes = indexes_of(service);
  if (indexes.empty()) {
    return Error{"no service named " + service + " in the stack"};
  }
  for (size_t i : indexes) {
    auto pid = running_pid(i, service);
    if (!pid) {
      return pid.error();
    }
    auto fd = platform::open_netns_of(*pid);
    if (!fd) {
      return Error{fmt::format("service {}: {}", service, fd.error().message)};
    }
    if (auto st = record_netns(i, fd->get()); !st) {
      return Error{fmt::format("service {}: {}", service, st.error().message)};
    }
    if (auto st = platform::run_in_netns(fd->get(), fn); !st) {
      return st;
    }
  }
  return {};
}

void ComposeStack::set_expected_down(const std::string& service, bool down) {
  for (size_t i : indexes_of(service)) {
    expected_down_[i] = down;
  }
}

Status ComposeStack::signal(const std::string& service, int sig) {
  const auto indexes = indexes_of(service);
  if (indexes.empty()) {
    return Error{"no service named " + service + " in the stack"};
  }
  for (size_t i : indexes) {
    auto pid = running_pid(i, service);
    if (!pid) {
      return pid.error();
    }
    if (::kill(*pid, sig) != 0) {
      return Error{fmt::format("service {}: cannot signal pid {}: {}", service, *pid, std::strerror(errno))};
    }
  }
  return {};
}

Status ComposeStack::pause(const std::string& service) {
  const auto indexes = indexes_of(service);
  if (indexes.empty()) {
    return Error{"no service named " + service + " in the stack"};
  }
  for (size_t i : indexes) {
    // Read first: a pause of a container that is not running, or that the
    // team paused itself, would freeze nothing, and the journal would say
    // it did; and faultline must not unpause at revert what it found paused.
    auto info = read(i);
    if (!info) {
      return Error{fmt::format("service {}: {}", service, info.error().message)};
    }
    if (info->state.paused) {
      return Error{
          fmt::format("service {}: container {} was paused already (not by faultline); nothing "
                      "was frozen, and it is left paused",
                      service, attached_[i].container.name)};
    }
    if (!info->state.running) {
      return Error{fmt::format("service {}: container {} is {}: there is nothing to freeze", service,
                               attached_[i].container.name, info->state.status)};
    }
    // Recorded first: a run killed right after the pause leaves the
    // record cleanup unpauses by.
    if (auto st = records_[i].mark(Mark::paused); !st) {
      return Error{fmt::format("service {}: {}", service, st.error().message)};
    }
    if (auto st = api_.pause(attached_[i].container.id); !st) {
      records_[i].drop(Mark::paused);
      return Error{fmt::format("service {}: {}", service, st.error().describe())};
    }
    paused_by_us_[i] = true;
  }
  return {};
}

Status ComposeStack::unpause(const std::string& service) {
  Status out;
  for (size_t i : indexes_of(service)) {
    if (!paused_by_us_[i]) {
      continue;  // not faultline's pause: left as it is
    }
    auto info = read(i);
    if (info && !info->state.paused) {
      paused_by_us_[i] = false;  // thawed already: the API would answer 500
      records_[i].drop(Mark::paused);
      continue;
    }
    if (auto st = api_.unpause(attached_[i].container.id); !st) {
      // Still faultline's to thaw: teardown tries it again.
      if (out) {
        out = Error{fmt::format("service {}: {}", service, st.error().describe())};
      }
      continue;
    }
    paused_by_us_[i] = false;
    records_[i].drop(Mark::paused);
  }
  return out;
}

Status ComposeStack::restart(const std::string& service) {
  const auto indexes = indexes_of(service);
  if (indexes.empty()) {
    return Error{"no service named " + service + " in the stack"};
  }
  for (size_t i : indexes) {
    auto info = read(i);
    if (!info) {
      return Error{fmt::format("service {}: {}", service, info.error().message)};
    }
    // A container its restart policy restarted (or is restarting) must
    // not be started twice; only one that stays down gets an API start.
    if (!info->state.running && !info->state.restarting) {
      if (auto st = api_.start(attached_[i].container.id); !st) {
        return Error{fmt::format("service {}: {}", service, st.error().describe())};
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + kRestartTimeout;
    const auto& ps = services_[i].planned;
    for (;;) {
      auto pid = current_pid(i);
      if (pid && *pid > 0 &&
          (ps.kind == experiment::ServiceKind::process ||
           http_get(ps.address, ps.port, "/", 250ms, ps.tls))) {
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return Error{
            fmt::format("service {}: container {} did not answer at {}:{} within {} s after its start",
                        service, attached_[i].container.name, ps.address, ps.port,
                        std::chrono::duration_cast<std::chrono::seconds>(kRestartTimeout).count())};
      }
      std::this_thread::sleep_for(100ms);
    }
    exit_reported_[i] = false;
    records_[i].drop(Mark::killed);
  }
  return {};
}

Status ComposeStack::write_files(size_t i, int pid,
                                 const std::vector<std::pair<std::string, std::string>>& files) {
  // What the bookkeeping was, for a write or check that fails: the files
  // are then rolled back to where they were, and so is the record.
  const auto found = originals_.find(i);
  const std::map<std::string, std::string> saved =
      found == originals_.end() ? std::map<std::string, std::string>{} : found->second;
  auto& originals = originals_[i];
  std::vector<std::pair<std::string, std::string>> written;  // inside path, text before
  auto fail = [&](Error e) -> Status {
    for (const auto& [inside, before] : written) {
      if (auto st = platform::write_in_place(platform::container_path(pid, inside), before); !st) {
        spdlog::warn("service {}: {}", services_[i].planned.name, st.error().message);
      }
    }
    if (saved.empty()) {
      originals_.erase(i);
    } else {
      originals_[i] = saved;
    }
    if (auto st = record_originals(i); !st) {
      spdlog::warn("service {}: {}", services_[i].planned.name, st.error().message);
    }
    return e;
  };
  for (const auto& [inside, text] : files) {
    const std::string path = platform::container_path(pid, inside);
    const auto before = platform::read_confined(path);
    if (!before) {
      return fail(
          Error{fmt::format("no such config file in container {}: {}", attached_[i].container.name, inside)});
    }
    if (originals.find(inside) == originals.end()) {
      // Recorded before the write: a run killed right after it leaves the
      // bytes cleanup puts back.
      originals[inside] = *before;
      if (auto st = record_originals(i); !st) {
        return fail(st.error());
      }
    }
    if (auto st = platform::write_in_place(path, text); !st) {
      return fail(st.error());
    }
    written.emplace_back(inside, *before);
    if (originals[inside] == text) {
      originals.erase(inside);  // back as found
    }
  }
  if (auto st = check_and_signal(i, pid); !st) {
    return fail(st.error());
  }
  if (originals_[i].empty()) {
    originals_.erase(i);
  }
  // Files back as found are no longer cleanup's to put back.
  if (auto st = record_originals(i); !st) {
    spdlog::warn("service {}: {}", services_[i].planned.name, st.error().message);
  }
  return {};
}

Status check_and_reload_nginx(int pid, const std::string& config_file, const std::string& container) {
  // nginx's own check, as the server reads its files: inside the
  // container's mount namespace (its root, its includes) and network
  // namespace (upstream names resolve through the project's DNS).
  const std::vector<std::string> check = {"nsenter",  fmt::format("--target={}", pid),
                                          "--mount",  "--net",
                                          "--root",   "--wd",
                                          "nginx",    "-t",
                                          "-q",       "-c",
                                          config_file};
  auto out = platform::run_command(check, 20s);
  if (!out) {
    return out.error();
  }
  if (!out->succeeded()) {
    return Error{
        fmt::format("the config fails nginx -t in container {}: {}", container, trim(out->err + out->out))};
  }
  // kill(2) from the host, never the Engine API's kill: the daemon counts
  // an API signal as a manual stop and the restart policy would no longer
  // apply to the container.
  const int master = nginx_master(pid);
  if (::kill(master, SIGHUP) != 0) {
    return Error{fmt::format("cannot signal nginx (pid {}) in container {} to reload: {}", master, container,
                             std::strerror(errno))};
  }
  return {};
}

Status ComposeStack::check_and_signal(size_t i, int pid) {
  if (auto st = check_and_reload_nginx(pid, attached_[i].config_file, attached_[i].container.name); !st) {
    return Error{fmt::format("service {}: {}", services_[i].planned.name, st.error().message)};
  }
  return {};
}

Status ComposeStack::reload(const std::string& service, const std::string& new_config_text) {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  return reload_files(service, {{services_[*i].config_path, new_config_text}});
}

Status ComposeStack::reload_files(const std::string& service, const std::vector<ConfigFileText>& files) {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (services_[*i].planned.kind != experiment::ServiceKind::nginx) {
    return Error{fmt::format(
        "service {}: on runtime compose faultline changes HAProxy through its runtime API only; it does not "
        "rewrite and reload an attached HAProxy's config",
        service)};
  }
  auto pid = current_pid(*i);
  if (!pid) {
    return pid.error();
  }
  if (*pid == 0) {
    return Error{
        fmt::format("service {}: container {} is not running", service, attached_[*i].container.name)};
  }
  std::vector<std::pair<std::string, std::string>> inside;
  for (const auto& f : files) {
    auto path = inside_path(f.path);
    if (!path) {
      return Error{fmt::format("service {}: {} is not a file of its container", service, f.path)};
    }
    inside.emplace_back(*path, f.text);
  }
  return write_files(*i, *pid, inside);
}

Status ComposeStack::put_back(size_t i) {
  const auto it = originals_.find(i);
  if (it == originals_.end()) {
    return {};
  }
  auto pid = current_pid(i);
  if (!pid) {
    return pid.error();
  }
  if (*pid == 0) {
    return Error{fmt::format("container {} is not running: its config could not be put back",
                             attached_[i].container.name)};
  }
  // The bytes found go back whatever the check says of them: a check can
  // reject the team's own file for a reason of the moment (a backend a
  // fault stopped no longer resolves), and rolling back to the fault's
  // text would leave the fault in the team's file. Only the reload waits
  // for a check that passes.
  const auto files = std::exchange(originals_[i], {});
  originals_.erase(i);
  std::string failed;
  for (const auto& [inside, text] : files) {
    if (auto st = platform::write_in_place(platform::container_path(*pid, inside), text); !st) {
      originals_[i][inside] = text;  // teardown tries it again
      failed += (failed.empty() ? "" : "; ") + st.error().message;
    }
  }
  // What is back is no longer cleanup's to put back; what failed stays
  // recorded.
  if (auto st = record_originals(i); !st) {
    spdlog::warn("service {}: {}", services_[i].planned.name, st.error().message);
  }
  if (!failed.empty()) {
    return Error{fmt::format("container {}: config not put back: {}", attached_[i].container.name, failed)};
  }
  if (auto st = check_and_signal(i, *pid); !st) {
    return Error{fmt::format("container {}: its config files are back as found, but were not reloaded: {}",
                             attached_[i].container.name, st.error().message)};
  }
  return {};
}

void ComposeStack::teardown() {
  if (torn_down_) {
    return;
  }
  // A fault that failed to revert may have left a container paused or a
  // config file changed, which faultline keeps track of here: those go back
  // as found whatever happened. A limit or a network fault that failed to
  // revert is not retried here; its failed revert is in the journal.
  for (size_t i = 0; i < services_.size(); ++i) {
    if (paused_by_us_[i]) {
      if (auto st = unpause(services_[i].planned.name); !st) {
        spdlog::warn("run {}: {}", id_.run_id, st.error().message);
      }
    }
    if (auto st = put_back(i); !st) {
      spdlog::warn("run {}: service {}: {}", id_.run_id, services_[i].planned.name, st.error().message);
    }
    undo_network(i);
    undo_servers(i);
  }
  torn_down_ = true;
}

Status ComposeStack::record_originals(size_t i) {
  const auto it = originals_.find(i);
  return records_[i].write_originals(it == originals_.end() ? std::map<std::string, std::string>{}
                                                            : it->second);
}

Status ComposeStack::record_netns(size_t i, int netns_fd) {
  if (netns_recorded_[i]) {
    return {};
  }
  // What the namespace holds before any fault: a netem or tbf, or an
  // iptables table, found there is the team's, which no undo removes.
  NetnsFound found;
  (void)platform::run_in_netns(netns_fd, [&]() -> Status {
    found = netns_as_found();
    return {};
  });
  if (auto st = records_[i].mark(Mark::netns, encode_netns(found)); !st) {
    return st;
  }
  netns_recorded_[i] = true;
  return {};
}

void ComposeStack::undo_network(size_t i) {
  const auto before = records_[i].marked(Mark::netns);
  if (!before) {
    return;
  }
  // Each fault has removed what it added unless its revert failed (which
  // the journal says); what is still there goes now, as cleanup would take
  // it after a kill. A container not running has no namespace left.
  auto pid = current_pid(i);
  if (pid && *pid > 0) {
    auto fd = platform::open_netns_of(*pid);
    if (!fd) {
      spdlog::warn("run {}: service {}: {}", id_.run_id, services_[i].planned.name, fd.error().message);
      return;
    }
    std::vector<std::string> removed;
    const auto st = platform::run_in_netns(fd->get(), [&]() -> Status {
      return remove_run_network_changes(id_.run_id, decode_netns(*before), removed);
    });
    // Info, not a warning: besides what a failed revert left (which the
    // journal has), this takes the empty table iptables-nft made for the
    // NFQUEUE rules, which no revert removes.
    for (const auto& r : removed) {
      spdlog::info("run {}: container {}: removed {}", id_.run_id, attached_[i].container.name, r);
    }
    if (!st) {
      spdlog::warn("run {}: container {}: {}", id_.run_id, attached_[i].container.name, st.error().message);
      return;
    }
  }
  records_[i].drop(Mark::netns);
}

void ComposeStack::undo_servers(size_t i) {
  auto servers = records_[i].servers();
  if (!servers || !*servers) {
    return;
  }
  if (attached_[i].admin_socket.empty()) {
    records_[i].drop_servers();
    return;
  }
  auto pid = current_pid(i);
  if (!pid) {
    spdlog::warn("run {}: container {}: {}", id_.run_id, attached_[i].container.name, pid.error().message);
    return;
  }
  if (*pid == 0) {
    records_[i].drop_servers();  // not running: its runtime settings went with its process
    return;
  }
  std::vector<std::string> done;
  const auto st =
      put_back_servers(platform::container_path(*pid, attached_[i].admin_socket), **servers, done);
  for (const auto& d : done) {
    spdlog::warn("run {}: {} in container {} (a fault had left it)", id_.run_id, d,
                 attached_[i].container.name);
  }
  if (!st) {
    spdlog::warn("run {}: container {}: {}", id_.run_id, attached_[i].container.name, st.error().message);
    return;
  }
  records_[i].drop_servers();
}

}  // namespace faultline::stack::compose
