// Game-day notes: lines appended by `faultline note` and read by the runner.

#include "harness/runner/note_inbox.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

using namespace faultline::runner;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("faultline-notes-" + std::to_string(getpid()) + "-" + name))
      .string();
}

}  // namespace

TEST_CASE("notes appended to a run's inbox are read once each, whole lines only", "[runner][notes]") {
  const std::string path = temp_path("inbox");
  NoteInbox inbox(path);
  CHECK(inbox.take().empty());

  std::string error;
  REQUIRE(append_note(path, "paged the on-call", error));
  REQUIRE(append_note(path, "first suspect:\nthe database", error));  // a newline inside becomes a space
  REQUIRE(append_note(path, "   ", error));                           // blank: dropped
  CHECK(inbox.take() == std::vector<std::string>{"paged the on-call", "first suspect: the database"});
  CHECK(inbox.take().empty());

  // A writer caught mid-line: the line waits until it is complete.
  {
    std::FILE* f = std::fopen(path.c_str(), "a");
    REQUIRE(f != nullptr);
    std::fputs("rolled back the ", f);
    std::fclose(f);
  }
  CHECK(inbox.take().empty());
  REQUIRE(append_note(path, "weights", error));
  CHECK(inbox.take() == std::vector<std::string>{"rolled back the weights"});
  std::filesystem::remove(path);
}

TEST_CASE("a note for a run without an inbox is refused", "[runner][notes]") {
  std::string error;
  CHECK_FALSE(append_note(temp_path("absent"), "hello", error));
  CHECK_FALSE(error.empty());
}
