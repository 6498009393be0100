// The docker runtime's stack: network, configs, containers, readiness,
// supervision and teardown (see docker_stack.h).

#include "harness/stack/docker_stack.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/platform/netns.h"
#include "harness/platform/unique_fd.h"
#include "harness/stack/docker_spec.h"
#include "harness/stack/http_probe.h"
#include "harness/stack/own_config.h"
#include "harness/stack/own_config_running.h"
#include "harness/stack/render.h"

namespace faultline::stack::docker {

namespace fs = std::filesystem;

namespace {

Status write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return Error{"cannot write " + path};
  }
  return {};
}

// The last `lines` lines of `text`.
std::string tail_lines(const std::string& text, int lines) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') {
    --pos;
  }
  for (int n = 0; n < lines && pos > 0; ++n) {
    const size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      return text;
    }
    pos = nl;
  }
  return pos == 0 ? text : text.substr(pos + 1);
}

}  // namespace

Status validate_for_docker(const experiment::Stack& stack) {
  if (stack.runtime != experiment::kRuntimeDocker) {
    return Error{fmt::format("stack.runtime '{}' is not the docker runtime", stack.runtime)};
  }
  for (const auto& s : stack.services) {
    if (s.kind != experiment::ServiceKind::haproxy && s.kind != experiment::ServiceKind::nginx) {
      return Error{fmt::format("service {}: kind {} does not run on runtime docker", s.name,
                               experiment::to_string(s.kind))};
    }
    if (s.image.empty()) {
      return Error{fmt::format("service {}: runtime docker needs its image", s.name)};
    }
    if (s.has_own_config()) {
      continue;  // its own backends and balance, which validate checked
    }
    if (s.kind == experiment::ServiceKind::haproxy &&
        (!s.is_load_balancer() || !haproxy_balance(s.balance))) {
      return Error{
          fmt::format("service {}: HAProxy needs backends and a balance algorithm it knows", s.name)};
    }
    if (s.kind == experiment::ServiceKind::nginx && s.is_load_balancer() &&
        !nginx_balance_directive(s.balance)) {
      return Error{fmt::format("service {}: nginx has no balance algorithm '{}'", s.name, s.balance)};
    }
  }
  return {};
}

Status DockerStack::create_network(const ProgressFn& progress) {
  auto made = api_.create_network(network_spec(plan_, id_));
  if (!made) {
    return made.error().to_error();
  }
  network_made_ = true;
  if (progress) {
    progress(fmt::format("network {} ({}, bridge {})", network_name(id_.run_id), plan_.subnet, plan_.bridge));
  }
  return {};
}

Status DockerStack::write_configs(const experiment::Experiment& exp) {
  backend_header_ = exp.load.backend_header;
  for (const auto& ps : plan_.services) {
    const experiment::Service* svc = exp.stack.find(ps.name);
    if (svc == nullptr) {
      return Error{fmt::format("service {} is in the plan but not in the experiment", ps.name)};
    }
    const std::string dir = id_.run_dir + "/" + ps.name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return Error{fmt::format("service {}: cannot create {}: {}", ps.name, dir, ec.message())};
    }
    dirs_made_.push_back(dir);
    ServiceInstance inst;
    inst.planned = ps;
    inst.log_dir = dir;
    RenderPaths paths;
    paths.dir = dir;
    std::string text;
    if (svc->has_own_config()) {
      // The netns runtime's copy, run as there: its folder is in the run
      // folder, mounted at the same path, and the team's folder is mounted
      // at its own path for the links in the copy.
      auto copy = run_own_copy(*svc, dir, exp.source_file, inst);
      if (!copy) {
        return copy.error();
      }
      ServerSetup setup;
      setup.config = copy->main_copy;
      setup.base_dir = ps.kind == experiment::ServiceKind::haproxy ? copy->working_dir : copy->copy_dir;
      setup.team_dir = copy->folder;
      services_.push_back(std::move(inst));
      setups_.push_back(std::move(setup));
      containers_.emplace_back();
      expected_down_.push_back(false);
      exit_reported_.push_back(false);
      continue;
    }
    if (ps.kind == experiment::ServiceKind::haproxy) {
      // The run folder is mounted at the same path, so the socket HAProxy
      // makes inside the container is this path on the host.
      paths.runtime_socket = dir + "/admin.sock";
      inst.config_path = dir + "/haproxy.cfg";
      inst.runtime_socket = paths.runtime_socket;
      inst.backend_name = haproxy_backend_name(ps.name);
      // The run folder is mounted at the same path: the certificate files
      // are where the config names them inside the container too.
      if (svc->tls) {
        if (auto st = tls_.prepare(ps, dir, paths, inst); !st) {
          return st;
        }
      }
      text = render_haproxy(*svc, plan_, paths);
    } else {
      inst.config_path = dir + "/nginx.conf";
      if (svc->is_load_balancer()) {
        inst.backend_name = haproxy_backend_name(ps.name);
        if (svc->tls) {
          if (auto st = tls_.prepare(ps, dir, paths, inst); !st) {
            return st;
          }
        }
        text = render_nginx_lb(*svc, plan_, paths);
      } else {
        text = render_nginx_backend(*svc, plan_, paths, exp.load.backend_header);
      }
    }
    if (auto st = write_text(inst.config_path, text); !st) {
      return st;
    }
    setups_.push_back(rendered_setup(*svc, inst.config_path));
    services_.push_back(std::move(inst));
    containers_.emplace_back();
    expected_down_.push_back(false);
    exit_reported_.push_back(false);
  }
  return {};
}

Status DockerStack::start_containers(const experiment::Experiment& exp, const ProgressFn& progress) {
  // Created one by one, in service order (a create is quick, and the first
  // that fails, such as a missing image, is the one reported), then started
  // wave by wave (start_waves): the services of a wave at once, each by a
  // thread of its own, since most of a start is the daemon waiting (the
  // network endpoint, runc) and that overlaps across containers. A failure
  // leaves the containers made so far to the caller's teardown, which finds
  // them by the run's label.
  const auto deadline = Clock::now() + kReadyTimeout;
  images_.assign(services_.size(), {});
  auto& images = images_;
  for (size_t i = 0; i < services_.size(); ++i) {
    const auto& ps = services_[i].planned;
    const experiment::Service* svc = exp.stack.find(ps.name);
    images[i] = svc->image;
    const std::string log_dir = ps.kind == experiment::ServiceKind::nginx ? services_[i].log_dir : "";
    auto created = api_.create_container(container_spec(*svc, ps, id_, setups_[i], log_dir));
    if (!created) {
      if (created.error().not_found()) {
        return Error{
            fmt::format("service {}: image {} is not on this Docker host (build or pull it first): {}",
                        ps.name, svc->image, created.error().describe())};
      }
      return Error{fmt::format("service {}: {}", ps.name, created.error().describe())};
    }
    containers_[i] = created->id;
  }
  // Each thread writes only its own slot; read in service order once the
  // wave is done, so progress and the error reported are as one by one.
  std::vector<std::string> errors(services_.size());
  std::vector<int> pids(services_.size(), 0);
  auto start_one = [&](size_t i) {
    const std::string& name = services_[i].planned.name;
    if (auto st = api_.start(containers_[i]); !st) {
      errors[i] = fmt::format("service {}: {}\n{}", name, st.error().describe(), logs_of(i, 10));
      return;
    }
    auto info = api_.inspect(containers_[i]);
    if (!info) {
      errors[i] = fmt::format("service {}: {}", name, info.error().describe());
    } else if (!info->state.running || info->state.pid <= 0) {
      errors[i] = fmt::format("service {}: its container exited at once (exit code {})\n{}", name,
                              info->state.exit_code, logs_of(i, 10));
    } else {
      pids[i] = info->state.pid;
    }
  };
  const auto waves = start_waves(exp);
  for (size_t w = 0; w < waves.size(); ++w) {
    std::vector<std::thread> workers;
    workers.reserve(waves[w].size());
    for (const size_t i : waves[w]) {
      workers.emplace_back(start_one, i);
    }
    for (auto& t : workers) {
      t.join();
    }
    for (const size_t i : waves[w]) {
      if (!errors[i].empty()) {
        return Error{errors[i]};
      }
      auto& inst = services_[i];
      // docker-init, the container's first process: its network namespace
      // is the service's, and a signal to it reaches the server.
      inst.pid = pids[i];
      if (progress) {
        progress(fmt::format("container {} ({}, {}) started, pid {}",
                             container_name(id_.run_id, inst.planned.name), images[i], inst.planned.address,
                             inst.pid));
      }
    }
    // The next wave balances across this one: it starts once these answer,
    // or its first health checks would find them down.
    if (w + 1 < waves.size()) {
      if (auto st = wait_ready(waves[w], deadline); !st) {
        return st;
      }
    }
  }
  return {};
}

std::vector<std::vector<size_t>> DockerStack::start_waves(const experiment::Experiment& exp) const {
  // A load balancer started before its backends answer would find them
  // down at its first health checks and keep them out of rotation until
  // they pass `rise` checks again, well into the load (the baseline shares
  // came out 42/39/19 instead of a third each). So a service starts in the
  // wave after the last of the services it balances across; each wave holds
  // every service whose backends are all in earlier ones.
  std::vector<std::vector<size_t>> waves;
  std::vector<bool> started(services_.size(), false);
  size_t placed = 0;
  while (placed < services_.size()) {
    std::vector<size_t> wave;
    for (size_t i = 0; i < services_.size(); ++i) {
      const experiment::Service* svc = exp.stack.find(services_[i].planned.name);
      const bool ready =
          !started[i] && std::all_of(svc->backends.begin(), svc->backends.end(), [&](const std::string& b) {
            const auto at = index_of(b);
            return !at || started[*at];
          });
      if (ready) {
        wave.push_back(i);
      }
    }
    if (wave.empty()) {
      // A cycle, which validation refuses: the rest together.
      for (size_t i = 0; i < services_.size(); ++i) {
        if (!started[i]) {
          wave.push_back(i);
        }
      }
    }
    for (const size_t i : wave) {
      started[i] = true;
    }
    placed += wave.size();
    waves.push_back(std::move(wave));
  }
  return waves;
}

bool DockerStack::is_balancer(size_t i) const {
  // A rendered balancer has a backend's name; one run from the team's
  // config is HAProxy, or nginx with the upstream log faultline added.
  return services_[i].planned.kind == experiment::ServiceKind::haproxy ||
         !services_[i].backend_name.empty() || !services_[i].upstream_log.empty();
}

std::string DockerStack::probe_path(size_t i) const {
  const auto& ps = services_[i].planned;
  if (is_balancer(i) || ps.health_paths.empty()) {
    return "/";
  }
  return ps.health_paths.front();
}

std::vector<size_t> DockerStack::all_services() const {
  std::vector<size_t> all(services_.size());
  for (size_t i = 0; i < all.size(); ++i) {
    all[i] = i;
  }
  return all;
}

Status DockerStack::wait_ready(Clock::time_point deadline) {
  return wait_ready(all_services(), deadline);
}

Status DockerStack::wait_ready(const std::vector<size_t>& which, Clock::time_point deadline) {
  std::vector<size_t> pending = which;
  std::vector<std::string> last_error(services_.size(), "no answer yet");
  while (!pending.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      const auto& ps = services_[*it].planned;
      auto resp = http_get(ps.address, ps.port, probe_path(*it), kProbeTimeout, ps.tls);
      if (!resp) {
        last_error[*it] = resp.error().message;
        ++it;
      } else if (is_balancer(*it) && resp->status >= 500 && resp->header(backend_header_).empty()) {
        // Up, but through to no backend yet: the load would fail for a
        // reason that is not the experiment's.
        last_error[*it] =
            fmt::format("it answers {} without a backend's {} header", resp->status, backend_header_);
        ++it;
      } else {
        it = pending.erase(it);
      }
    }
    if (pending.empty()) {
      break;
    }
    if (Clock::now() >= deadline) {
      const size_t i = pending.front();
      const auto& ps = services_[i].planned;
      return Error{fmt::format("service {} did not become ready at {}:{}: {}\n{}", ps.name, ps.address,
                               ps.port, last_error[i], logs_of(i, 10))};
    }
    // Between rounds, a container that has exited is an answer too.
    if (auto st = check_alive(which); !st) {
      return st;
    }
    std::this_thread::sleep_for(50ms);
  }
  return {};
}

std::string DockerStack::logs_of(size_t i, int lines) const {
  if (containers_[i].empty()) {
    return {};
  }
  auto logs = api_.logs(containers_[i], lines);
  if (!logs) {
    return "  (its logs: " + logs.error().describe() + ")";
  }
  std::string out;
  for (const std::string* stream : {&logs->err, &logs->out}) {
    if (!stream->empty()) {
      out += tail_lines(*stream, lines);
      if (out.back() != '\n') {
        out += '\n';
      }
    }
  }
  return out.empty() ? std::string{} : "its container's last lines:\n" + out;
}

std::optional<size_t> DockerStack::index_of(const std::string& service) const {
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i].planned.name == service) {
      return i;
    }
  }
  return std::nullopt;
}

void DockerStack::set_expected_down(const std::string& service, bool down) {
  if (auto i = index_of(service)) {
    expected_down_[*i] = down;
  }
}

Status DockerStack::check_alive() {
  return check_alive(all_services());
}

Status DockerStack::check_alive(const std::vector<size_t>& which) {
  if (torn_down_) {
    return Error{"the stack has been torn down"};
  }
  for (const size_t i : which) {
    if (expected_down_[i] || containers_[i].empty()) {
      continue;
    }
    const auto& ps = services_[i].planned;
    auto info = api_.inspect(containers_[i]);
    if (!info) {
      return Error{
          fmt::format("{} {}: {}", experiment::to_string(ps.kind), ps.name, info.error().describe())};
    }
    if (!info->state.running) {
      const std::string what =
          fmt::format("container {} is {} with exit code {}", container_name(id_.run_id, ps.name),
                      info->state.status, info->state.exit_code);
      if (!exit_reported_[i]) {
        exit_reported_[i] = true;
        service_exits_.push_back({ps.name, what, true});
      }
      return Error{
          fmt::format("{} {} ({})\n{}", experiment::to_string(ps.kind), ps.name, what, logs_of(i, 5))};
    }
  }
  return {};
}

Status DockerStack::in_netns(const std::string& service, const std::function<Status()>& fn) {
  auto i = index_of(service);
  if (!i) {
    return Error{"no service named " + service + " in the stack"};
  }
  if (torn_down_) {
    return Error{"service " + service + ": the stack has been torn down"};
  }
  // Opened afresh each time: a container that restarted has a new
  // namespace (and pid), so a descriptor kept from the start would be stale.
  auto info = api_.inspect(containers_[*i]);
  if (!info) {
    return Error{fmt::format("service {}: {}", service, info.error().describe())};
  }
  if (!info->state.running || info->state.pid <= 0) {
    return Error{fmt::format("service {}: its container is {}", service, info->state.status)};
  }
  auto fd = platform::open_netns_of(info->state.pid);
  if (!fd) {
    return Error{fmt::format("service {}: {}", service, fd.error().message)};
  }
  return platform::run_in_netns(fd->get(), fn);
}

void DockerStack::teardown() {
  teardown_collect();
}

std::vector<std::string> DockerStack::teardown_collect() {
  std::vector<std::string> errors;
  if (torn_down_) {
    return errors;
  }
  torn_down_ = true;
  const std::vector<std::string> run_label = {std::string(kRunLabel) + "=" + id_.run_id};
  // By label rather than by the ids kept: a container whose create
  // answered too late to be recorded is still the run's.
  if (auto listed = api_.list_containers(run_label)) {
    // All at once, as they were started: a forced remove is mostly the
    // daemon waiting for the container's processes to die.
    std::vector<std::string> failed(listed->size());
    std::vector<std::thread> workers;
    workers.reserve(listed->size());
    for (size_t i = 0; i < listed->size(); ++i) {
      workers.emplace_back([&, i] {
        if (auto st = api_.remove((*listed)[i].id, true, true); !st && !st.error().not_found()) {
          failed[i] = st.error().describe();
        }
      });
    }
    for (auto& w : workers) {
      w.join();
    }
    for (auto& f : failed) {
      if (!f.empty()) {
        errors.push_back(std::move(f));
      }
    }
  } else {
    errors.push_back(listed.error().describe());
  }
  if (auto listed = api_.list_networks(run_label)) {
    for (const auto& n : *listed) {
      if (auto st = api_.remove_network(n.id); !st && !st.error().not_found()) {
        errors.push_back(st.error().describe());
      }
    }
  } else {
    errors.push_back(listed.error().describe());
  }
  network_made_ = false;
  for (const auto& dir : dirs_made_) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
      errors.push_back(fmt::format("cannot remove {}: {}", dir, ec.message()));
    }
  }
  dirs_made_.clear();
  for (const auto& e : errors) {
    spdlog::warn("run {}: teardown: {}", id_.run_id, e);
  }
  return errors;
}

}  // namespace faultline::stack::docker
