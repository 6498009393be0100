// load.requests and load.seed: the weighted mix of requests the load sends.
// Each template is checked here in full (name, method, path, weight,
// headers, body), and a body_file is read now, so a run never starts with a
// body it cannot send.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>

#include "harness/common/text.h"
#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kRequestKeys = {"name",    "method", "path",     "weight",
                                               "headers", "body",   "body_file"};
const std::vector<std::string> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
// Headers the generator writes itself from the request: a second copy
// would make the request ambiguous (RFC 9112 rejects two Hosts, and a
// Content-Length that disagrees with the body desynchronises keep-alive).
const std::vector<std::string> kOwnHeaders = {"host", "content-length", "transfer-encoding"};

constexpr double kMaxWeight = 1e9;

bool is_request_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void read_name(const SourceNode& item, const SourcePos& item_pos, FieldReader& r, RequestTemplate& t) {
  const SourceNode* name = item.find("name");
  if (name == nullptr) {
    r.missing(item_pos, "name", "a request of load.requests");
    return;
  }
  auto n = r.non_empty_text(*name, "name");
  if (!n) {
    return;
  }
  if (!is_request_name(*n)) {
    r.diags().error(name->pos, fmt::format("request name '{}' may only hold a-z, 0-9, '_' and '-'", *n),
                    "objectives filter by it, e.g. p(99){name:checkout} < 300ms");
    return;
  }
  t.name = *n;
  t.name_pos = name->pos;
}

void read_path(const SourceNode& item, const SourcePos& item_pos, FieldReader& r, RequestTemplate& t) {
  const SourceNode* path = item.find("path");
  if (path == nullptr) {
    r.missing(item_pos, "path", fmt::format("request '{}'", t.name));
    return;
  }
  auto p = r.text(*path, "path");
  if (!p) {
    return;
  }
  if (p->empty() || p->front() != '/') {
    r.diags().error(path->pos, fmt::format("'path' must start with '/', not '{}'", *p),
                    "e.g. / or /search?q=shoes");
  } else if (p->find_first_of(" \t\r\n") != std::string::npos) {
    r.diags().error(path->pos, "'path' must not contain spaces or line breaks", "write a space as %20");
  } else {
    t.path = *p;
  }
}

void read_headers(const SourceNode& headers, FieldReader& r, RequestTemplate& t) {
  if (!r.expect_map(headers, "headers")) {
    return;
  }
  std::set<std::string> seen;
  for (const SourceEntry& h : headers.entries) {
    if (!is_header_name(h.key)) {
      r.diags().error(h.key_pos, fmt::format("'{}' is not an HTTP header name", h.key),
                      "letters, digits and !#$%&'*+-.^_`|~ only, e.g. Content-Type");
      continue;
    }
    const std::string key = lower(h.key);
    if (std::find(kOwnHeaders.begin(), kOwnHeaders.end(), key) != kOwnHeaders.end()) {
      r.diags().error(h.key_pos, fmt::format("header '{}' is written by faultline itself", h.key),
                      "remove it: Host names the load target and Content-Length is the body's length");
      continue;
    }
    if (!seen.insert(key).second) {
      r.diags().error(h.key_pos, fmt::format("header '{}' is set twice in request '{}'", h.key, t.name),
                      "header names are case-insensitive: keep one");
      continue;
    }
    auto value = r.text(h.value, fmt::format("header '{}'", h.key));
    if (!value) {
      continue;
    }
    if (value->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      r.diags().error(h.value.pos, fmt::format("the value of header '{}' holds a line break", h.key),
                      "a header value is one line");
      continue;
    }
    // Connections are kept alive unless a request asks the server to close
    // its one after answering (a first visit; with HTTPS, a handshake per
    // request): the load then opens another for the next request. Other
    // values (keep-alive, upgrade) would ask for what the load does anyway
    // or cannot do.
    if (key == "connection" && lower(*value) != "close") {
      r.diags().error(h.value.pos, fmt::format("header 'Connection' may only be 'close', not '{}'", *value),
                      "leave it out to keep connections alive (the default), or write Connection: close for "
                      "a new connection per request of this kind");
      continue;
    }
    t.headers.emplace_back(h.key, *value);
  }
}

void read_body_file(const SourceNode& node, FieldReader& r, const std::string& source_file,
                    RequestTemplate& t) {
  auto written = r.non_empty_text(node, "body_file");
  if (!written) {
    return;
  }
  const std::string path = resolve_path_from(source_file, *written);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    r.diags().error(node.pos, fmt::format("no such file: {} (looked in {})", *written, path),
                    "a relative body_file starts at the experiment file's folder");
    return;
  }
  if (status.type() != fs::file_type::regular) {
    r.diags().error(
        node.pos,
        fmt::format("'body_file' must name a file, but {} is not one (looked in {})", *written, path),
        "name the file whose bytes are the request's body, e.g. data/order.json");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.diags().error(node.pos,
                    fmt::format("cannot read {}: {} (looked in {})", *written, std::strerror(errno), path),
                    "the file must be readable by the user running faultline");
    return;
  }
  t.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  t.body_file = path;
}

void read_body(const SourceNode& item, FieldReader& r, const std::string& source_file, RequestTemplate& t) {
  const SourceEntry* body = item.find_entry("body");
  const SourceEntry* file = item.find_entry("body_file");
  if (body != nullptr && file != nullptr) {
    const SourceEntry& later =
        body->key_pos.line > file->key_pos.line ||
                (body->key_pos.line == file->key_pos.line && body->key_pos.col > file->key_pos.col)
            ? *body
            : *file;
    r.diags().error(later.key_pos, fmt::format("request '{}' has both 'body' and 'body_file'", t.name),
                    "keep one: 'body' for the text itself, 'body_file' for a file's bytes");
    return;
  }
  if (body != nullptr) {
    if (auto b = r.text(body->value, "body")) {
      t.body = *b;
    }
  } else if (file != nullptr) {
    read_body_file(file->value, r, source_file, t);
  }
}

std::optional<RequestTemplate> read_template(const SourceNode& item, FieldReader& r,
                                             const std::string& source_file) {
  if (!item.is_map()) {
    r.diags().error(item.pos, fmt::format("a request must be a map, not {}", describe(item)),
                    "e.g. { name: home, method: GET, path: /, weight: 70 }");
    return std::nullopt;
  }
  const SourcePos item_pos = item.entries.empty() ? item.pos : item.entries.front().key_pos;
  RequestTemplate t;
  t.pos = item_pos;
  read_name(item, item_pos, r, t);
  r.check_keys(item, kRequestKeys, t.name.empty() ? "a request" : fmt::format("request '{}'", t.name));
  if (const SourceNode* method = item.find("method")) {
    if (auto m = r.choice(*method, "method", kMethods)) {
      t.method = *m;
    }
  }
  read_path(item, item_pos, r, t);
  if (const SourceNode* weight = item.find("weight")) {
    if (auto w = r.number(*weight, "weight", 0, kMaxWeight)) {
      if (*w <= 0) {
        r.diags().error(weight->pos, "'weight' must be more than 0",
                        "a request that should not be sent is left out of the list");
      } else {
        t.weight = *w;
      }
    }
  }
  if (const SourceNode* headers = item.find("headers")) {
    read_headers(*headers, r, t);
  }
  read_body(item, r, source_file, t);
  return t;
}

}  // namespace

bool is_header_name(const std::string& name) {
  static const char* const kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && std::strchr(kSymbols, c) != nullptr);
  });
}

void read_request_mix(const SourceNode& load_node, FieldReader& r, const std::string& source_file,
                      Load& load) {
  if (const SourceNode* seed = load_node.find("seed")) {
    if (auto v = r.integer(*seed, "seed", 0, std::numeric_limits<int64_t>::max())) {
      load.seed = static_cast<uint64_t>(*v);
    }
  }
  const SourceEntry* requests = load_node.find_entry("requests");
  if (requests == nullptr) {
    RequestTemplate t;
    t.name = kDefaultRequestName;
    t.path = load.path;
    load.requests = {t};
    return;
  }
  load.requests_written = true;
  if (const SourceEntry* path = load_node.find_entry("path")) {
    r.diags().error(path->key_pos, "'path' and 'requests' cannot both be set in load",
                    "keep 'requests' and give each request its own path (remove 'path'), or remove "
                    "'requests' for one GET of 'path'");
  }
  if (!r.expect_list(requests->value, "requests")) {
    return;
  }
  const auto& items = requests->value.items;
  if (items.empty()) {
    r.diags().error(requests->key_pos, "'requests' is empty",
                    "list at least one request, e.g. - { name: home, path: / }");
    return;
  }
  if (items.size() > static_cast<size_t>(kMaxRequestTemplates)) {
    r.diags().error(requests->key_pos,
                    fmt::format("'requests' lists {} requests; at most {} are allowed", items.size(),
                                kMaxRequestTemplates),
                    "merge requests that differ only in ways the objectives do not tell apart");
    return;
  }
  bool ok = true;
  std::vector<RequestTemplate> mix;
  for (const SourceNode& item : items) {
    auto t = read_template(item, r, source_file);
    if (!t || t->name.empty()) {
      ok = false;
      continue;
    }
    const auto twin =
        std::find_if(mix.begin(), mix.end(), [&](const RequestTemplate& m) { return m.name == t->name; });
    if (twin != mix.end()) {
      r.diags().error(
          t->name_pos, fmt::format("request name '{}' is used twice", t->name),
          fmt::format("the first is on line {}; each request needs a name of its own", twin->name_pos.line));
      ok = false;
      continue;
    }
    mix.push_back(std::move(*t));
  }
  if (ok) {
    load.requests = std::move(mix);
  }
}

}  // namespace faultline::experiment
