// The store directory (recovery/store_dir.h): only create_if_missing creates
// a store, only in a missing or empty directory (or one an interrupted
// creation left); anything else is refused with nothing written. The lock:
// every refusal names the holder's pid, lock_timeout waits for it, read-only
// opens share it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "recovery/store_dir.h"
#include "wal/env.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

Options quick_options() {
  Options options;
  options.durability = Durability::kNone;
  options.wal_segment_bytes = 1 << 20;
  options.open_threads = 1;
  return options;
}

TEST(StoreDirTest, EveryNameComesFromTheLayout) {
  EXPECT_EQ(recovery::lock_path("s"), "s/LOCK");
  EXPECT_EQ(recovery::wal_dir_path("s/"), "s/wal");
  EXPECT_EQ(recovery::db_dir_path("a/s"), "a/s/db");
  EXPECT_EQ(recovery::damaged_path("s/wal/1.log"), "s/wal/1.log.damaged");
  EXPECT_EQ(recovery::temporary_path("x"), "x.tmp");
  EXPECT_EQ(recovery::restore_temp_prefix("a/b/store"), "a/b/.store.restore-");
  EXPECT_EQ(recovery::restore_temp_prefix("store"), ".store.restore-");
}

TEST(StoreDirTest, ADirectoryThatIsNotAStoreIsRefusedAndLeftUntouched) {
  TempDir dir;
  const std::string foreign = dir / "foreign";
  fs::create_directory(foreign);
  std::ofstream(foreign + "/notes.txt") << "mine";
  for (bool create : {false, true}) {
    Options options = quick_options();
    options.create_if_missing = create;
    auto store = Store::open(foreign, options);
    ASSERT_EQ(store.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(store.status().message().find(foreign + " is not a snapstore store"), std::string::npos)
        << store.status().message();
    EXPECT_NE(store.status().message().find("notes.txt"), std::string::npos);
    EXPECT_EQ(entries(foreign), std::set<std::string>{"notes.txt"});
  }
}

TEST(StoreDirTest, AnEmptyDirectoryBecomesAStoreOnlyWithCreateIfMissing) {
  TempDir dir;
  const std::string empty = dir / "empty";
  fs::create_directory(empty);
  Options options = quick_options();
  options.create_if_missing = false;
  auto refused = Store::open(empty, options);
  ASSERT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("no store at " + empty), std::string::npos);
  EXPECT_TRUE(entries(empty).empty());

  options.read_only = true;
  EXPECT_EQ(Store::open(empty, options).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(entries(empty).empty());

  options = quick_options();
  auto created = Store::open(empty, options);
  ASSERT_TRUE(created.is_ok()) << created.status().message();
  ASSERT_TRUE(created->insert(Document{{"a", 1}}).is_ok());
  created->close();
  EXPECT_EQ(entries(empty), (std::set<std::string>{"LOCK", "db", "wal"}));
}

TEST(StoreDirTest, MissingParentIsNotCreated) {
  TempDir dir;
  auto store = Store::open(dir / "missing/store", quick_options());
  ASSERT_EQ(store.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("parent directory " + dir / "missing" + " does not exist"),
            std::string::npos)
      << store.status().message();
  EXPECT_FALSE(fs::exists(dir / "missing"));
}

TEST(StoreDirTest, AnInterruptedCreationIsFinished) {
  TempDir dir;
  const std::string half = dir / "half";
  fs::create_directory(half);
  std::ofstream(half + "/LOCK") << "12345\n";
  fs::create_directory(half + "/wal");
  Options options = quick_options();
  options.create_if_missing = false;
  EXPECT_EQ(Store::open(half, options).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(half + "/db"));
  auto store = Store::open(half, quick_options());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  ASSERT_TRUE(store->insert(Document{{"a", 1}}).is_ok());
  store->close();
  auto again = Store::open(half, options);
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(again->revision(), 1U);
}

TEST(StoreDirTest, AWalWithoutItsMirrorIsNotOverwritten) {
  TempDir dir;
  const std::string broken = dir / "broken";
  fs::create_directories(broken + "/wal");
  std::ofstream(broken + "/wal/00000000000000000001.log") << "segment";
  auto store = Store::open(broken, quick_options());
  ASSERT_EQ(store.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("not a complete store"), std::string::npos) << store.status().message();
  EXPECT_EQ(entries(broken), std::set<std::string>{"wal"});
}

TEST(StoreDirTest, ErrorIfExists) {
  TempDir dir;
  ASSERT_TRUE(Store::open(dir.path(), quick_options()).is_ok());
  Options options = quick_options();
  options.error_if_exists = true;
  auto store = Store::open(dir.path(), options);
  ASSERT_EQ(store.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("already exists"), std::string::npos);
}

TEST(StoreDirTest, LockTimeoutWaitsForTheHolder) {
  TempDir dir;
  auto holder = std::make_unique<Store>(std::move(Store::open(dir.path(), quick_options()).value()));
  Options options = quick_options();
  options.lock_timeout = std::chrono::milliseconds(5000);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    holder->close();
  });
  const auto started = std::chrono::steady_clock::now();
  auto waited = Store::open(dir.path(), options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  release.join();
  ASSERT_TRUE(waited.is_ok()) << waited.status().message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
}

TEST(StoreDirTest, LockTimeoutEndsInBusyNamingTheHolder) {
  TempDir dir;
  auto holder = Store::open(dir.path(), quick_options());
  ASSERT_TRUE(holder.is_ok());
  Options options = quick_options();
  options.lock_timeout = std::chrono::milliseconds(400);
  const auto started = std::chrono::steady_clock::now();
  auto refused = Store::open(dir.path(), options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(refused.code(), StatusCode::kBusy);
  EXPECT_NE(refused.status().message().find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos)
      << refused.status().message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(400));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
}

TEST(StoreDirTest, ReadOnlyOpensShareTheLockAndKeepWritersOut) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), quick_options());
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE(store->insert(Document{{"a", 1}}).is_ok());
  }
  Options read_only = quick_options();
  read_only.read_only = true;
  auto first = Store::open(dir.path(), read_only);
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  auto second = Store::open(dir.path(), read_only);
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  auto writer = Store::open(dir.path(), quick_options());
  ASSERT_EQ(writer.code(), StatusCode::kBusy);
  // Shared holders write nothing into LOCK: the kernel's lock table names them.
  EXPECT_NE(writer.status().message().find(std::to_string(::getpid())), std::string::npos)
      << writer.status().message();
  first->close();
  second->close();
  auto now_free = Store::open(dir.path(), quick_options());
  ASSERT_TRUE(now_free.is_ok()) << now_free.status().message();
  EXPECT_EQ(Store::open(dir.path(), read_only).code(), StatusCode::kBusy);
}

// Many processes race for one store: every refusal names a pid, including
// those that come while the winner is between taking the lock and writing
// its pid into LOCK.
TEST(StoreDirTest, EveryRefusalInARaceNamesThePid) {
  TempDir dir;
  ASSERT_TRUE(Store::open(dir.path(), quick_options()).is_ok());
  constexpr int kRounds = 30;
  constexpr int kRacers = 4;
  int refusals = 0;
  for (int round = 0; round < kRounds; ++round) {
    int pipes[kRacers][2];
    pid_t pids[kRacers];
    for (int r = 0; r < kRacers; ++r) {
      ASSERT_EQ(::pipe(pipes[r]), 0);
      pids[r] = ::fork();  // before any RocksDB thread exists in the child's copy
      ASSERT_GE(pids[r], 0);
      if (pids[r] == 0) {
        ::close(pipes[r][0]);
        auto lock = wal::Env::posix()->lock_file(recovery::lock_path(dir.path()), wal::LockOptions{});
        const std::string message = lock ? "ok " + std::to_string(::getpid()) : lock.status().message();
        if (lock) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        (void)!::write(pipes[r][1], message.data(), message.size());
        ::_exit(0);
      }
      ::close(pipes[r][1]);
    }
    std::vector<std::string> messages;
    std::set<std::string> winners;
    for (int r = 0; r < kRacers; ++r) {
      std::string message;
      char buffer[512];
      ssize_t n = 0;
      while ((n = ::read(pipes[r][0], buffer, sizeof buffer)) > 0) message.append(buffer, static_cast<std::size_t>(n));
      ::close(pipes[r][0]);
      int status = 0;
      ::waitpid(pids[r], &status, 0);
      if (message.starts_with("ok ")) {
        winners.insert(message.substr(3));
      } else {
        messages.push_back(message);
      }
    }
    // A refusal names a winner of this round, never an earlier holder.
    for (const std::string& message : messages) {
      ++refusals;
      const std::size_t at = message.find("(pid ");
      ASSERT_NE(at, std::string::npos) << message;
      const std::string pid = message.substr(at + 5, message.find(')', at) - at - 5);
      EXPECT_TRUE(winners.contains(pid)) << message;
    }
  }
  EXPECT_GT(refusals, 0);
}

// Nothing anywhere in the directory changes: no file created, none written
// (RocksDB's info log included), so read-only media work.
TEST(StoreDirTest, ReadOnlyOpenWritesNothing) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), quick_options());
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE(store->insert(Document{{"a", 1}}).is_ok());
    ASSERT_TRUE(store->create_index("by_a", {"a"}).is_ok());
  }
  auto files = [&] {
    std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> state;
    for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
      const auto size = entry.is_regular_file() ? entry.file_size() : 0;
      state[entry.path().string()] = {size, entry.last_write_time()};
    }
    return state;
  };
  const auto before = files();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a write would show in the mtimes
  Options options = quick_options();
  options.read_only = true;
  {
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    EXPECT_EQ(store->revision(), 2U);
  }
  EXPECT_EQ(files(), before);

  // A copy without LOCK (never opened for writing there) is read unlocked.
  fs::remove(dir / "LOCK");
  auto unlocked = Store::open(dir.path(), options);
  ASSERT_TRUE(unlocked.is_ok()) << unlocked.status().message();
  EXPECT_FALSE(fs::exists(dir / "LOCK"));
}

}  // namespace
}  // namespace snapstore
