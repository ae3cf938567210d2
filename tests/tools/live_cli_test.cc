// The CLI on a live store (issue 16 items 3 and 4): the read commands while
// another process has the store open, `dump --since-revision` while it
// writes and retires WAL segments, `snapstore changes` on a closed and a
// live store with its errors, and the exactly-once pipeline: `changes
// --follow` SIGKILLed at random points and resumed from the last complete
// line, its concatenated output equal to the writer's history, every change
// once, in revision order.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "snapstore/change.h"
#include "snapstore/store.h"
#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

using testutil::TempDir;
using testutil::ToolRunner;

// What the writer (tests/recovery/follower_child.cc) printed, by revision.
struct Written {
  std::string op;  // "index", "put", "del"
  std::string id;
  std::uint64_t version = 0;
  long n = 0;
};

std::map<std::uint64_t, Written> parse_history(const std::string& text) {
  std::map<std::uint64_t, Written> history;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::uint64_t revision = 0;
    Written w;
    fields >> revision >> w.op;
    if (w.op == "put") fields >> w.id >> w.version >> w.n;
    if (w.op == "del") fields >> w.id;
    history[revision] = w;
  }
  return history;
}

// Waits until the writer has printed at least `lines` lines.
std::string wait_for_lines(const std::string& path, std::size_t lines) {
  for (int i = 0; i < 1000; ++i) {
    std::string text = testutil::read_bytes(path);
    if (static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) >= lines) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(LiveCliTest, ReadCommandsWorkWhileAnotherProcessHasTheStoreOpen) {
  TempDir dir;
  ToolRunner writer;
  const pid_t owner = writer.start_program(SNAPSTORE_FOLLOWER_CHILD, {dir.path(), "0"});
  // The writer's stdout goes to its runner's scratch "out" file.
  ToolRunner tool;
  std::string history;
  for (int i = 0; i < 500 && history.empty(); ++i) {
    // `get` needs an id the owner wrote: poll the store until a put shows up.
    const auto run = tool.run({"count", dir.path()});
    if (run.exit_code == 0 && std::stoull(run.out) >= 20) history = run.out;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(history.empty()) << "the owner wrote nothing readable";

  const auto found = tool.run({"find", dir.path(), "by_group", "--eq", "[1]"});
  EXPECT_EQ(found.exit_code, 0) << found.err;
  const auto first_line = found.out.substr(0, found.out.find('\n'));
  const auto id_at = first_line.find("\"_id\":\"");
  ASSERT_NE(id_at, std::string::npos) << found.out;
  const std::string id = first_line.substr(id_at + 7, first_line.find('"', id_at + 7) - id_at - 7);

  const auto got = tool.run({"get", dir.path(), id});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(got.out.find(id), std::string::npos);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"count", dir.path(), "by_group", "[2]"},
           {"indexes", dir.path()},
           {"explain", dir.path(), "by_group", "--eq", "[3]"},
           {"stats", dir.path()},
           {"dump", dir.path(), "--format", "jsonl"},
           {"dump", dir.path(), "--index", "by_group", "--format", "jsonl"},
       }) {
    const auto run = tool.run(args);
    EXPECT_EQ(run.exit_code, 0) << args[0] << ": " << run.err;
    EXPECT_FALSE(run.out.empty()) << args[0];
  }
  const auto verified = tool.run({"verify", dir.path()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("in use by another process"), std::string::npos) << verified.out;

  ::kill(owner, SIGKILL);
  wait_exit(owner);
}

// `dump --since-revision R` while the owner (this process) writes and
// checkpoints, the checkpoints retiring the WAL up to R (a named consumer
// acknowledged R: the records after it stay): every dump succeeds and holds
// exactly the changes of the owner's history in (R, H], H its header's
// revision: the documents written there and not deleted, at their last
// version, and the ids deleted there.
TEST(LiveCliTest, IncrementalDumpOfALiveStoreWhileCheckpointsRetireItsWal) {
  TempDir dir;
  Options options;
  options.durability = Durability::kNone;
  options.wal_segment_bytes = 1024;           // many segments to retire
  options.checkpoint_wal_bytes = 1ULL << 40;  // only the writer's own checkpoints
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store) << store.status().message();
  ASSERT_TRUE(store->register_consumer("dumps", 0));

  std::mutex history_mutex;
  std::map<std::uint64_t, Written> history;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::mt19937 random(17);
    std::vector<std::string> live;
    for (long i = 1; !stop.load(); ++i) {
      const auto pick = random() % 10;
      Result<WriteResult> w = Status::ok();
      Written entry;
      if (pick < 5 || live.size() < 5) {
        w = store->insert(Document{{"n", i}});
        if (w) live.push_back(w->id);
        entry.op = "put";
      } else if (pick < 8) {
        w = store->update(live[random() % live.size()], Document{{"n", i}});
        entry.op = "put";
      } else {
        const std::size_t at = random() % live.size();
        w = store->remove(live[at]);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
        entry.op = "del";
      }
      ASSERT_TRUE(w) << w.status().message();
      entry.id = w->id;
      entry.version = w->version;
      {
        std::lock_guard lock(history_mutex);
        history[w->revision] = entry;
      }
      if (i % 10 == 0) {
        ASSERT_TRUE(store->checkpoint());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });

  ToolRunner tool;
  for (int round = 0; round < 4; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    const std::uint64_t since = store->revision();
    // Retired up to R by the writer's next checkpoints, while the dump runs.
    ASSERT_TRUE(store->acknowledge("dumps", since));
    const auto run = tool.run({"dump", dir.path(), "--format", "jsonl", "--since-revision", std::to_string(since)});
    ASSERT_EQ(run.exit_code, 0) << "since " << since << ": " << run.err;
    std::istringstream lines(run.out);
    std::string line;
    ASSERT_TRUE(std::getline(lines, line));
    auto header = from_json(line);
    ASSERT_TRUE(header && header->is_object()) << line;
    const Value* revision = header->find("revision");
    ASSERT_NE(revision, nullptr) << line;
    const std::uint64_t head = revision->as_uint();
    ASSERT_GT(head, since) << line;
    std::map<std::string, std::uint64_t> documents;  // id -> version
    std::map<std::string, std::uint64_t> deletions;  // id -> revision
    while (std::getline(lines, line)) {
      auto entry = from_json(line);
      ASSERT_TRUE(entry && entry->is_object()) << line;
      if (const Value* id = entry->find("_id")) {
        documents[id->as_string()] = entry->find("_version")->as_uint();
      } else if (const Value* gone = entry->find("_deleted")) {
        deletions[gone->as_string()] = entry->find("_revision")->as_uint();
      }
    }
    std::map<std::string, std::uint64_t> want_documents;
    std::map<std::string, std::uint64_t> want_deletions;
    {
      std::lock_guard lock(history_mutex);
      for (auto it = history.upper_bound(since); it != history.end() && it->first <= head; ++it) {
        if (it->second.op == "put") want_documents[it->second.id] = it->second.version;
        if (it->second.op == "del") {
          want_documents.erase(it->second.id);
          want_deletions[it->second.id] = it->first;
        }
      }
    }
    EXPECT_EQ(documents, want_documents) << "revisions " << since << ".." << head;
    EXPECT_EQ(deletions, want_deletions) << "revisions " << since << ".." << head;
    EXPECT_FALSE(deletions.empty() && documents.empty()) << "revisions " << since << ".." << head;
  }
  stop = true;
  writer.join();
}

TEST(LiveCliTest, ChangesOnAClosedStoreAndItsErrors) {
  TempDir dir;
  std::vector<std::string> ids;
  {
    Options options;
    options.wal_segment_bytes = 1024;
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE(store->create_index("by_n", {"n"}).is_ok());
    for (long i = 0; i < 20; ++i) ids.push_back(store->insert(Document{{"n", i}}).value().id);
    ASSERT_TRUE(store->update(ids[3], Document{{"n", 100}}).is_ok());
    ASSERT_TRUE(store->remove(ids[4]).is_ok());
    // Left open: the WAL keeps every record (close would checkpoint it away).
    ToolRunner tool;
    // Busy no more: the owner is this process, and changes takes no lock.
    const auto all = tool.run({"changes", dir.path(), "--from", "1"});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    std::istringstream lines(all.out);
    std::string line;
    std::uint64_t expected = 1;
    while (std::getline(lines, line)) {
      auto change = change_from_json_line(line);
      ASSERT_TRUE(change.is_ok()) << line;
      EXPECT_EQ(change->revision, expected++);
    }
    EXPECT_EQ(expected, 24U);  // 1 index + 20 inserts + update + remove

    const auto tail = tool.run({"changes", dir.path(), "--from", "22"});
    ASSERT_EQ(tail.exit_code, 0) << tail.err;
    EXPECT_EQ(std::count(tail.out.begin(), tail.out.end(), '\n'), 2);
    EXPECT_NE(tail.out.find("\"op\":\"remove\""), std::string::npos) << tail.out;

    const auto next = tool.run({"changes", dir.path(), "--from", "24"});  // the resume point: nothing yet
    EXPECT_EQ(next.exit_code, 0) << next.err;
    EXPECT_TRUE(next.out.empty());

    const auto future = tool.run({"changes", dir.path(), "--from", "30"});
    EXPECT_EQ(future.exit_code, 2);
    EXPECT_NE(future.err.find("in the future"), std::string::npos) << future.err;
    EXPECT_NE(future.err.find("revision 23"), std::string::npos) << future.err;

    const auto zero = tool.run({"changes", dir.path(), "--from", "0"});
    EXPECT_EQ(zero.exit_code, 2);

    // --follow on a future revision waits for it.
    ToolRunner follower;
    const pid_t waiting = follower.start({"changes", dir.path(), "--from", "25", "--follow", "--poll-ms", "5"});
    ASSERT_TRUE(store->insert(Document{{"n", 24}}).is_ok());  // revision 24: not printed
    ASSERT_TRUE(store->insert(Document{{"n", 25}}).is_ok());  // revision 25
    std::string printed;
    for (int i = 0; i < 500 && printed.find('\n') == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      printed = follower.run_output();
    }
    ::kill(waiting, SIGKILL);
    wait_exit(waiting);
    auto change = change_from_json_line(printed.substr(0, printed.find('\n')));
    ASSERT_TRUE(change.is_ok()) << printed;
    EXPECT_EQ(change->revision, 25U);
    store->close();
  }
  // After a clean close the checkpoint has retired the WAL's old segments.
  ToolRunner tool;
  const auto retired = tool.run({"changes", dir.path(), "--from", "1"});
  EXPECT_EQ(retired.exit_code, 2);
  EXPECT_NE(retired.err.find("retired"), std::string::npos) << retired.err;
  EXPECT_NE(retired.err.find("oldest revision available is"), std::string::npos) << retired.err;

  TempDir empty;
  const auto not_a_store = tool.run({"changes", empty.path(), "--from", "1"});
  EXPECT_EQ(not_a_store.exit_code, 2);
  EXPECT_NE(not_a_store.err.find("no store at"), std::string::npos) << not_a_store.err;
}

// The pipeline of docs/PIPELINE.md: a consumer that keeps the last revision
// it applied with its output and restarts `changes --follow` from the next
// one, dropping a partial last line, receives every change exactly once.
TEST(LiveCliTest, ChangesFollowIsExactlyOnceAcrossKillsOfTheFollower) {
  TempDir dir;
  ToolRunner writer;
  const pid_t owner = writer.start_program(SNAPSTORE_FOLLOWER_CHILD, {dir.path(), "400", "keep"});
  ASSERT_FALSE(wait_for_lines(writer.out_path(), 1).empty());

  std::mt19937 random(16);
  std::vector<Change> consumed;  // the consumer's output, with its last revision
  std::uint64_t last_applied = 0;
  bool owner_done = false;
  std::uint64_t final_revision = 0;
  int kills = 0;
  for (int round = 0; round < 200; ++round) {
    ToolRunner follower;
    const pid_t pid = follower.start({"changes", dir.path(), "--from", std::to_string(last_applied + 1), "--follow",
                                      "--poll-ms", "2"});
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 300)(random)));
    ::kill(pid, SIGKILL);
    EXPECT_EQ(wait_exit(pid), -1) << follower.run_error();
    ++kills;
    // Whole lines only: a line cut by the kill is dropped and read again.
    const std::string out = follower.run_output();
    std::size_t start = 0;
    for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
      auto change = change_from_json_line(std::string_view(out).substr(start, end - start));
      ASSERT_TRUE(change.is_ok()) << change.status().message();
      consumed.push_back(*change);
      last_applied = change->revision;
    }
    if (!owner_done) {
      int status = 0;
      if (::waitpid(owner, &status, WNOHANG) == owner) {
        owner_done = true;
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        final_revision = parse_history(testutil::read_bytes(writer.out_path())).rbegin()->first;
      }
    }
    if (owner_done && last_applied >= final_revision) break;
  }
  ASSERT_TRUE(owner_done);
  EXPECT_GT(kills, 3);

  const auto history = parse_history(testutil::read_bytes(writer.out_path()));
  ASSERT_EQ(consumed.size(), history.size());
  for (std::size_t i = 0; i < consumed.size(); ++i) {
    const Change& c = consumed[i];
    ASSERT_EQ(c.revision, i + 1) << "out of order, lost or duplicated at " << i;
    const Written& w = history.at(c.revision);
    if (w.op == "index") {
      EXPECT_EQ(c.op, ChangeOp::kCreateIndex);
    } else if (w.op == "del") {
      EXPECT_EQ(c.op, ChangeOp::kRemove);
      EXPECT_EQ(c.id, w.id);
    } else {
      EXPECT_EQ(c.op, w.version == 1 ? ChangeOp::kInsert : ChangeOp::kUpdate) << c.revision;
      EXPECT_EQ(c.id, w.id);
      EXPECT_EQ(c.version, w.version);
      EXPECT_EQ(c.document, (Document{{"n", w.n}, {"group", w.n % 5}}));
    }
  }
}

}  // namespace
}  // namespace snapstore
