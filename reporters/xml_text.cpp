#include "reporters/xml_text.h"

#include <fmt/format.h>

#include <cstdint>

namespace faultline::reporters {

namespace {

// Length of the UTF-8 sequence starting at s[i] and its code point, or 0 when
// the bytes there are not well-formed UTF-8 (overlong forms and surrogates
// included), so that the output stays a well-formed document whatever the
// journal holds.
size_t utf8_sequence(std::string_view s, size_t i, uint32_t& cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t len = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

// The escape of a markup character, or nullptr when `c` is not one.
const char* markup_escape(char c, XmlContext context) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return context == XmlContext::html ? "&#39;" : "&apos;";
    default:
      return nullptr;
  }
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const char* escaped = markup_escape(c, XmlContext::html);
    if (escaped != nullptr) {
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

std::string xml10_escape(std::string_view s, XmlContext context) {
  const bool attribute = context == XmlContext::xml_attribute;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = utf8_sequence(s, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
      continue;
    }
    const char c = s[i];
    if (const char* escaped = markup_escape(c, context)) {
      out += escaped;
    } else if (c == '\n') {
      out += attribute ? "&#10;" : "\n";
    } else if (c == '\t') {
      out += attribute ? "&#9;" : "\t";
    } else if (c == '\r') {
      out += "&#13;";  // a raw CR would be folded into the following LF
    } else if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF) {
      out += fmt::format("\\x{:02X}", cp);
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace

std::string xml_escape(std::string_view text, XmlContext context) {
  return context == XmlContext::html ? html_escape(text) : xml10_escape(text, context);
}

}  // namespace faultline::reporters
