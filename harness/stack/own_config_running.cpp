#include "harness/stack/own_config_running.h"

#include <fmt/format.h>

#include <filesystem>

#include "harness/common/text.h"

namespace faultline::stack {

namespace {

namespace fs = std::filesystem;

// Whether `path` lies inside `folder` (both canonical).
bool is_inside(const fs::path& path, const fs::path& folder) {
  const fs::path rel = path.lexically_relative(folder);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

}  // namespace

OwnConfigCopy copy_as_written(const ServiceInstance& inst) {
  OwnConfigCopy copy;
  copy.kind = inst.planned.kind;
  copy.service = inst.planned.name;
  copy.team_file = inst.team_config;
  copy.main_copy = inst.config_path;
  if (inst.planned.kind == experiment::ServiceKind::haproxy) {
    copy.team_path_of[inst.config_path] = inst.team_config;
    copy.files.emplace_back(inst.config_path, read_text(inst.config_path));
    return copy;
  }
  const fs::path copy_dir = fs::path(inst.config_path).parent_path();
  const fs::path team_dir = fs::path(inst.team_config).parent_path();
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(copy_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) {
      continue;
    }
    const fs::path team = team_dir / it->path().lexically_relative(copy_dir);
    if (fs::is_regular_file(team, ec)) {
      copy.team_path_of[it->path().string()] = team.string();
      copy.files.emplace_back(it->path().string(), read_text(it->path().string()));
    }
  }
  return copy;
}

Result<OwnConfigCopy> run_own_copy(const experiment::Service& svc, const std::string& service_dir,
                                   const std::string& experiment_file, ServiceInstance& inst) {
  auto copy = prepare_own_config(svc, service_dir);
  if (!copy) {
    return copy.error();
  }
  if (auto st = write_own_config(*copy); !st) {
    return st.error();
  }
  inst.config_path = copy->main_copy;
  inst.team_config = svc.own.config;
  inst.runtime_socket = copy->runtime_socket;
  inst.upstream_log = copy->upstream_log;
  inst.config_changes = describe_changes(*copy, fs::path(experiment_file).parent_path().string());
  return copy;
}

Result<std::string> writable_copy_file(const std::string& service, const std::string& run_folder,
                                       const std::string& path) {
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (ec || !fs::is_regular_file(status)) {
    return Error{
        fmt::format("service {}: {} is not a file of its running config (a link to a team's file, or "
                    "missing), so faultline does not write it",
                    service, path)};
  }
  const fs::path folder = fs::canonical(run_folder, ec);
  const fs::path parent = ec ? fs::path() : fs::canonical(fs::path(path).parent_path(), ec);
  if (ec || !is_inside(parent / fs::path(path).filename(), folder)) {
    return Error{fmt::format("service {}: {} lies outside its run folder {}, so faultline does not write it",
                             service, path, run_folder)};
  }
  return path;
}

}  // namespace faultline::stack
