#include "reporters/xml_text.h"

#include <catch2/catch.hpp>
#include <string>

using faultline::reporters::xml_escape;
using faultline::reporters::XmlContext;

TEST_CASE("html escaping replaces the five markup characters and keeps every other byte",
          "[reporters][xml]") {
  CHECK(xml_escape(R"(<a href="x">Tom & Jerry's</a>)") ==
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  CHECK(xml_escape("tab\there\x01\xff") == "tab\there\x01\xff");
}

TEST_CASE("xml 1.0 text keeps line breaks and makes unrepresentable characters visible", "[reporters][xml]") {
  CHECK(xml_escape("it's <ok>\nnext\tline\r", XmlContext::xml_text) ==
        "it&apos;s &lt;ok&gt;\nnext\tline&#13;");
  CHECK(xml_escape(std::string("a\x01"
                               "b\x1b",
                               4),
                   XmlContext::xml_text) == "a\\x01b\\x1B");
  CHECK(xml_escape("bad \xff byte", XmlContext::xml_text) == "bad \xEF\xBF\xBD byte");
  CHECK(xml_escape("caf\xC3\xA9 \xE2\x86\x92", XmlContext::xml_text) == "caf\xC3\xA9 \xE2\x86\x92");
}

TEST_CASE("xml 1.0 attributes write line breaks and tabs as references", "[reporters][xml]") {
  CHECK(xml_escape("a\nb\tc\"", XmlContext::xml_attribute) == "a&#10;b&#9;c&quot;");
}
