#include "harness/stack/run_registry.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include "harness/platform/netlink.h"
#include "harness/platform/netns.h"
#include "harness/platform/process.h"
#include "harness/platform/unique_fd.h"
#include "harness/stack/names.h"

namespace faultline::stack {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) {
  return std::system_category().message(err);
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return Error{fmt::format("cannot write {}", path)};
  }
  return {};
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Ids already taken by something on this host, whatever registry it used.
bool id_in_use_on_host(const std::string& id) {
  for (const auto& ns : platform::list_named_netns()) {
    if (run_id_of_netns(ns) == id) {
      return true;
    }
  }
  if (auto sock = platform::RouteSocket::open()) {
    if (auto links = sock->links()) {
      for (const auto& l : *links) {
        if (run_id_of_link(l.name) == id) {
          return true;
        }
      }
    }
  }
  return false;
}

bool same_process_alive(pid_t pid, std::optional<unsigned long long> start_time) {
  if (pid <= 0) {
    return false;
  }
  if (::kill(pid, 0) != 0 && errno == ESRCH) {
    return false;
  }
  auto st = platform::read_proc_stat(pid);
  if (!st) {
    return false;
  }
  if (st->state == 'Z' || st->state == 'X') {
    return false;
  }
  return !start_time || st->start_time == *start_time;
}

}  // namespace

std::string owner_token() {
  const pid_t pid = ::getpid();
  // Without a start time the token still names the pid, only less strictly.
  auto st = platform::read_proc_stat(pid);
  return st ? fmt::format("{}:{}", pid, st->start_time) : std::to_string(pid);
}

bool owner_token_alive(const std::string& token) {
  const auto colon = token.find(':');
  try {
    const pid_t pid = static_cast<pid_t>(std::stol(token.substr(0, colon)));
    std::optional<unsigned long long> start;
    if (colon != std::string::npos) {
      start = std::stoull(token.substr(colon + 1));
    }
    return same_process_alive(pid, start);
  } catch (const std::exception&) {
    return false;
  }
}

std::string link_alias(const std::string& run_id) {
  return fmt::format("faultline run={} owner={}", run_id, owner_token());
}

std::string owner_token_of_alias(const std::string& alias, const std::string& run_id) {
  const std::string prefix = fmt::format("faultline run={} owner=", run_id);
  if (alias.rfind(prefix, 0) != 0) {
    return {};
  }
  return alias.substr(prefix.size());
}

Result<RunIdentity> create_run(const std::string& base_dir) {
  std::error_code ec;
  fs::create_directories(base_dir, ec);
  if (ec) {
    return Error{fmt::format("cannot create the run registry {}: {}", base_dir, ec.message())};
  }
  const std::string base = fs::absolute(base_dir, ec).lexically_normal().string();
  // Built under a temporary name and renamed into place, so no run directory
  // is ever seen without its owner (cleanup would take it for abandoned).
  static std::atomic<unsigned> counter{0};
  const std::string tmp = fmt::format("{}/.new-{}-{}", base, ::getpid(), counter++);
  if (::mkdir(tmp.c_str(), 0755) != 0) {
    return Error{fmt::format("cannot create {}: {}", tmp, errno_text(errno))};
  }
  auto st = platform::read_proc_stat(::getpid());
  Status written = write_file(tmp + "/owner.pid", fmt::format("{}\n", ::getpid()));
  if (written && st) {
    written = write_file(tmp + "/owner.start", fmt::format("{}\n", st->start_time));
  }
  if (written) {
    written = write_file(tmp + "/manifest", "");
  }
  if (!written) {
    fs::remove_all(tmp, ec);
    return written.error();
  }
  std::random_device rd;
  std::mt19937 gen(rd());
  std::uniform_int_distribution<uint32_t> dist(0, 0xffffff);
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::string id = fmt::format("{:06x}", dist(gen));
    if (id_in_use_on_host(id)) {
      continue;
    }
    const std::string dir = base + "/" + id;
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) == 0) {
      return RunIdentity{id, dir};
    }
    if (errno != EEXIST && errno != ENOTEMPTY) {
      const int err = errno;
      fs::remove_all(tmp, ec);
      return Error{fmt::format("cannot create {}: {}", dir, errno_text(err))};
    }
  }
  fs::remove_all(tmp, ec);
  return Error{"cannot find a free run id in " + base};
}

void release_run(const RunIdentity& id) {
  if (id.run_dir.empty()) {
    return;
  }
  std::error_code ec;
  fs::remove_all(id.run_dir, ec);
}

Status record_resource(const RunIdentity& id, const std::string& kind, const std::string& name) {
  const std::string path = id.run_dir + "/manifest";
  std::ofstream out(path, std::ios::app);
  out << kind << ' ' << name << '\n';
  out.flush();
  if (!out) {
    return Error{"cannot append to " + path};
  }
  return {};
}

std::vector<ResourceRecord> read_manifest(const std::string& run_dir) {
  std::vector<ResourceRecord> out;
  std::ifstream in(run_dir + "/manifest");
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    ResourceRecord r;
    if (ss >> r.kind >> r.name) {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<RunEntry> list_runs(const std::string& base_dir) {
  std::vector<RunEntry> out;
  std::error_code ec;
  for (fs::directory_iterator it(base_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_run_id(name) || !it->is_directory(ec)) {
      continue;
    }
    RunEntry e;
    e.run_id = name;
    e.run_dir = it->path().string();
    e.resources = read_manifest(e.run_dir);
    const std::string pid_text = read_first_line(e.run_dir + "/owner.pid");
    const std::string start_text = read_first_line(e.run_dir + "/owner.start");
    try {
      e.owner = static_cast<pid_t>(std::stol(pid_text));
      std::optional<unsigned long long> start;
      if (!start_text.empty()) {
        start = std::stoull(start_text);
      }
      e.owner_alive = same_process_alive(e.owner, start);
    } catch (const std::exception&) {
      e.owner = -1;
      e.owner_alive = false;
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// Serialises subnet choice between runs of one registry: the subnet is
// recorded in the manifest before the lock is released, so the next run
// planning sees it even before the bridge exists.
class RegistryLock {
 public:
  explicit RegistryLock(const std::string& registry_dir) {
    const std::string path = registry_dir + "/.subnet.lock";
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (fd_.valid()) {
      while (::flock(fd_.get(), LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }

 private:
  platform::UniqueFd fd_;  // closing it releases the lock
};

}  // namespace

Result<Plan> plan_run(const experiment::Experiment& exp, const RunIdentity& id) {
  RegistryLock lock(std::filesystem::path(id.run_dir).parent_path().string());
  auto planned = make_plan(exp, id);
  if (!planned) {
    return planned.error();
  }
  if (auto st = record_resource(id, "subnet", planned->subnet); !st) {
    return st.error();
  }
  return planned;
}

}  // namespace faultline::stack
