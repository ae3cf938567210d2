// Index options survive every way a store comes back (issue 15 item 6):
// reopening from the checkpointed mirror, replaying the WAL after a process
// left without closing, and a SIGKILL in the middle of writes to a unique
// index; the reader the CLI uses (StoreReader) and verify's DocumentCheck
// see the same definitions, and DocumentCheck catches a unique index whose
// files hold a duplicate key.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>

#include "recovery/tool_interface.h"
#include "snapstore/store.h"
#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"
#include "wal/record.h"

extern char** environ;

namespace snapstore {
namespace {

using testutil::TempDir;

// Starts the child (posix_spawn: fork() hangs once RocksDB's threads
// exist) with stdout and stderr in `out` and `err`.
pid_t start_child(const std::string& mode, const std::string& dir, const std::string& out, const std::string& err) {
  std::vector<std::string> args{SNAPSTORE_INDEX_OPTIONS_CHILD, mode, dir};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot start " << argv[0];
  return pid;
}

const IndexOptions kUnique{.unique = true};
const IndexOptions kActive{.partial = IndexPredicate::equals("status", "active")};

Store open(const std::string& dir) {
  Options options;
  options.durability = Durability::kNone;
  auto store = Store::open(dir, options);
  EXPECT_TRUE(store) << store.status().message();
  return std::move(*store);
}

void expect_definitions(Store& store) {
  const std::vector<IndexInfo> infos = store.indexes();
  ASSERT_EQ(infos.size(), 2U);
  EXPECT_EQ(infos[0].name, "active_by_city");
  EXPECT_EQ(infos[0].options, kActive);
  EXPECT_EQ(infos[0].entries, 1U);
  EXPECT_EQ(infos[1].name, "by_email");
  EXPECT_EQ(infos[1].options, kUnique);
  EXPECT_EQ(infos[1].entries, 2U);
  // Still enforced after the reopen.
  auto dup = store.insert(Document{{"email", "gone@x.org"}});
  EXPECT_EQ(dup.code(), StatusCode::kUniqueViolation) << dup.status().message();
  auto active = store.lookup("active_by_city", {"NY"});
  ASSERT_TRUE(active);
  ASSERT_EQ(active->size(), 1U);
  EXPECT_EQ((*active)[0].data.at("status"), Value("active"));
}

void expect_reader_definitions(const std::string& dir) {
  auto reader = recovery::StoreReader::open(dir);
  ASSERT_TRUE(reader) << reader.status().message();
  const auto& defs = (*reader)->indexes();
  ASSERT_EQ(defs.size(), 2U);
  EXPECT_EQ(defs[0].options, kActive);
  EXPECT_EQ(defs[1].options, kUnique);
  auto active = (*reader)->lookup("active_by_city", {Value("NY")});
  ASSERT_TRUE(active) << active.status().message();
  EXPECT_EQ(active->size(), 1U);  // the partial predicate applies to reads from the files too
  auto totals = (*reader)->totals();
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->index_entries, (std::vector<std::uint64_t>{1, 2}));
}

TEST(IndexOptionsTest, ReopenFromTheMirrorKeepsTheOptions) {
  TempDir dir;
  {
    Store store = open(dir / "s");
    ASSERT_TRUE(store.create_index("by_email", {"email"}, kUnique));
    ASSERT_TRUE(store.create_index("active_by_city", {"city"}, kActive));
    ASSERT_TRUE(store.insert(Document{{"email", "active@x.org"}, {"city", "NY"}, {"status", "active"}}));
    ASSERT_TRUE(store.insert(Document{{"email", "gone@x.org"}, {"city", "NY"}, {"status", "gone"}}));
    store.close();
  }
  expect_reader_definitions(dir / "s");
  Store store = open(dir / "s");
  expect_definitions(store);
}

TEST(IndexOptionsTest, WalReplayAfterAnExitWithoutCloseKeepsTheOptions) {
  TempDir dir;
  const pid_t pid = start_child("setup", dir / "s", dir / "out", dir / "err");
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testutil::read_bytes(dir / "err");
  expect_reader_definitions(dir / "s");
  Store store = open(dir / "s");
  EXPECT_GT(store.open_report().records_replayed, 0U);
  expect_definitions(store);
}

TEST(IndexOptionsTest, KillDuringUniqueWritesLeavesNoDuplicate) {
  TempDir dir;
  const pid_t pid = start_child("loop", dir / "s", dir / "out", dir / "err");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (testutil::read_bytes(dir / "out").size() < 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string acked = testutil::read_bytes(dir / "out");
  ASSERT_GE(acked.size(), 200U) << testutil::read_bytes(dir / "err");
  const int last_acked = std::stoi(acked.substr(acked.rfind('\n', acked.size() - 2) + 1));

  Store store = open(dir / "s");
  ASSERT_EQ(store.indexes().size(), 1U);
  EXPECT_EQ(store.indexes()[0].options, kUnique);
  // Every acknowledged insert is back, each key once, and no refused
  // duplicate slipped in.
  EXPECT_GE(store.size(), static_cast<std::size_t>(last_acked + 1));
  EXPECT_EQ(store.indexes()[0].entries, store.size());
  for (int i = 0; i <= last_acked; ++i) {
    auto found = store.lookup("by_email", {"e" + std::to_string(i)});
    ASSERT_TRUE(found);
    ASSERT_EQ(found->size(), 1U) << "e" << i;
  }
  EXPECT_EQ(store.insert(Document{{"email", "e0"}}).code(), StatusCode::kUniqueViolation);
}

TEST(IndexOptionsTest, DocumentCheckFindsADuplicateInAUniqueIndex) {
  // Files a correct store never writes: a unique index over two documents
  // with one key (a bulk load does not check, which verify exists to catch).
  TempDir dir;
  auto loader = recovery::BulkLoader::create(dir / "db");
  ASSERT_TRUE(loader) << loader.status().message();
  std::string a;
  std::string b;
  ASSERT_TRUE(recovery::encode_document(Object{{"email", "same"}}, a, 10));
  ASSERT_TRUE(recovery::encode_document(Object{{"email", "same"}, {"n", 2}}, b, 10));
  ASSERT_TRUE((*loader)->add("id-a", 1, 1, a));
  ASSERT_TRUE((*loader)->add("id-b", 1, 2, b));
  const std::vector<recovery::IndexDefinition> defs{{"by_email", {"email"}, kUnique},
                                                    {"plain", {"email"}, IndexOptions{}}};
  ASSERT_TRUE((*loader)->finish(2, defs));

  recovery::DocumentCheck check(2, defs);
  std::vector<std::string> problems;
  auto problem = [&](std::string p) { problems.push_back(std::move(p)); };
  check.check(recovery::StoredDocument{"id-a", 1, 1, a}, problem);
  check.check(recovery::StoredDocument{"id-b", 1, 2, b}, problem);
  EXPECT_TRUE(problems.empty());
  const auto duplicate = check.duplicate_key(0);
  ASSERT_TRUE(duplicate.has_value());
  EXPECT_NE(duplicate->find("id-a"), std::string::npos) << *duplicate;
  EXPECT_NE(duplicate->find("id-b"), std::string::npos) << *duplicate;
  EXPECT_NE(duplicate->find("[\"same\"]"), std::string::npos) << *duplicate;
  EXPECT_FALSE(check.duplicate_key(1).has_value());  // not unique: no finding
}

TEST(IndexOptionsTest, DocumentCheckRebuildsAPartialIndexByItsPredicate) {
  const std::vector<recovery::IndexDefinition> defs{{"active", {"city"}, kActive}};
  recovery::DocumentCheck check(3, defs);
  std::string in;
  std::string out;
  ASSERT_TRUE(recovery::encode_document(Object{{"city", "NY"}, {"status", "active"}}, in, 10));
  ASSERT_TRUE(recovery::encode_document(Object{{"city", "NY"}, {"status", "gone"}}, out, 10));
  auto ignore = [](std::string) {};
  check.check(recovery::StoredDocument{"a", 1, 1, in}, ignore);
  check.check(recovery::StoredDocument{"b", 1, 2, out}, ignore);
  EXPECT_EQ(check.rebuilt_index(0), std::vector<std::string>{"a"});
}

TEST(IndexOptionsTest, WalRecordCarriesTheOptionsAndReadsOldRecords) {
  std::vector<wal::Operation> ops(3);
  ops[0].type = ops[1].type = ops[2].type = wal::OpType::kCreateIndex;
  ops[0].key = "plain";
  ops[0].fields = {"a"};
  ops[1].key = "unique";
  ops[1].fields = {"a", "b.c"};
  ops[1].index_options = IndexOptions{.unique = true, .partial = IndexPredicate::equals("s", 5)};
  ops[2].key = "partial";
  ops[2].fields = {"a"};
  ops[2].index_options = kActive;
  std::string payload;
  wal::append_payload(payload, 7, wal::encode_operations(ops));
  auto batch = wal::decode_payload(payload);
  ASSERT_TRUE(batch) << batch.status().message();
  EXPECT_EQ(batch->ops, ops);

  // A plain index is the old three-element operation, byte for byte.
  std::string old_form;
  wal::append_payload(old_form, 1, wal::encode_operations({ops[0]}));
  EXPECT_NE(old_form.find(std::string("\x93\x04\xa5plain", 8)), std::string::npos);

  // Options that are not a bin, or a bin outside the grammar: Corruption.
  auto bad = wal::decode_index_options(std::string("\x92\x02\xc0", 3));
  EXPECT_EQ(bad.code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("unique is not 0 or 1"), std::string::npos) << bad.status().message();
  bad = wal::decode_index_options(std::string("\x92\x01\x91\xa0", 4));
  EXPECT_NE(bad.status().message().find("field is not a non-empty string"), std::string::npos);
}

}  // namespace
}  // namespace snapstore
