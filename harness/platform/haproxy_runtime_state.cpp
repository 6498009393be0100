#include "harness/platform/haproxy_runtime_state.h"

#include <fmt/format.h>

namespace faultline::platform {

namespace {

int number(const HaproxyRuntimeApi::ServerRow& row, const std::string& column, int fallback) {
  const auto it = row.find(column);
  if (it == row.end()) {
    return fallback;
  }
  try {
    return std::stoi(it->second);
  } catch (const std::exception&) {
    return fallback;
  }
}

std::string cell(const HaproxyRuntimeApi::ServerRow& row, const std::string& column) {
  const auto it = row.find(column);
  return it == row.end() ? std::string() : it->second;
}

}  // namespace

std::vector<std::string> runtime_override_commands(const std::vector<HaproxyRuntimeApi::ServerRow>& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    const std::string server = cell(row, "be_name") + "/" + cell(row, "srv_name");
    if (server == "/") {
      continue;
    }
    const auto forced = forced_admin_state(row);
    if (forced && *forced != "ready") {
      out.push_back(fmt::format("set server {} state {}", server, *forced));
    }
    const int in_force = number(row, "srv_uweight", -1);
    const int configured = number(row, "srv_iweight", -1);
    if (in_force >= 0 && configured >= 0 && in_force != configured) {
      out.push_back(fmt::format("set weight {} {}", server, in_force));
    }
  }
  return out;
}

Result<std::vector<std::string>> read_runtime_overrides(const HaproxyRuntimeApi& api) {
  auto rows = api.servers_state("");
  if (!rows) {
    return rows.error();
  }
  return runtime_override_commands(*rows);
}

Status apply_runtime_overrides(const HaproxyRuntimeApi& api, const std::vector<std::string>& commands) {
  for (const auto& line : commands) {
    if (auto st = api.run(line); !st) {
      return Error{fmt::format("'{}' did not take on the reloaded HAProxy: {}", line, st.error().message)};
    }
  }
  return {};
}

}  // namespace faultline::platform
