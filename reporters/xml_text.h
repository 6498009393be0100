#pragma once

#include <string>
#include <string_view>

namespace faultline::reporters {

// Where escaped text goes, which decides what must be escaped.
enum class XmlContext {
  // HTML5 pages and the SVG inlined in them: the five markup characters
  // only (' as &#39;, which HTML 4 readers know too); every other byte is
  // kept as it is, since an HTML parser recovers from anything else.
  html,
  // Element content of an XML 1.0 document (JUnit): a strict parser rejects
  // the whole file for one bad byte, so the result is always well-formed:
  // invalid UTF-8 becomes U+FFFD, and characters XML 1.0 cannot represent
  // at all (most control characters, U+FFFE, U+FFFF), not even as
  // references, are written as visible "\xNN" text.
  xml_text,
  // An attribute value of an XML 1.0 document: as xml_text, and line breaks
  // and tabs are written as references, which parsers would otherwise
  // normalise to spaces.
  xml_attribute,
};

// Text from the journal, escaped so that it can never become markup.
std::string xml_escape(std::string_view text, XmlContext context = XmlContext::html);

}  // namespace faultline::reporters
