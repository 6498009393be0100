#include "harness/platform/haproxy_runtime_api.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <sstream>
#include <vector>

#include "harness/platform/container_files.h"

namespace faultline::platform {

namespace asio = boost::asio;

Result<std::string> HaproxyRuntimeApi::command(const std::string& line) const {
  asio::io_context io;
  asio::local::stream_protocol::socket sock(io);
  // An attached container's socket (/proc/<pid>/root/...) is found in the
  // container's root: a link there must not lead to the host's HAProxy.
  auto address = socket_address_confined(socket_path_);
  if (!address) {
    return Error{fmt::format("cannot connect to HAProxy runtime API at {}: {}", socket_path_,
                             address.error().message)};
  }
  boost::system::error_code ec;
  sock.connect(asio::local::stream_protocol::endpoint(address->path), ec);
  if (ec) {
    return Error{fmt::format("cannot connect to HAProxy runtime API at {}: {}", socket_path_, ec.message())};
  }
  // Blocking reads and writes with a deadline: the kernel's socket timeouts
  // are enough for one short exchange.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string request = line + "\n";
  asio::write(sock, asio::buffer(request), ec);
  if (ec) {
    return Error{fmt::format("cannot send '{}' to HAProxy runtime API: {}", line, ec.message())};
  }
  std::string answer;
  asio::read(sock, asio::dynamic_buffer(answer), ec);
  if (ec && ec != asio::error::eof) {
    return Error{fmt::format("no answer from HAProxy runtime API to '{}': {}", line, ec.message())};
  }
  // HAProxy ends every answer with an empty line; keep only the text.
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == ' ')) {
    answer.pop_back();
  }
  return answer;
}

Status HaproxyRuntimeApi::replace_ssl_cert(const std::string& path, const std::string& pem) const {
  // The payload follows `<<` up to the first empty line; a PEM has none.
  std::string payload = pem;
  if (payload.empty() || payload.back() != '\n') {
    payload += '\n';
  }
  auto set = command(fmt::format("set ssl cert {} <<\n{}", path, payload));
  if (!set) {
    return set.error();
  }
  // "Transaction created for certificate <path>!" (or "updated", when one
  // was open already).
  if (set->find("Transaction") == std::string::npos) {
    (void)command("abort ssl cert " + path);
    return Error{fmt::format("HAProxy refused the certificate for {}: {}", path, *set)};
  }
  auto commit = command("commit ssl cert " + path);
  if (!commit) {
    (void)command("abort ssl cert " + path);
    return commit.error();
  }
  // "Committing <path>" then "Success!" on a line of its own, or "Failed!"
  // and the reason.
  if (commit->find("Success!") == std::string::npos) {
    (void)command("abort ssl cert " + path);
    return Error{fmt::format("HAProxy did not commit the certificate for {}: {}", path, *commit)};
  }
  return {};
}

Result<int> HaproxyRuntimeApi::get_weight(const std::string& backend, const std::string& server) const {
  auto answer = command(fmt::format("get weight {}/{}", backend, server));
  if (!answer) {
    return answer.error();
  }
  // The answer reads "<current> (initial <initial>)".
  try {
    size_t used = 0;
    int weight = std::stoi(*answer, &used);
    if (used == 0) {
      throw std::invalid_argument("no number");
    }
    return weight;
  } catch (const std::exception&) {
    return Error{fmt::format("HAProxy did not return a weight for {}/{}: '{}'", backend, server, *answer)};
  }
}

Status HaproxyRuntimeApi::set_weight(const std::string& backend, const std::string& server,
                                     int weight) const {
  auto answer = command(fmt::format("set weight {}/{} {}", backend, server, weight));
  if (!answer) {
    return answer.error();
  }
  if (!answer->empty()) {
    return Error{fmt::format("HAProxy refused 'set weight {}/{} {}': {}", backend, server, weight, *answer)};
  }
  return {};
}

Status HaproxyRuntimeApi::run(const std::string& line) const {
  auto answer = command(line);
  if (!answer) {
    return answer.error();
  }
  if (!answer->empty()) {
    return Error{fmt::format("HAProxy refused '{}': {}", line, *answer)};
  }
  return {};
}

std::vector<HaproxyRuntimeApi::ServerRow> parse_servers_state(const std::string& answer) {
  std::vector<HaproxyRuntimeApi::ServerRow> rows;
  std::stringstream ss(answer);
  std::string line;
  std::vector<std::string> columns;
  while (std::getline(ss, line)) {
    std::stringstream words(line);
    std::vector<std::string> fields;
    std::string w;
    while (words >> w) {
      fields.push_back(w);
    }
    if (!fields.empty() && fields[0] == "#") {
      columns.assign(fields.begin() + 1, fields.end());
      continue;
    }
    if (columns.empty() || fields.size() < 4) {
      continue;
    }
    HaproxyRuntimeApi::ServerRow row;
    for (size_t i = 0; i < fields.size() && i < columns.size(); ++i) {
      row[columns[i]] = fields[i];
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

// One CSV line into its fields. HAProxy quotes a field that holds a comma
// or a quote (a check's description may) and doubles the quotes inside.
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

StatRow::Type stat_type(const std::string& field) {
  // HAProxy's numbering of `type`: 0 frontend, 1 backend, 2 server, 3 listener.
  if (field == "0") {
    return StatRow::Type::frontend;
  }
  if (field == "1") {
    return StatRow::Type::backend;
  }
  if (field == "2") {
    return StatRow::Type::server;
  }
  if (field == "3") {
    return StatRow::Type::listener;
  }
  return StatRow::Type::unknown;
}

std::optional<uint64_t> counter(const std::string& field) {
  if (field.empty() || field.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  try {
    return std::stoull(field);
  } catch (const std::exception&) {
    return std::nullopt;  // beyond 64 bits
  }
}

}  // namespace

std::vector<StatRow> parse_show_stat(const std::string& answer) {
  std::vector<StatRow> rows;
  std::stringstream ss(answer);
  std::string line;
  std::map<std::string, size_t> column;
  size_t header_fields = 0;
  auto field = [&](const std::vector<std::string>& fields, const char* name) -> std::string {
    const auto it = column.find(name);
    return it != column.end() && it->second < fields.size() ? fields[it->second] : std::string();
  };
  while (std::getline(ss, line)) {
    if (line.rfind("# ", 0) == 0) {
      column.clear();
      const auto names = csv_fields(line.substr(2));
      header_fields = names.size();
      for (size_t i = 0; i < names.size(); ++i) {
        column.emplace(names[i], i);
      }
      continue;
    }
    const auto fields = csv_fields(line);
    if (column.count("pxname") == 0 || column.count("svname") == 0 || fields.size() < header_fields) {
      continue;
    }
    StatRow row;
    row.proxy = field(fields, "pxname");
    row.server = field(fields, "svname");
    row.type = stat_type(field(fields, "type"));
    row.addr = field(fields, "addr");
    row.requests = counter(field(fields, "req_tot"));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<StatRow>> HaproxyRuntimeApi::show_stat() const {
  auto answer = command("show stat");
  if (!answer) {
    return answer.error();
  }
  return parse_show_stat(*answer);
}

Result<std::vector<HaproxyRuntimeApi::ServerRow>> HaproxyRuntimeApi::servers_state(
    const std::string& backend) const {
  // No backend: every backend's servers.
  auto answer =
      command(backend.empty() ? std::string("show servers state") : "show servers state " + backend);
  if (!answer) {
    return answer.error();
  }
  return parse_servers_state(*answer);
}

Result<HaproxyRuntimeApi::ServerRow> HaproxyRuntimeApi::server_state(const std::string& backend,
                                                                     const std::string& server) const {
  auto answer = command("show servers state " + backend);
  if (!answer) {
    return answer.error();
  }
  for (auto& row : parse_servers_state(*answer)) {
    if (row["be_name"] == backend && row["srv_name"] == server) {
      return std::move(row);
    }
  }
  return Error{
      fmt::format("HAProxy's 'show servers state {}' has no server {}: '{}'", backend, server, *answer)};
}

Result<std::string> HaproxyRuntimeApi::admin_state(const std::string& backend,
                                                   const std::string& server) const {
  auto row = server_state(backend, server);
  if (!row) {
    return row.error();
  }
  auto state = forced_admin_state(*row);
  if (!state) {
    return Error{fmt::format("HAProxy reported no admin state for {}/{}", backend, server)};
  }
  return *state;
}

std::optional<std::string> forced_admin_state(const HaproxyRuntimeApi::ServerRow& row) {
  // SRV_ADMF_FMAINT = 0x01, SRV_ADMF_FDRAIN = 0x08: the states forced from
  // the runtime API, which is what `set server ... state` changes.
  const auto it = row.find("srv_admin_state");
  int bits = 0;
  try {
    bits = it == row.end() ? -1 : std::stoi(it->second);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (bits < 0) {
    return std::nullopt;
  }
  if ((bits & 0x01) != 0) {
    return std::string{"maint"};
  }
  if ((bits & 0x08) != 0) {
    return std::string{"drain"};
  }
  return std::string{"ready"};
}

Status HaproxyRuntimeApi::set_state(const std::string& backend, const std::string& server,
                                    const std::string& state) const {
  return run(fmt::format("set server {}/{} state {}", backend, server, state));
}

Status HaproxyRuntimeApi::set_addr(const std::string& backend, const std::string& server,
                                   const std::string& address, int port) const {
  const std::string line = fmt::format("set server {}/{} addr {} port {}", backend, server, address, port);
  auto answer = command(line);
  if (!answer) {
    return answer.error();
  }
  // Success reads "IP changed from ..." / "no need to change the addr";
  // anything else is the reason it was refused.
  if (answer->find("changed") == std::string::npos &&
      answer->find("no need to change") == std::string::npos) {
    return Error{fmt::format("HAProxy refused '{}': {}", line, *answer)};
  }
  return {};
}

Status HaproxyRuntimeApi::set_health(const std::string& backend, const std::string& server,
                                     bool enabled) const {
  return run(fmt::format("{} health {}/{}", enabled ? "enable" : "disable", backend, server));
}

}  // namespace faultline::platform
