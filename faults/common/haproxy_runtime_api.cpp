#include "faults/common/haproxy_runtime_api.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace faultline::faults {

namespace asio = boost::asio;

Result<std::string> HaproxyRuntimeApi::command(const std::string& line) const {
  asio::io_context io;
  asio::local::stream_protocol::socket sock(io);
  boost::system::error_code ec;
  sock.connect(asio::local::stream_protocol::endpoint(socket_path_), ec);
  if (ec) {
    return Error{fmt::format("cannot connect to HAProxy runtime API at {}: {}", socket_path_, ec.message())};
  }
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

Status HaproxyRuntimeApi::set_weight(const std::string& backend, const std::string& server, int weight) const {
  auto answer = command(fmt::format("set weight {}/{} {}", backend, server, weight));
  if (!answer) {
    return answer.error();
  }
  if (!answer->empty()) {
    return Error{fmt::format("HAProxy refused 'set weight {}/{} {}': {}", backend, server, weight, *answer)};
  }
  return {};
}

}  // namespace faultline::faults
