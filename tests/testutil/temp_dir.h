// TempDir: a fresh directory under $TMPDIR (or /tmp) for one test, removed
// with everything in it when the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace snapstore::testutil {

class TempDir {
 public:
  TempDir() : TempDir(default_base()) {}
  // Under `base` instead: fault tests use a RAM file system (their fault
  // injection models durability, so real fsyncs only cost time).
  explicit TempDir(const std::string& base) {
    std::string pattern = base + "/snapstore-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  static std::string default_base() {
    const char* base = std::getenv("TMPDIR");
    return base != nullptr ? base : "/tmp";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace snapstore::testutil
