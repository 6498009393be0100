// runtime compose: cleanup's undo of a killed run's changes on an attached
// project (compose_sweep.h).

#include "harness/stack/compose_sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "harness/common/text.h"
#include "harness/platform/cgroup.h"
#include "harness/platform/command.h"
#include "harness/platform/container_files.h"
#include "harness/platform/docker_api.h"
#include "harness/platform/haproxy_runtime_api.h"
#include "harness/platform/netem.h"
#include "harness/platform/netns.h"
#include "harness/platform/process.h"
#include "harness/platform/tc.h"
#include "harness/stack/compose_discovery.h"
#include "harness/stack/compose_stack.h"
#include "harness/stack/compose_undo.h"

namespace faultline::stack::compose {
namespace {

using namespace std::chrono_literals;

// The container's interface every network fault acts on
// (faults/common/net_target.h, kServiceInterface).
constexpr const char* kInterface = "eth0";
// How long a container started again gets to run before its other changes
// are undone (they need its process).
constexpr auto kStartTimeout = 20s;

// The comment after `--comment` in an iptables-save line, unquoted; empty
// when the rule has none.
std::string comment_of(const std::string& line) {
  const std::string key = "--comment ";
  const auto at = line.find(key);
  if (at == std::string::npos) {
    return {};
  }
  size_t i = at + key.size();
  std::string out;
  if (i < line.size() && line[i] == '"') {
    for (++i; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        ++i;
      }
      out += line[i];
    }
    return out;
  }
  const auto end = line.find(' ', i);
  return line.substr(i, end == std::string::npos ? std::string::npos : end - i);
}

// The namespace's nft tables, "<family> <name>" each; none without nft.
Result<std::vector<std::string>> nft_tables() {
  std::vector<std::string> out;
  if (!platform::find_executable("nft")) {
    return out;
  }
  const std::vector<std::string> argv = {"nft", "list", "tables"};
  auto listed = platform::run_command(argv);
  if (!listed) {
    return listed.error();
  }
  if (!listed->succeeded()) {
    return Error{platform::describe_failure(argv, *listed)};
  }
  for (const auto& line : split_lines(listed->out)) {
    const auto words = split_words(line);
    if (words.size() == 3 && words[0] == "table") {
      out.push_back(words[1] + " " + words[2]);
    }
  }
  return out;
}

bool is_iptables_table(const std::string& name) {
  return name == "filter" || name == "mangle" || name == "raw" || name == "nat" || name == "security";
}

// What one sweep of a run reports, each line naming the run.
class Sweep {
 public:
  Sweep(std::string run_id, CleanupReport& report) : run_id_(std::move(run_id)), report_(report) {}
  void done(const std::string& what) { report_.removed.push_back(fmt::format("run {}: {}", run_id_, what)); }
  void failed(const std::string& what) {
    report_.errors.push_back(fmt::format("run {}: {}", run_id_, what));
    clean_ = false;
  }
  const std::string& run_id() const { return run_id_; }
  bool clean() const { return clean_; }

 private:
  std::string run_id_;
  CleanupReport& report_;
  bool clean_ = true;
};

// The container by its id, else by its Compose labels; the record is
// updated with the one found (inspect_again).
Result<platform::ContainerInfo> find_container(const platform::DockerApi& api, ContainerRecord& c,
                                               bool* gone = nullptr) {
  return inspect_again(api, c.project, c.service, c.number, c.id, c.name, gone);
}

// Waits until the container runs (its restart policy or a start brought it
// back), reading it again; its info then, or the last error.
Result<platform::ContainerInfo> wait_running(const platform::DockerApi& api, ContainerRecord& c) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (;;) {
    auto info = find_container(api, c);
    if (info && info->state.running && info->state.pid > 0 && !info->state.restarting) {
      return info;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      if (!info) {
        return info.error();
      }
      return Error{fmt::format("container {} is {} {} s after it was started", c.name, info->state.status,
                               std::chrono::duration_cast<std::chrono::seconds>(kStartTimeout).count())};
    }
    std::this_thread::sleep_for(100ms);
  }
}

void start_if_killed(const platform::DockerApi& api, const UndoRecord& rec, ContainerRecord& c,
                     platform::ContainerInfo& info, Sweep& sweep) {
  if (!rec.marked(Mark::killed)) {
    return;
  }
  // Only a container that stays down: one its restart policy restarted (or
  // is restarting) is the team's policy at work, not faultline's to start.
  if (!info.state.running && !info.state.restarting) {
    if (auto st = api.start(c.id); !st) {
      sweep.failed(fmt::format("container {} that the run killed is {} and could not be started: {}", c.name,
                               info.state.status, st.error().describe()));
      return;
    }
    sweep.done(
        fmt::format("started container {} (the run had killed it; it was {})", c.name, info.state.status));
  }
  auto running = wait_running(api, c);
  if (!running) {
    sweep.failed(running.error().message);
    return;
  }
  info = *running;
  rec.drop(Mark::killed);
}

void unpause_if_paused(const platform::DockerApi& api, const UndoRecord& rec, const ContainerRecord& c,
                       platform::ContainerInfo& info, Sweep& sweep) {
  if (!rec.marked(Mark::paused)) {
    return;
  }
  if (info.state.paused) {
    if (auto st = api.unpause(c.id); !st) {
      sweep.failed(fmt::format("container {} that the run paused could not be unpaused: {}", c.name,
                               st.error().describe()));
      return;
    }
    sweep.done(fmt::format("unpaused container {}", c.name));
    info.state.paused = false;
  }
  rec.drop(Mark::paused);
}

void undo_network(const UndoRecord& rec, const ContainerRecord& c, int pid, Sweep& sweep) {
  const auto before = rec.marked(Mark::netns);
  if (!before) {
    return;
  }
  auto fd = platform::open_netns_of(pid);
  if (!fd) {
    sweep.failed(fmt::format("container {}: {}", c.name, fd.error().message));
    return;
  }
  std::vector<std::string> removed;
  const auto st = platform::run_in_netns(fd->get(), [&]() -> Status {
    return remove_run_network_changes(sweep.run_id(), decode_netns(*before), removed);
  });
  for (const auto& r : removed) {
    sweep.done(fmt::format("{} in container {}'s network namespace", r, c.name));
  }
  if (!st) {
    sweep.failed(fmt::format("container {}'s network namespace: {}", c.name, st.error().message));
    return;
  }
  rec.drop(Mark::netns);
}

void undo_limits(const UndoRecord& rec, const ContainerRecord& c, int pid, Sweep& sweep) {
  for (const auto& controller : rec.limited_controllers()) {
    auto originals = rec.cgroup_originals(controller);
    if (!originals) {
      sweep.failed(originals.error().message);
      continue;
    }
    // The group found again from the process: a container restarted since
    // has its group made afresh, maybe elsewhere.
    auto group = platform::cgroup_of_process(pid, controller);
    if (!group) {
      sweep.failed(fmt::format("container {}: its {} group: {}", c.name, controller, group.error().message));
      continue;
    }
    bool all = true;
    // The last file written first, as CgroupFileEdits::restore does.
    for (auto it = originals->rbegin(); it != originals->rend(); ++it) {
      const std::string path = group->dir + "/" + it->file;
      if (auto st = platform::cgroup_host().write(path, it->original); !st) {
        sweep.failed(fmt::format("container {}: cannot write {} back to {}: {}", c.name, it->original, path,
                                 st.error().message));
        all = false;
        break;
      }
      sweep.done(fmt::format("{} of container {} back to {}", it->file, c.name, it->original));
    }
    if (all) {
      rec.drop_cgroup(controller);
    }
  }
}

void undo_files(const UndoRecord& rec, const ContainerRecord& c, int pid, Sweep& sweep) {
  auto files = rec.originals();
  if (!files) {
    sweep.failed(files.error().message);
    return;
  }
  if (files->empty()) {
    return;
  }
  bool all = true;
  for (const auto& [inside, bytes] : *files) {
    if (auto st = platform::write_in_place(platform::container_path(pid, inside), bytes); !st) {
      sweep.failed(
          fmt::format("container {}: config file {} not put back: {}", c.name, inside, st.error().message));
      all = false;
      continue;
    }
    sweep.done(
        fmt::format("config file {} of container {} back as found ({} bytes)", inside, c.name, bytes.size()));
  }
  if (!all) {
    return;
  }
  // The files are back; the server must read them too. Kept on failure:
  // another cleanup writes the same bytes and tries the reload again.
  if (c.kind == "nginx" && !c.config_file.empty()) {
    if (auto st = check_and_reload_nginx(pid, c.config_file, c.name); !st) {
      sweep.failed(
          fmt::format("container {}: its config files are back as found, but nginx did not reload "
                      "them: {}",
                      c.name, st.error().message));
      return;
    }
    sweep.done(fmt::format("nginx of container {} reloaded its config", c.name));
  }
  (void)rec.write_originals({});
}

void undo_servers(const UndoRecord& rec, const ContainerRecord& c, int pid, Sweep& sweep) {
  auto servers = rec.servers();
  if (!servers) {
    sweep.failed(servers.error().message);
    return;
  }
  if (!*servers) {
    return;
  }
  std::vector<std::string> done;
  const auto st = put_back_servers(platform::container_path(pid, c.admin_socket), **servers, done);
  for (const auto& d : done) {
    sweep.done(fmt::format("{} in container {}", d, c.name));
  }
  if (!st) {
    sweep.failed(fmt::format("container {}: {}", c.name, st.error().message));
    return;
  }
  rec.drop_servers();
}

// Everything recorded for one attached container.
void undo_container(const platform::DockerApi& api, const UndoRecord& rec, Sweep& sweep) {
  auto c = rec.container();
  if (!c || !rec.anything_to_undo()) {
    return;
  }
  bool gone = false;
  auto info = find_container(api, *c, &gone);
  if (!info && gone) {
    // Removed since (`docker compose down`): its pause, namespace, cgroup
    // and HAProxy's runtime settings went with it. A config file may be a
    // bind mount of the host's, which outlives it, and only the container
    // leads to it: that stays an error.
    auto files = rec.originals();
    if (files && files->empty()) {
      sweep.done(
          fmt::format("nothing to undo in container {}: it is gone, and what the run changed in it "
                      "with it",
                      c->name));
      for (const auto what : {Mark::paused, Mark::killed, Mark::netns}) {
        rec.drop(what);
      }
      rec.drop_servers();
      for (const auto& controller : rec.limited_controllers()) {
        rec.drop_cgroup(controller);
      }
      return;
    }
  }
  if (!info) {
    sweep.failed(
        fmt::format("cannot find container {} to undo the run's changes: {}", c->name, info.error().message));
    return;
  }
  start_if_killed(api, rec, *c, *info, sweep);
  unpause_if_paused(api, rec, *c, *info, sweep);
  if (!info->state.running || info->state.pid <= 0) {
    if (rec.anything_to_undo()) {
      sweep.failed(fmt::format("container {} is {}: what the run changed inside it was not undone", c->name,
                               info->state.status));
    }
    return;
  }
  const int pid = info->state.pid;
  undo_network(rec, *c, pid, sweep);
  undo_limits(rec, *c, pid, sweep);
  undo_files(rec, *c, pid, sweep);
  undo_servers(rec, *c, pid, sweep);
}

}  // namespace

bool is_run_table(const std::string& table, const std::string& run_id) {
  return !run_id.empty() && starts_with(table, "faultline_" + run_id + "_");
}

std::string delete_run_rules_script(const std::string& save, const std::string& run_id) {
  const std::string comment = "faultline:" + run_id;
  std::string script;
  std::string table;
  std::string deletes;
  auto flush = [&] {
    if (!deletes.empty()) {
      script += "*" + table + "\n" + deletes + "COMMIT\n";
    }
    deletes.clear();
  };
  for (const auto& line : split_lines(save)) {
    if (starts_with(line, "*")) {
      flush();
      table = line.substr(1);
    } else if (starts_with(line, "-A ") && comment_of(line) == comment) {
      deletes += "-D " + line.substr(3) + "\n";
    }
  }
  flush();
  return script;
}

NetnsFound netns_as_found() {
  NetnsFound found;
  if (auto kind = platform::root_qdisc_kind(kInterface)) {
    found.qdisc = *kind;
  }
  if (auto tables = nft_tables()) {
    found.tables = *tables;
  }
  return found;
}

Status remove_run_network_changes(const std::string& run_id, const NetnsFound& before,
                                  std::vector<std::string>& removed) {
  Status result;
  auto keep_first = [&](Status st) {
    if (!st && result) {
      result = std::move(st);
    }
  };
  // nft tables: every family, by name.
  auto tables = nft_tables();
  if (!tables) {
    keep_first(tables.error());
  } else {
    for (const auto& t : *tables) {
      const auto words = split_words(t);
      if (words.size() == 2 && is_run_table(words[1], run_id)) {
        auto st = platform::run_checked({"nft", "delete", "table", words[0], words[1]});
        if (st) {
          removed.push_back("nft table " + t);
        }
        keep_first(st);
      }
    }
  }
  // iptables rules by their comment, in one transaction per table.
  if (platform::find_executable("iptables-save")) {
    auto saved = platform::run_command({"iptables-save"});
    if (!saved || !saved->succeeded()) {
      keep_first(
          Error{saved ? platform::describe_failure({"iptables-save"}, *saved) : saved.error().message});
    } else if (const std::string script = delete_run_rules_script(saved->out, run_id); !script.empty()) {
      auto st = platform::run_checked({"iptables-restore", "-w", "5", "--noflush"}, 10s, script);
      if (st) {
        for (const auto& line : split_lines(script)) {
          if (starts_with(line, "-D ")) {
            removed.push_back("iptables rule " + line.substr(3));
          }
        }
      }
      keep_first(st);
    }
  }
  // iptables-nft made the tables its rules went in (ip filter) if the
  // namespace had none: one that was not there before and holds no rule
  // now goes too, so the namespace's ruleset is as found.
  if (auto now = nft_tables()) {
    for (const auto& t : *now) {
      const auto words = split_words(t);
      if (words.size() != 2 || words[0] != "ip" || !is_iptables_table(words[1]) ||
          std::find(before.tables.begin(), before.tables.end(), t) != before.tables.end()) {
        continue;
      }
      auto rules = platform::run_command({"iptables-save", "-t", words[1]});
      if (!rules || !rules->succeeded() || rules->out.find("\n-A ") != std::string::npos) {
        continue;  // not iptables' own, or holding rules of someone's
      }
      auto st = platform::run_checked({"nft", "delete", "table", "ip", words[1]});
      if (st) {
        removed.push_back(fmt::format("the empty iptables table {} (not there before the run)", words[1]));
      }
      keep_first(st);
    }
  }
  // eth0's root qdisc: a netem or tbf the container did not have before
  // faultline first entered is a fault's (latency, loss with bursts,
  // bandwidth...). Deleting it gives the interface its default back.
  auto kind = platform::root_qdisc_kind(kInterface);
  if (kind && (*kind == "netem" || *kind == "tbf") && *kind != before.qdisc) {
    auto st = *kind == "tbf" ? platform::remove_tbf(kInterface) : platform::remove_netem(kInterface);
    if (st) {
      removed.push_back(fmt::format("{} root qdisc on {}", *kind, kInterface));
    }
    keep_first(st);
  }
  return result;
}

Status put_back_servers(const std::string& socket, const std::vector<ServerSetting>& found,
                        std::vector<std::string>& done) {
  if (found.empty()) {
    return {};
  }
  const platform::HaproxyRuntimeApi api(socket);
  auto rows = api.servers_state("");
  if (!rows) {
    return Error{fmt::format("cannot read HAProxy's servers through its runtime API at {}: {}", socket,
                             rows.error().message)};
  }
  Status result;
  auto keep_first = [&](Status st) {
    if (!st && result) {
      result = std::move(st);
    }
  };
  for (const auto& s : found) {
    const auto row =
        std::find_if(rows->begin(), rows->end(), [&](const platform::HaproxyRuntimeApi::ServerRow& r) {
          const auto be = r.find("be_name");
          const auto srv = r.find("srv_name");
          return be != r.end() && srv != r.end() && be->second == s.backend && srv->second == s.server;
        });
    if (row == rows->end()) {
      continue;  // gone from the config since: nothing of faultline's to put back
    }
    const auto state = platform::forced_admin_state(*row);
    if (state && *state != s.admin) {
      if (auto st = api.set_state(s.backend, s.server, s.admin); !st) {
        keep_first(std::move(st));
      } else {
        done.push_back(fmt::format("HAProxy server {}/{} back to state {} (was {})", s.backend, s.server,
                                   s.admin, *state));
      }
    }
    const auto weight = row->find("srv_uweight");
    if (weight != row->end() && weight->second != std::to_string(s.weight)) {
      if (auto st = api.set_weight(s.backend, s.server, s.weight); !st) {
        keep_first(std::move(st));
      } else {
        done.push_back(fmt::format("HAProxy server {}/{} back to weight {} (was {})", s.backend, s.server,
                                   s.weight, weight->second));
      }
    }
  }
  return result;
}

Result<std::vector<ServerSetting>> read_servers(const std::string& socket) {
  const platform::HaproxyRuntimeApi api(socket);
  auto rows = api.servers_state("");
  if (!rows) {
    return rows.error();
  }
  std::vector<ServerSetting> out;
  for (const auto& r : *rows) {
    const auto be = r.find("be_name");
    const auto srv = r.find("srv_name");
    const auto weight = r.find("srv_uweight");
    const auto state = platform::forced_admin_state(r);
    if (be == r.end() || srv == r.end() || weight == r.end() || !state) {
      continue;
    }
    try {
      out.push_back({be->second, srv->second, std::stoi(weight->second), *state});
    } catch (const std::exception&) {
    }
  }
  return out;
}

bool undo_attached_run(const std::string& run_id, const std::string& run_dir,
                       const std::string& docker_socket, CleanupReport& report) {
  const auto records = attached_records(run_dir);
  if (records.empty()) {
    return true;
  }
  Sweep sweep(run_id, report);
  const platform::DockerApi api(docker_socket);
  for (const auto& rec : records) {
    undo_container(api, rec, sweep);
  }
  return sweep.clean();
}

}  // namespace faultline::stack::compose
