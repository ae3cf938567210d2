// The store directory from the command line: write commands never make a
// store out of a directory that is not one, --wait waits for a store another
// process holds, and the read commands work on a store that cannot be
// written (no write permission; a read-only mount).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "recovery/store_dir.h"
#include "testutil/temp_dir.h"
#include "tools/run_tool.h"
#include "wal/env.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;
using testutil::ToolRun;
using testutil::ToolRunner;

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.insert(fs::relative(entry.path(), dir).string());
  }
  return names;
}

class StoreDirCliTest : public ::testing::Test {
 protected:
  ToolRun wait_for(pid_t pid) const {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ToolRun result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  void make_store(const std::string& dir) {
    ToolRun inserted = tool_.run({"insert", "--create", dir, R"({"city":"NY"})"});
    ASSERT_EQ(inserted.exit_code, 0) << inserted.err;
    const std::size_t at = inserted.out.find(R"("_id":")");
    ASSERT_NE(at, std::string::npos) << inserted.out;
    id_ = inserted.out.substr(at + 7, inserted.out.find('"', at + 7) - at - 7);
    ASSERT_EQ(tool_.run({"create-index", dir, "by_city", "city"}).exit_code, 0);
  }

  // The read commands, each expected to succeed on `dir`.
  void expect_reads_work(const std::string& program_prefix_note, const std::string& dir,
                         const std::vector<std::string>& prefix) {
    const std::vector<std::vector<std::string>> reads = {
        {"get", dir, id_}, {"find", dir, "by_city", "--eq", R"(["NY"])"}, {"dump", dir, "--format", "jsonl"},
        {"verify", dir},   {"stats", dir},                                {"wal", dir}};
    for (const auto& read : reads) {
      std::vector<std::string> args = prefix;
      args.insert(args.end(), read.begin(), read.end());
      const pid_t pid = prefix.empty() ? tool_.start(args) : tool_.start_program(prefix_program_, args);
      int status = 0;
      ::waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status));
      EXPECT_EQ(WEXITSTATUS(status), 0) << program_prefix_note << ": " << read[0];
    }
  }

  ToolRunner tool_;
  TempDir dir_;
  std::string prefix_program_;
  std::string id_;  // the document make_store inserted
};

TEST_F(StoreDirCliTest, WriteCommandsLeaveAnEmptyDirectoryEmpty) {
  const std::string empty = dir_ / "e3";
  fs::create_directory(empty);
  const std::vector<std::vector<std::string>> writes = {{"delete", empty, "x"},
                                                        {"insert", empty, R"({"a":1})"},
                                                        {"update", empty, "x", R"({"a":1})"},
                                                        {"create-index", empty, "i", "a"},
                                                        {"drop-index", empty, "i"}};
  for (const auto& write : writes) {
    ToolRun run = tool_.run(write);
    EXPECT_EQ(run.exit_code, 2) << write[0] << ": " << run.err;
    EXPECT_NE(run.err.find("no store at " + empty), std::string::npos) << run.err;
    EXPECT_TRUE(entries(empty).empty()) << write[0];
  }
}

TEST_F(StoreDirCliTest, NothingIsWrittenIntoADirectoryThatIsNotAStore) {
  const std::string foreign = dir_ / "foreign";
  fs::create_directory(foreign);
  std::ofstream(foreign + "/report.pdf") << "not a store";
  const std::vector<std::vector<std::string>> writes = {{"insert", "--create", foreign, R"({"a":1})"},
                                                        {"insert", foreign, R"({"a":1})"},
                                                        {"delete", foreign, "x"},
                                                        {"create-index", foreign, "i", "a"}};
  for (const auto& write : writes) {
    ToolRun run = tool_.run(write);
    EXPECT_EQ(run.exit_code, 2) << write[0];
    EXPECT_NE(run.err.find(foreign + " is not a snapstore store"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("report.pdf"), std::string::npos) << run.err;
    EXPECT_EQ(entries(foreign), std::set<std::string>{"report.pdf"});
  }
}

TEST_F(StoreDirCliTest, WaitWaitsForTheHolder) {
  const std::string store = dir_ / "s";
  make_store(store);
  auto held = wal::Env::posix()->lock_file(recovery::lock_path(store), wal::LockOptions{});
  ASSERT_TRUE(held.is_ok()) << held.status().message();

  ToolRun refused = tool_.run({"insert", store, R"({"b":2})"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos) << refused.err;

  auto started = std::chrono::steady_clock::now();
  ToolRun timed_out = tool_.run({"--wait", "0.5", "insert", store, R"({"b":2})"});
  EXPECT_EQ(timed_out.exit_code, 2) << timed_out.err;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  EXPECT_NE(timed_out.err.find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos) << timed_out.err;
  // A read waits as long for the lock, then reads the store as a follower (D89).
  started = std::chrono::steady_clock::now();
  ToolRun read_live = tool_.run({"get", store, id_, "--wait", "0.5"});
  EXPECT_EQ(read_live.exit_code, 0) << read_live.err;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));

  started = std::chrono::steady_clock::now();
  const pid_t waiting = tool_.start({"--wait", "10", "insert", store, R"({"b":2})"});
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  held->reset();
  EXPECT_EQ(wait_for(waiting).exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
}

// Root ignores permissions: the reads run as nobody (setpriv), on a copy
// with every write permission removed.
TEST_F(StoreDirCliTest, ReadCommandsWorkWithoutWritePermission) {
  const std::string store = dir_ / "s";
  make_store(store);
  const std::string copy = dir_ / "copy";
  fs::copy(store, copy, fs::copy_options::recursive);
  const auto before = entries(copy);
  for (const auto& entry : fs::recursive_directory_iterator(copy)) {
    fs::permissions(entry.path(), fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
  }
  fs::permissions(copy, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  std::vector<std::string> prefix;
  if (::geteuid() == 0) {
    if (!fs::exists("/usr/bin/setpriv")) GTEST_SKIP() << "root, and no setpriv to drop privileges with";
    fs::permissions(dir_.path(), fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
    prefix_program_ = "/usr/bin/setpriv";
    prefix = {"--reuid=65534", "--regid=65534", "--clear-groups", SNAPSTORE_TOOL};
  }
  expect_reads_work("no write permission", copy, prefix);
  EXPECT_EQ(entries(copy), before);
  fs::permissions(copy, fs::perms::owner_write, fs::perm_options::add);
}

// A read-only bind mount (root only; skipped where mounting is not allowed).
TEST_F(StoreDirCliTest, ReadCommandsWorkOnAReadOnlyMount) {
  const std::string store = dir_ / "s";
  make_store(store);
  const std::string mounted = dir_ / "ro";
  fs::create_directory(mounted);
  if (::mount(store.c_str(), mounted.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    GTEST_SKIP() << "cannot bind-mount here: " << std::strerror(errno);
  }
  if (::mount(nullptr, mounted.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    ::umount(mounted.c_str());
    GTEST_SKIP() << "cannot remount read-only: " << std::strerror(errno);
  }
  const auto before = entries(mounted);
  expect_reads_work("read-only mount", mounted, {});
  ToolRun write = tool_.run({"insert", mounted, R"({"b":2})"});
  EXPECT_EQ(write.exit_code, 2);
  EXPECT_NE(write.err.find("Read-only file system"), std::string::npos) << write.err;
  EXPECT_EQ(entries(mounted), before);
  ::umount(mounted.c_str());
}

}  // namespace
}  // namespace snapstore
