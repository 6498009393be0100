#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string_view>

#include "harness/load/backend_names.h"

namespace faultline::load {

// Parses one HTTP/1.1 response for the load generator, keeping only what a
// Sample needs: the status code and the answering backend (one header,
// interned on the spot). Headers are not stored and the body is dropped as
// it streams by, so parsing allocates nothing. One parser per response, as
// with every Beast parser.
class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  // `backend_header` and `names` must outlive the parser.
  ResponseParser(std::string_view backend_header, BackendNames& names);

  int status() const { return status_; }
  uint16_t backend() const { return backend_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  std::string_view backend_header_;
  BackendNames& names_;
  int status_ = 0;
  uint16_t backend_ = 0;
};

}  // namespace faultline::load
