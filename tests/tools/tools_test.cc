// The `snapstore` program, run as a separate process: dump/restore round
// trips in both formats, bad input, verify against damaged files, the
// directory lock, incremental dumps, ad-hoc access, and restores killed at
// random points.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "snapstore/store.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::read_bytes;
using testutil::ToolRun;
using testutil::write_bytes;

// A document with every Value type and the edge values JSON cannot carry.
Document edge_document() {
  return Document{
      {"null", nullptr},
      {"t", true},
      {"f", false},
      {"int", -42},
      {"int_min", std::numeric_limits<std::int64_t>::min()},
      {"int_max", std::numeric_limits<std::int64_t>::max()},
      {"uint_max", std::numeric_limits<std::uint64_t>::max()},
      {"beyond_2_53", (std::uint64_t{1} << 53) + 1},
      {"double", 3.5},
      {"neg_zero", -0.0},
      {"nan", std::numeric_limits<double>::quiet_NaN()},
      {"inf", std::numeric_limits<double>::infinity()},
      {"neg_inf", -std::numeric_limits<double>::infinity()},
      {"string", "h\xc3\xa9llo \"quoted\"\n"},
      {"empty", ""},
      {"not_utf8", std::string("\xff\xfe", 2)},
      {"binary", Binary{0, 1, 254, 255}},
      {"empty_binary", Binary{}},
      {"array", Array{1, "a", Array{}, Object{}, nullptr, 2.25}},
      {"looks_special", Object{{"$binary", "not base64"}}},
      {"nested", Object{{"a", Object{{"b", Object{{"c", 7}}}}}}},
      {"city", "NY"},
  };
}

// A closed store holding edge documents, ordinary ones, updates, deletions
// and three indexes. Returns the ids of the live documents.
std::vector<std::string> build_store(const std::string& dir, int documents) {
  Options options;
  options.durability = Durability::kNone;  // close() syncs; nothing here needs each write durable
  auto store = Store::open(dir, options);
  EXPECT_TRUE(store) << store.status().message();
  std::vector<std::string> ids;
  EXPECT_TRUE(store->create_index("by_city", {"city"}));
  for (int i = 0; i < 3; ++i) ids.push_back(store->insert(edge_document())->id);
  const char* cities[] = {"NY", "LA", "SF", "Boston"};
  for (int i = 0; i < documents; ++i) {
    Document doc{{"seq", i}, {"city", cities[i % 4]}, {"age", 20 + i % 50}, {"payload", std::string(100, 'x')}};
    if (i % 7 == 0) doc["nested"] = Object{{"a", Object{{"b", Object{{"c", i}}}}}};
    ids.push_back(store->insert(doc)->id);
  }
  for (int i = 0; i < documents; i += 5) {
    Document doc{{"seq", i}, {"city", "Denver"}, {"age", i}, {"updated", true}};
    EXPECT_TRUE(store->update(ids[3 + i], doc));
  }
  EXPECT_TRUE(store->create_index("by_city_age", {"city", "age"}));
  EXPECT_TRUE(store->create_index("by_nested", {"nested.a.b.c"}));
  for (int i = 1; i < documents; i += 11) EXPECT_TRUE(store->remove(ids[3 + i]));
  std::vector<std::string> live;
  for (const std::string& id : ids) {
    if (store->get(id)) live.push_back(id);
  }
  store->close();
  return live;
}

// Every document, index and range answer of `b` equals `a`'s.
void expect_same_answers(const std::string& dir_a, const std::string& dir_b, const std::vector<std::string>& ids) {
  Options read_only;
  read_only.read_only = true;
  auto a = Store::open(dir_a, read_only);
  auto b = Store::open(dir_b, read_only);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->revision(), b->revision());
  EXPECT_EQ(a->size(), b->size());
  for (const std::string& id : ids) {
    auto da = a->get(id);
    auto db = b->get(id);
    ASSERT_TRUE(da && db) << id;
    EXPECT_EQ(da->data, db->data);
    EXPECT_EQ(da->version, db->version);
    EXPECT_EQ(da->revision, db->revision);
  }
  const std::vector<IndexInfo> indexes = a->indexes();
  ASSERT_EQ(indexes.size(), b->indexes().size());
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    EXPECT_EQ(indexes[i].name, b->indexes()[i].name);
    EXPECT_EQ(indexes[i].fields, b->indexes()[i].fields);
    EXPECT_EQ(indexes[i].entries, b->indexes()[i].entries);
    auto ra = a->lookup_range(indexes[i].name, {}, {});
    auto rb = b->lookup_range(indexes[i].name, {}, {});
    ASSERT_TRUE(ra && rb);
    ASSERT_EQ(ra->size(), rb->size());
    for (std::size_t k = 0; k < ra->size(); ++k) EXPECT_EQ((*ra)[k].id, (*rb)[k].id);
  }
  auto ny_a = a->lookup("by_city", {"NY"});
  auto ny_b = b->lookup("by_city", {"NY"});
  ASSERT_TRUE(ny_a && ny_b);
  EXPECT_EQ(ny_a->size(), ny_b->size());
}

// Nothing named like the target, and no temporary directory beside it.
void expect_no_directory(const std::string& parent, const std::string& name) {
  for (const auto& entry : fs::directory_iterator(parent)) {
    const std::string n = entry.path().filename().string();
    EXPECT_NE(n, name);
    EXPECT_EQ(n.find(name + ".restore"), std::string::npos) << n;
  }
}

class ToolsTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ / name; }

  testutil::TempDir dir_;
  testutil::ToolRunner tool_;
};

TEST_F(ToolsTest, MsgpackRoundTripIsByteIdentical) {
  const auto ids = build_store(path("src"), 300);
  ToolRun first = tool_.run({"dump", path("src"), "-o", path("a.dump")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ToolRun restore = tool_.run({"restore", path("a.dump"), path("dst")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  ToolRun second = tool_.run({"dump", path("dst"), "-o", path("b.dump")});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(read_bytes(path("a.dump")), read_bytes(path("b.dump")));
  expect_same_answers(path("src"), path("dst"), ids);
}

// A dump to a file asks the kernel to write back every 8 MiB as it goes (a
// pipe cannot): past several of those points, the file must hold exactly
// what the pipe carried, and restore.
TEST_F(ToolsTest, ALargeDumpToAFileEqualsTheSameDumpThroughAPipe) {
  {
    Options options;
    options.durability = Durability::kNone;
    auto store = Store::open(path("src"), options);
    ASSERT_TRUE(store) << store.status().message();
    for (int i = 0; i < 400; ++i) {
      ASSERT_TRUE(store->insert(Document{{"seq", i}, {"blob", std::string(64 << 10, static_cast<char>('a' + i % 26))}}));
    }
  }
  ToolRun to_file = tool_.run({"dump", path("src"), "-o", path("a.dump")});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  ToolRun to_pipe = tool_.run({"dump", path("src")});
  ASSERT_EQ(to_pipe.exit_code, 0) << to_pipe.err;
  const std::string written = read_bytes(path("a.dump"));
  EXPECT_GT(written.size(), std::size_t{24} << 20);
  EXPECT_TRUE(written == to_pipe.out) << written.size() << " bytes in the file, " << to_pipe.out.size() << " through the pipe";
  ToolRun restore = tool_.run({"restore", path("a.dump"), path("dst")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  auto restored = Store::open(path("dst"));
  ASSERT_TRUE(restored) << restored.status().message();
  EXPECT_EQ(restored->size(), 400U);
}

TEST_F(ToolsTest, JsonlRoundTripIsByteIdenticalAndMatchesMsgpack) {
  const auto ids = build_store(path("src"), 300);
  ToolRun first = tool_.run({"dump", path("src"), "--format", "jsonl"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  write_bytes(path("a.jsonl"), first.out);
  // The JSON conventions carry every edge value.
  EXPECT_NE(first.out.find("18446744073709551615"), std::string::npos);
  EXPECT_NE(first.out.find("{\"$double\":\"NaN\"}"), std::string::npos);
  EXPECT_NE(first.out.find("{\"$double\":\"-Infinity\"}"), std::string::npos);
  EXPECT_NE(first.out.find("{\"$binary\":\"AAH+/w==\"}"), std::string::npos);
  EXPECT_NE(first.out.find("{\"$object\":{\"$binary\":\"not base64\"}}"), std::string::npos);
  ToolRun restore = tool_.run({"restore", "-", path("dst")}, path("a.jsonl"));
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  ToolRun second = tool_.run({"dump", path("dst"), "--format", "jsonl"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);
  expect_same_answers(path("src"), path("dst"), ids);
  // Through JSON and back, the binary dump is the original's too.
  ASSERT_EQ(tool_.run({"dump", path("src"), "-o", path("a.dump")}).exit_code, 0);
  ASSERT_EQ(tool_.run({"dump", path("dst"), "-o", path("b.dump")}).exit_code, 0);
  EXPECT_EQ(read_bytes(path("a.dump")), read_bytes(path("b.dump")));
}

TEST_F(ToolsTest, DumpAndVerifySeeWalRecordsNotYetInRocksDB) {
  // crash_child exits without closing (the crash case): its writes are in
  // the WAL only, and dump must see them as an open would.
  const pid_t pid = tool_.start_program(SNAPSTORE_CRASH_CHILD, {"write", path("src"), "50", "4096"});
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ToolRun dump = tool_.run({"dump", path("src"), "--format", "jsonl"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("{\"_end\":{\"documents\":50,\"deletions\":0}}"), std::string::npos) << dump.out;
  ToolRun verify = tool_.run({"verify", path("src")});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("50 documents"), std::string::npos) << verify.out;
}

class BadDumpTest : public ToolsTest {
 protected:
  void SetUp() override {
    build_store(path("src"), 50);
    ASSERT_EQ(tool_.run({"dump", path("src"), "-o", path("good.dump")}).exit_code, 0);
    ToolRun jsonl = tool_.run({"dump", path("src"), "--format", "jsonl"});
    ASSERT_EQ(jsonl.exit_code, 0);
    write_bytes(path("good.jsonl"), jsonl.out);
    good_ = read_bytes(path("good.dump"));
    good_jsonl_ = jsonl.out;
  }

  // Restoring `bytes` fails, names `where` in its message, and leaves nothing.
  void expect_refused(const std::string& bytes, const std::string& where) {
    write_bytes(path("bad"), bytes);
    ToolRun run = tool_.run({"restore", path("bad"), path("dst")});
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find(where), std::string::npos) << run.err;
    expect_no_directory(dir_.path(), "dst");
  }

  std::string good_;
  std::string good_jsonl_;
};

TEST_F(BadDumpTest, TruncatedFails) {
  expect_refused(good_.substr(0, good_.size() - 1), "trailer");
  expect_refused(good_.substr(0, good_.size() / 2), "truncated");
  expect_refused(good_.substr(0, 10), "wrong magic");
}

TEST_F(BadDumpTest, FlippedByteNamesTheRecord) {
  std::string bad = good_;
  bad[bad.size() / 2] ^= 0x10;
  expect_refused(bad, "record ");
}

TEST_F(BadDumpTest, WrongMagicFails) {
  std::string bad = good_;
  bad[1] = 'X';
  expect_refused(bad, "wrong magic");
}

TEST_F(BadDumpTest, NewerFormatVersionFails) {
  std::string bad = good_;
  bad[8] = 2;  // format_version, little-endian
  expect_refused(bad, "dump format version 2 is not supported");
}

TEST_F(BadDumpTest, EmptyFileFails) { expect_refused("", "empty"); }

TEST_F(BadDumpTest, MalformedJsonlLineNamesTheLine) {
  std::string bad = good_jsonl_;
  std::size_t third_line = bad.find('\n', bad.find('\n') + 1) + 1;
  bad.insert(third_line, "{\"_id\": \"x\", broken\n");
  expect_refused(bad, "line 3");
}

TEST_F(BadDumpTest, JsonlWithoutEndLineFails) {
  std::string bad = good_jsonl_.substr(0, good_jsonl_.rfind("{\"_end\""));
  expect_refused(bad, "_end");
}

TEST_F(BadDumpTest, RepeatedIdFails) {
  std::string bad = good_jsonl_;
  const std::size_t second = bad.find('\n') + 1;
  const std::string line = bad.substr(second, bad.find('\n', second) + 1 - second);
  bad.insert(second, line);
  expect_refused(bad, "appears twice");
}

TEST_F(BadDumpTest, SalvageRestoresEveryOtherRecord) {
  std::string bad = good_;
  bad[bad.size() / 2] ^= 0x10;
  write_bytes(path("bad"), bad);
  ToolRun run = tool_.run({"restore", "--salvage", path("bad"), path("dst")});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("skipped record"), std::string::npos) << run.err;
  Options read_only;
  read_only.read_only = true;
  auto original = Store::open(path("src"), read_only);
  auto salvaged = Store::open(path("dst"), read_only);
  ASSERT_TRUE(original && salvaged) << salvaged.status().message();
  EXPECT_EQ(salvaged->size() + 1, original->size());
}

// The write-behind thread's errors reach the command: a write the file
// system refuses (here: past RLIMIT_FSIZE, which children inherit, so
// EFBIG) is an I/O error naming the file, never a dump reported as written.
TEST_F(ToolsTest, DumpThatCannotBeWrittenFailsNamingTheFile) {
  build_store(path("src"), 3000);
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit small = saved;
  small.rlim_cur = 64 << 10;
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // write() fails instead of killing
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::vector<ToolRun> runs;
  for (const char* format : {"msgpack", "jsonl"}) {
    runs.push_back(tool_.run({"dump", path("src"), "--format", format, "-o", path(std::string("x.") + format)}));
  }
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, old_handler);
  for (const ToolRun& run : runs) {
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find(path("x.")), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("File too large"), std::string::npos) << run.err;
    EXPECT_EQ(run.err.find("dumped"), std::string::npos) << run.err;
  }
}

TEST_F(ToolsTest, RestoreRefusesANonEmptyDirectory) {
  build_store(path("src"), 10);
  ASSERT_EQ(tool_.run({"dump", path("src"), "-o", path("a.dump")}).exit_code, 0);
  ToolRun run = tool_.run({"restore", path("a.dump"), path("src")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("not an empty directory"), std::string::npos) << run.err;
  fs::create_directory(path("empty"));
  EXPECT_EQ(tool_.run({"restore", path("a.dump"), path("empty")}).exit_code, 0);
}

TEST_F(ToolsTest, VerifyPassesACleanStore) {
  build_store(path("src"), 100);
  ToolRun run = tool_.run({"verify", path("src"), "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = from_json(run.out);
  ASSERT_TRUE(report) << run.out;
  EXPECT_EQ(report->at("ok"), Value(true));
  EXPECT_EQ(report->at("problem_count"), Value(0));
}

TEST_F(ToolsTest, VerifyFindsAFlippedByteInTheWal) {
  {
    Options options;
    auto store = Store::open(path("src"), options);
    ASSERT_TRUE(store);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->insert(Document{{"i", i}, {"pad", std::string(50, 'p')}}));
    store->close();
  }
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(path("src/wal"))) segments.push_back(e.path().string());
  ASSERT_FALSE(segments.empty());
  std::sort(segments.begin(), segments.end());
  std::string bytes = read_bytes(segments.back());
  ASSERT_GT(bytes.size(), 200U);
  bytes[60] ^= 0x01;  // inside the first record's payload: valid records follow
  write_bytes(segments.back(), bytes);
  ToolRun run = tool_.run({"verify", path("src")});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("problem: WAL"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(segments.back()), std::string::npos) << run.out;
}

TEST_F(ToolsTest, VerifyFindsAFlippedByteInARocksDbTable) {
  build_store(path("src"), 300);
  std::string table;
  std::uintmax_t largest = 0;
  for (const auto& e : fs::directory_iterator(path("src/db"))) {
    if (e.path().extension() == ".sst" && e.file_size() > largest) {
      largest = e.file_size();
      table = e.path().string();
    }
  }
  ASSERT_FALSE(table.empty());
  std::string bytes = read_bytes(table);
  bytes[bytes.size() / 4] ^= 0x40;  // in a data block
  write_bytes(table, bytes);
  ToolRun run = tool_.run({"verify", path("src"), "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = from_json(run.out);
  ASSERT_TRUE(report) << run.out;
  EXPECT_EQ(report->at("ok"), Value(false));
  EXPECT_NE(run.out.find("orruption"), std::string::npos) << run.out;
}

TEST_F(ToolsTest, VerifyFindsADamagedIndexDefinition) {
  build_store(path("src"), 50);
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"docs", {}}, {"meta", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path("src/db"), families, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[2], "index/by_city_age", "\xc1").ok());  // not msgpack
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), handles).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  ToolRun run = tool_.run({"verify", path("src")});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("index \"by_city_age\""), std::string::npos) << run.out;
}

// The test hook of engine/store_core.h drops an entry from the opened
// store's index (indexes live only in memory, so damage can only come from a
// bug in building them): verify must notice the index disagreeing with the
// documents.
TEST_F(ToolsTest, VerifyFindsAnIndexDamagedThroughTheTestHook) {
#ifndef SNAPSTORE_KILL_POINTS
  GTEST_SKIP() << "the hook exists only in builds with SNAPSTORE_KILL_POINTS";
#endif
  build_store(path("src"), 50);
  ::setenv("SNAPSTORE_TEST_DAMAGE_INDEX", "by_city_age", 1);
  ToolRun run = tool_.run({"verify", path("src")});
  ::unsetenv("SNAPSTORE_TEST_DAMAGE_INDEX");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("index \"by_city_age\""), std::string::npos) << run.out;
  EXPECT_EQ(tool_.run({"verify", path("src")}).exit_code, 0) << "without the hook the store is clean";
}

// The read commands read a locked store as a follower does (live_cli_test);
// the others refuse it.
TEST_F(ToolsTest, EveryWritingToolRefusesALockedStoreNamingDirectoryAndHolder) {
  build_store(path("src"), 10);
  auto held = Store::open(path("src"));
  ASSERT_TRUE(held);
  const std::string pid = std::to_string(::getpid());
  for (const std::vector<std::string>& args : {std::vector<std::string>{"dump", path("src")},
                                               {"verify", path("src")},
                                               {"stats", path("src")},
                                               {"find", path("src"), "by_city"}}) {
    ToolRun run = tool_.run(args);
    EXPECT_EQ(run.exit_code, 0) << args[0] << ": " << run.err;
  }
  for (const std::vector<std::string>& args : {std::vector<std::string>{"wal", path("src")},
                                               {"insert", path("src"), "{}"}}) {
    ToolRun run = tool_.run(args);
    EXPECT_EQ(run.exit_code, 2) << args[0] << ": " << run.err;
    EXPECT_NE(run.err.find("in use"), std::string::npos) << args[0] << ": " << run.err;
    EXPECT_NE(run.err.find(path("src")), std::string::npos) << args[0] << ": " << run.err;
    EXPECT_NE(run.err.find("pid " + pid), std::string::npos) << args[0] << ": " << run.err;
    EXPECT_TRUE(run.out.empty()) << args[0];
  }
}

TEST_F(ToolsTest, AdHocCommandsWorkFromTheShell) {
  ToolRun insert = tool_.run({"insert", "--create", path("s"), "{\"name\": \"Ann\", \"city\": \"NY\"}"});
  ASSERT_EQ(insert.exit_code, 0) << insert.err;
  auto written = from_json(insert.out);
  ASSERT_TRUE(written);
  const std::string id = written->at("_id").as_string();
  ASSERT_EQ(tool_.run({"create-index", path("s"), "by_city", "city"}).exit_code, 0);
  write_bytes(path("doc.json"), "{\"name\": \"Ann\", \"city\": \"LA\"}");
  ToolRun update = tool_.run({"update", path("s"), id}, path("doc.json"));
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_NE(update.out.find("\"_version\":2"), std::string::npos);
  ToolRun found = tool_.run({"find", path("s"), "by_city", "--eq", "[\"LA\"]"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.out.find(id), std::string::npos);
  EXPECT_TRUE(tool_.run({"find", path("s"), "by_city", "--min", "[\"NY\"]"}).out.empty());
  ToolRun get = tool_.run({"get", path("s"), id});
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_NE(get.out.find("\"city\":\"LA\""), std::string::npos);
  EXPECT_EQ(tool_.run({"delete", path("s"), id}).exit_code, 0);
  ToolRun missing = tool_.run({"get", path("s"), id});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("document not found"), std::string::npos) << missing.err;
  EXPECT_EQ(tool_.run({"drop-index", path("s"), "by_city"}).exit_code, 0);
  EXPECT_EQ(tool_.run({"drop-index", path("s"), "by_city"}).exit_code, 1);
  EXPECT_EQ(tool_.run({"get", path("nowhere"), id}).exit_code, 2);
}

TEST_F(ToolsTest, UsageErrorsExitTwoAndHelpExitsZero) {
  EXPECT_EQ(tool_.run({}).exit_code, 2);
  EXPECT_EQ(tool_.run({"dump"}).exit_code, 2);
  EXPECT_EQ(tool_.run({"dump", path("x"), "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(tool_.run({"no-such-command"}).exit_code, 2);
  ToolRun help = tool_.run({"dump", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--since-revision"), std::string::npos);
}

TEST_F(ToolsTest, WalListsEveryOperation) {
  {
    auto store = Store::open(path("s"));
    ASSERT_TRUE(store);
    auto a = store->insert(Document{{"a", 1}});
    ASSERT_TRUE(a);
    ASSERT_TRUE(store->update(a->id, Document{{"a", 2}}));
    ASSERT_TRUE(store->create_index("by_a", {"a"}));
    ASSERT_TRUE(store->remove(a->id));
    store->close();
  }
  ToolRun run = tool_.run({"wal", path("s"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* type : {"\"insert\"", "\"update\"", "\"create_index\"", "\"delete\""}) {
    EXPECT_NE(run.out.find(type), std::string::npos) << type << "\n" << run.out;
  }
  EXPECT_NE(run.out.find("\"end\":\"clean\""), std::string::npos) << run.out;
  ToolRun range = tool_.run({"wal", path("s"), "--from", "2", "--to", "3"});
  EXPECT_EQ(range.exit_code, 0);
  EXPECT_EQ(range.out.find("insert"), std::string::npos) << range.out;
  EXPECT_NE(range.out.find("update"), std::string::npos) << range.out;
}

TEST_F(ToolsTest, IncrementalDumpListsChangesAndDeletions) {
  std::string kept;
  std::string removed;
  {
    auto store = Store::open(path("s"));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->insert(Document{{"old", 1}}));         // revision 1
    kept = store->insert(Document{{"kept", 1}})->id;          // 2
    removed = store->insert(Document{{"removed", 1}})->id;    // 3
    ASSERT_TRUE(store->update(kept, Document{{"kept", 2}}));  // 4
    ASSERT_TRUE(store->remove(removed));                      // 5
    store->close();
  }
  ToolRun run = tool_.run({"dump", path("s"), "--format", "jsonl", "--since-revision", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find("\"old\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("{\"kept\":2}"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("{\"_deleted\":\"" + removed + "\",\"_revision\":5}"), std::string::npos) << run.out;
  // An incremental dump is not a store: restore refuses it.
  write_bytes(path("inc.jsonl"), run.out);
  ToolRun restore = tool_.run({"restore", path("inc.jsonl"), path("r")});
  EXPECT_EQ(restore.exit_code, 2);
  EXPECT_NE(restore.err.find("incremental"), std::string::npos) << restore.err;

  // A later session starts a new WAL segment and the checkpoint at its close
  // retires the old one: deletions before it are no longer known.
  ASSERT_EQ(tool_.run({"insert", path("s"), "{\"later\": 1}"}).exit_code, 0);
  ASSERT_EQ(tool_.run({"insert", path("s"), "{\"later\": 2}"}).exit_code, 0);
  ToolRun unknown = tool_.run({"dump", path("s"), "--since-revision", "1"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no longer known"), std::string::npos) << unknown.err;
}

TEST_F(ToolsTest, IndexDumpFollowsIndexOrderWithinBounds) {
  build_store(path("src"), 100);
  ToolRun run = tool_.run(
      {"dump", path("src"), "--format", "jsonl", "--index", "by_city", "--min", "[\"LA\"]", "--max", "[\"NY\"]"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find("\"Boston\""), std::string::npos);
  EXPECT_EQ(run.out.find("\"SF\""), std::string::npos);
  EXPECT_LT(run.out.find("\"LA\""), run.out.find("\"NY\""));
  EXPECT_NE(run.out.find("\"order\":\"index by_city\""), std::string::npos);
  // Index order is not id order: restore loads it in several sorted runs.
  write_bytes(path("range.jsonl"), run.out);
  ToolRun restore = tool_.run({"restore", path("range.jsonl"), path("r")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  const auto lines = static_cast<std::size_t>(std::count(run.out.begin(), run.out.end(), '\n'));
  Options read_only;
  read_only.read_only = true;
  auto restored = Store::open(path("r"), read_only);
  ASSERT_TRUE(restored) << restored.status().message();
  EXPECT_EQ(restored->size(), lines - 2);  // less the metadata and _end lines
  auto ny = restored->lookup("by_city", {"NY"});
  ASSERT_TRUE(ny);
  EXPECT_FALSE(ny->empty());
}

// A restore killed at any point leaves either no store or the whole one.
TEST_F(ToolsTest, RestoreKilledAtRandomPointsNeverLeavesAStoreThatOpens) {
  build_store(path("src"), 20000);
  ASSERT_EQ(tool_.run({"dump", path("src"), "-o", path("a.dump")}).exit_code, 0);
  std::size_t expected = 0;
  {
    Options read_only;
    read_only.read_only = true;
    auto src = Store::open(path("src"), read_only);
    ASSERT_TRUE(src);
    expected = src->size();
  }
  // One uninterrupted restore measures how long the kill window should be.
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(tool_.run({"restore", path("a.dump"), path("timed")}).exit_code, 0);
  const auto window =
      std::chrono::duration_cast<std::chrono::microseconds>((std::chrono::steady_clock::now() - started) * 5 / 4);
  const unsigned seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  std::mt19937 random(seed);
  int completed = 0;
  for (int round = 0; round < 16; ++round) {
    const std::string target = path("r" + std::to_string(round));
    const pid_t pid = tool_.start({"--quiet", "restore", path("a.dump"), target});
    std::this_thread::sleep_for(std::chrono::microseconds(random() % (window.count() + 1)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!fs::exists(target)) continue;
    Options read_only;
    read_only.read_only = true;
    read_only.create_if_missing = false;
    auto store = Store::open(target, read_only);
    ASSERT_TRUE(store) << "round " << round << " seed " << seed << ": " << store.status().message();
    EXPECT_EQ(store->size(), expected) << "round " << round << " seed " << seed;
    ++completed;
  }
  std::printf("%d of 16 restores completed before the kill\n", completed);
}

}  // namespace
}  // namespace snapstore
