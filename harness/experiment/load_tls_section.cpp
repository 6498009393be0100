// The HTTPS keys of the load section (issue 21): scheme, http, ca, insecure,
// sni and resume, checked against the target service, which must speak what the
// load will: a rendered load balancer with `tls: true`, or a team's own
// config whose certificate the load is told how to trust.

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/experiment/sections.h"

namespace faultline::experiment {

namespace {

const std::vector<std::string> kSchemes = {"http", "https"};

// How many certificates a PEM text holds (0: none could be read).
int count_certificates(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) {
    return 0;
  }
  int n = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++n;
  }
  BIO_free(bio);
  ERR_clear_error();  // the end of the text reads as an error
  return n;
}

// A name the load can send as SNI: a DNS name (RFC 6066 forbids an IP).
bool is_host_name(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.' || name.front() == '-') {
    return false;
  }
  const bool all_valid = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  const bool all_numeric =
      std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  return all_valid && !all_numeric;
}

void read_ca(const SourceNode& node, FieldReader& r, const Experiment& exp, Load& load) {
  auto written = r.non_empty_text(node, "ca");
  if (!written) {
    return;
  }
  const std::string path = resolve_path(exp, *written);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    r.diags().error(node.pos, fmt::format("no such file: {} (looked in {})", *written, path),
                    "name the PEM file of the CA that signed the target's certificate, relative to the "
                    "experiment file's folder");
    return;
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    r.diags().error(node.pos, fmt::format("cannot read {}", path),
                    "it must be readable by the user running faultline");
    return;
  }
  if (count_certificates(text.str()) == 0) {
    r.diags().error(node.pos, fmt::format("{} holds no PEM certificate", *written),
                    "it must hold the CA's certificate as -----BEGIN CERTIFICATE----- ... (a key or a "
                    "DER file will not do: `openssl x509 -in ca.der -inform der -out ca.pem` converts)");
    return;
  }
  load.ca = path;
}

}  // namespace

void read_load_tls(const SourceEntry& section, FieldReader& r, const Experiment& exp, Load& load) {
  const SourceNode& node = section.value;
  if (!node.is_map()) {
    return;  // read_load reported it
  }
  const SourceNode* scheme = node.find("scheme");
  if (scheme != nullptr) {
    if (auto s = r.choice(*scheme, "scheme", kSchemes)) {
      load.scheme = *s;
    }
  }
  if (const SourceNode* http = node.find("http")) {
    if (auto v = r.text(*http, "http")) {
      if (*v == "2" || *v == "2.0") {
        r.diags().error(http->pos, "HTTP/2 load is not built yet",
                        "leave 'http' out (HTTP/1.1, over TLS too) until it is");
      } else if (*v != "1.1") {
        r.diags().error(http->pos, fmt::format("'http' must be 1.1, not '{}'", *v),
                        "the load speaks HTTP/1.1; leave 'http' out");
      }
    }
  }
  const SourceEntry* ca = node.find_entry("ca");
  const SourceEntry* insecure = node.find_entry("insecure");
  const SourceEntry* sni = node.find_entry("sni");
  const SourceEntry* resume = node.find_entry("resume");
  if (!load.https()) {
    for (const SourceEntry* e : {ca, insecure, sni, resume}) {
      if (e != nullptr) {
        r.diags().error(e->key_pos, fmt::format("'{}' applies only to HTTPS load", e->key),
                        "add scheme: https to the load section, or remove it");
      }
    }
  } else {
    if (ca != nullptr) {
      read_ca(ca->value, r, exp, load);
    }
    if (insecure != nullptr) {
      if (auto v = r.boolean(insecure->value, "insecure")) {
        load.insecure = *v;
        if (*v && ca != nullptr) {
          r.diags().error(insecure->key_pos, "'insecure: true' and 'ca' contradict each other",
                          "keep 'ca' to verify the target's certificate, or 'insecure' to verify nothing");
        }
      }
    }
    if (resume != nullptr) {
      if (auto v = r.boolean(resume->value, "resume")) {
        load.resume = *v;
      }
    }
    if (sni != nullptr) {
      if (auto v = r.non_empty_text(sni->value, "sni")) {
        if (!is_host_name(*v)) {
          r.diags().error(sni->value.pos, fmt::format("'sni' must be a host name, not '{}'", *v),
                          "TLS sends no IP address as the server name; e.g. sni: shop.example.com");
        } else {
          load.sni = *v;
        }
      }
    }
  }

  // The target must speak what the load does.
  const Service* target = exp.stack.find(load.target);
  if (target == nullptr) {
    return;  // read_load reported it
  }
  const bool rendered = !target->has_own_config() && exp.stack.runtime != "compose";
  const SourcePos& at = scheme != nullptr ? scheme->pos : section.key_pos;
  if (load.https() && rendered && !target->tls) {
    r.diags().error(at, fmt::format("load target '{}' serves plain HTTP", load.target),
                    fmt::format("add tls: true to service '{}' (faultline then makes it a certificate the "
                                "load trusts), or write scheme: http",
                                load.target));
  } else if (!load.https() && target->tls) {
    r.diags().error(at, fmt::format("load target '{}' serves HTTPS only (it has tls: true)", load.target),
                    "write scheme: https in the load section");
  } else if (load.https() && !rendered && ca == nullptr && insecure == nullptr) {
    r.diags().error(at,
                    fmt::format("HTTPS to '{}', which runs your own config: the load does not know which CA "
                                "signed its certificate",
                                load.target),
                    "write ca: <the CA's PEM file> (and sni: <the name on the certificate>), or "
                    "insecure: true to verify nothing");
  }
  if (load.https() && load.sni.empty()) {
    load.sni = load.target;
  }
}

}  // namespace faultline::experiment
