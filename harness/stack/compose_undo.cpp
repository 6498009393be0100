// runtime compose: the undo records of attached containers (compose_undo.h).

#include "harness/stack/compose_undo.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/common/text.h"

namespace faultline::stack::compose {
namespace {

namespace fs = std::filesystem;

constexpr const char* kContainerFile = "container";
constexpr const char* kFilesFile = "undo.files";
constexpr const char* kServersFile = "undo.haproxy";
constexpr const char* kCgroupPrefix = "cgroup-originals.";

const char* mark_file(Mark what) {
  switch (what) {
    case Mark::paused:
      return "undo.paused";
    case Mark::killed:
      return "undo.killed";
    case Mark::netns:
      return "undo.netns";
  }
  return "undo.unknown";
}

// The whole file, or nullopt when it does not exist or cannot be read.
std::optional<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A new file renamed over the old: a kill in the middle leaves the old
// record whole, never a half-written one.
Status replace_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error{fmt::format("cannot write the undo record {}: {} (is the run's folder still there?)", tmp,
                             std::strerror(errno))};
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{fmt::format("cannot write the undo record {}: {}", tmp, std::strerror(err))};
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{fmt::format("cannot put the undo record {} in place: {}", path, std::strerror(err))};
  }
  return {};
}

void remove_file(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

}  // namespace

std::string encode_container(const ContainerRecord& c) {
  return fmt::format(
      "project\t{}\nservice\t{}\nnumber\t{}\nid\t{}\nname\t{}\nkind\t{}\nconfig_file\t{}\n"
      "admin_socket\t{}\n",
      c.project, c.service, c.number, c.id, c.name, c.kind, c.config_file, c.admin_socket);
}

std::optional<ContainerRecord> decode_container(const std::string& text) {
  ContainerRecord c;
  bool has_project = false;
  for (const auto& line : split_lines(text)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) {
      continue;
    }
    const std::string key = line.substr(0, tab);
    const std::string value = line.substr(tab + 1);
    if (key == "project") {
      c.project = value;
      has_project = !value.empty();
    } else if (key == "service") {
      c.service = value;
    } else if (key == "number") {
      try {
        c.number = std::stoi(value);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    } else if (key == "id") {
      c.id = value;
    } else if (key == "name") {
      c.name = value;
    } else if (key == "kind") {
      c.kind = value;
    } else if (key == "config_file") {
      c.config_file = value;
    } else if (key == "admin_socket") {
      c.admin_socket = value;
    }
  }
  // Without its project and service, a container whose id is gone could
  // not be found again: such a record is no record.
  if (!has_project || c.service.empty()) {
    return std::nullopt;
  }
  return c;
}

std::string encode_originals(const std::map<std::string, std::string>& files) {
  std::string out;
  for (const auto& [path, bytes] : files) {
    out += fmt::format("{} {}\n", bytes.size(), path);
    out += bytes;
    out += '\n';
  }
  return out;
}

Result<std::map<std::string, std::string>> decode_originals(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t eol = text.find('\n', at);
    if (eol == std::string::npos) {
      return Error{"config originals: a header line without its end"};
    }
    const std::string header = text.substr(at, eol - at);
    const size_t space = header.find(' ');
    size_t size = 0;
    try {
      size_t used = 0;
      size = std::stoul(header.substr(0, space), &used);
      if (used != space) {
        throw std::invalid_argument("size");
      }
    } catch (const std::exception&) {
      return Error{fmt::format("config originals: '{}' is no '<size> <path>' header", header)};
    }
    const std::string path = space == std::string::npos ? std::string() : header.substr(space + 1);
    if (path.empty() || path.front() != '/') {
      return Error{fmt::format("config originals: '{}' names no absolute path", header)};
    }
    const size_t start = eol + 1;
    if (text.size() < start + size + 1 || text[start + size] != '\n') {
      return Error{fmt::format("config originals: the bytes of {} are cut short", path)};
    }
    out[path] = text.substr(start, size);
    at = start + size + 1;
  }
  return out;
}

std::string encode_netns(const NetnsFound& found) {
  std::string out = fmt::format("qdisc {}\n", found.qdisc);
  for (const auto& t : found.tables) {
    out += fmt::format("table {}\n", t);
  }
  return out;
}

NetnsFound decode_netns(const std::string& text) {
  NetnsFound found;
  for (const auto& line : split_lines(text)) {
    if (starts_with(line, "qdisc ")) {
      found.qdisc = trim(line.substr(6));
    } else if (starts_with(line, "table ")) {
      found.tables.push_back(trim(line.substr(6)));
    }
  }
  return found;
}

std::string encode_servers(const std::vector<ServerSetting>& servers) {
  std::string out;
  for (const auto& s : servers) {
    out += fmt::format("{}\t{}\t{}\t{}\n", s.backend, s.server, s.weight, s.admin);
  }
  return out;
}

Result<std::vector<ServerSetting>> decode_servers(const std::string& text) {
  std::vector<ServerSetting> out;
  for (const auto& line : split_lines(text)) {
    if (line.empty()) {
      continue;
    }
    std::vector<std::string> cells;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      cells.push_back(line.substr(start, tab - start));
    }
    cells.push_back(line.substr(start));
    ServerSetting s;
    bool ok = cells.size() == 4 && !cells[0].empty() && !cells[1].empty();
    if (ok) {
      s.backend = cells[0];
      s.server = cells[1];
      s.admin = cells[3];
      try {
        s.weight = std::stoi(cells[2]);
      } catch (const std::exception&) {
        ok = false;
      }
      ok = ok && (s.admin == "ready" || s.admin == "drain" || s.admin == "maint");
    }
    if (!ok) {
      return Error{
          fmt::format("HAProxy servers record: '{}' is no '<backend> <server> <weight> <state>' line", line)};
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<CgroupOriginal>> decode_cgroup_originals(const std::string& text) {
  std::vector<CgroupOriginal> out;
  for (const auto& line : split_lines(text)) {
    if (line.empty()) {
      continue;
    }
    const auto tab = line.find('\t');
    const auto slash = line.rfind('/', tab);
    if (tab == std::string::npos || slash == std::string::npos || slash + 1 >= tab) {
      return Error{fmt::format("cgroup originals: '{}' is no '<group>/<file>\\t<original>' line", line)};
    }
    out.push_back({line.substr(slash + 1, tab - slash - 1), line.substr(0, slash), line.substr(tab + 1)});
  }
  return out;
}

Status UndoRecord::write_container(const ContainerRecord& c) const {
  return replace_file(dir_ + "/" + kContainerFile, encode_container(c));
}

std::optional<ContainerRecord> UndoRecord::container() const {
  auto text = read_whole(dir_ + "/" + kContainerFile);
  return text ? decode_container(*text) : std::nullopt;
}

Status UndoRecord::mark(Mark what, const std::string& note) const {
  return replace_file(dir_ + "/" + mark_file(what), note);
}

std::optional<std::string> UndoRecord::marked(Mark what) const {
  return read_whole(dir_ + "/" + mark_file(what));
}

void UndoRecord::drop(Mark what) const {
  remove_file(dir_ + "/" + mark_file(what));
}

Status UndoRecord::write_originals(const std::map<std::string, std::string>& files) const {
  if (files.empty()) {
    remove_file(dir_ + "/" + kFilesFile);
    return {};
  }
  return replace_file(dir_ + "/" + kFilesFile, encode_originals(files));
}

Result<std::map<std::string, std::string>> UndoRecord::originals() const {
  auto text = read_whole(dir_ + "/" + kFilesFile);
  if (!text) {
    return std::map<std::string, std::string>{};
  }
  auto files = decode_originals(*text);
  if (!files) {
    return Error{fmt::format("{}/{}: {}", dir_, kFilesFile, files.error().message)};
  }
  return files;
}

Status UndoRecord::write_servers(const std::vector<ServerSetting>& servers) const {
  return replace_file(dir_ + "/" + kServersFile, encode_servers(servers));
}

Result<std::optional<std::vector<ServerSetting>>> UndoRecord::servers() const {
  auto text = read_whole(dir_ + "/" + kServersFile);
  if (!text) {
    return std::optional<std::vector<ServerSetting>>{};
  }
  auto servers = decode_servers(*text);
  if (!servers) {
    return Error{fmt::format("{}/{}: {}", dir_, kServersFile, servers.error().message)};
  }
  return std::optional<std::vector<ServerSetting>>(std::move(*servers));
}

void UndoRecord::drop_servers() const {
  remove_file(dir_ + "/" + kServersFile);
}

std::vector<std::string> UndoRecord::limited_controllers() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (starts_with(name, kCgroupPrefix) && name.size() > std::strlen(kCgroupPrefix) &&
        name.find('.', std::strlen(kCgroupPrefix)) == std::string::npos) {
      out.push_back(name.substr(std::strlen(kCgroupPrefix)));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string UndoRecord::cgroup_record(const std::string& controller) const {
  return dir_ + "/" + kCgroupPrefix + controller;
}

Result<std::vector<CgroupOriginal>> UndoRecord::cgroup_originals(const std::string& controller) const {
  auto text = read_whole(cgroup_record(controller));
  if (!text) {
    return std::vector<CgroupOriginal>{};
  }
  auto originals = decode_cgroup_originals(*text);
  if (!originals) {
    return Error{fmt::format("{}: {}", cgroup_record(controller), originals.error().message)};
  }
  return originals;
}

void UndoRecord::drop_cgroup(const std::string& controller) const {
  remove_file(cgroup_record(controller));
}

bool UndoRecord::anything_to_undo() const {
  std::error_code ec;
  for (const auto what : {Mark::paused, Mark::killed, Mark::netns}) {
    if (fs::exists(dir_ + "/" + mark_file(what), ec)) {
      return true;
    }
  }
  return fs::exists(dir_ + "/" + kFilesFile, ec) || fs::exists(dir_ + "/" + kServersFile, ec) ||
         !limited_controllers().empty();
}

std::vector<UndoRecord> attached_records(const std::string& run_dir) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(run_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (it->is_directory(file_ec) && fs::exists(it->path() / kContainerFile, file_ec)) {
      dirs.push_back(it->path().string());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return {dirs.begin(), dirs.end()};
}

}  // namespace faultline::stack::compose
