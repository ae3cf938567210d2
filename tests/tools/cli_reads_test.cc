// The CLI's reads that do not load the store (get, find, count, indexes,
// stats read RocksDB and the WAL after applied_lsn), checked against the
// library's answers on the same files; and the CLI a user expects: exit
// codes, --version, help examples, find's key check, stats' units, import.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <rocksdb/db.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "snapstore/store.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::ToolRun;
using testutil::write_bytes;

class CliReadsTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ / name; }

  testutil::TempDir dir_;
  testutil::ToolRunner tool_;
};

// What get and find print per document (tools/cli_support.cc document_json).
std::string json_line(const DocumentResult& doc) {
  return "{\"_id\":" + to_json(Value(doc.id)) + ",\"_version\":" + std::to_string(doc.version) +
         ",\"_revision\":" + std::to_string(doc.revision) + ",\"data\":" + to_json(Value(doc.data)) + "}\n";
}

std::string json_lines(const std::vector<DocumentResult>& docs) {
  std::string out;
  for (const DocumentResult& doc : docs) out += json_line(doc);
  return out;
}

// Keys that tie across types (1 and 1.0), strings, nulls, missing fields,
// nested paths and arrays, so that index order and its id tie-break matter.
Document varied(int i) {
  const Value ns[] = {Value(1), Value(1.0), Value(2), Value("x"), Value(nullptr), Value(-3), Value(Array{1, 2})};
  const char* cities[] = {"NY", "LA", "SF"};
  Document doc{{"i", i}, {"city", cities[i % 3]}};
  if (i % 9 != 4) doc["n"] = ns[i % 7];
  if (i % 2 == 0) doc["addr"] = Object{{"zip", std::to_string(10000 + i % 5)}};
  return doc;
}

// Writes `dir`, closes it and copies its RocksDB to `copy`; then reopens it
// and changes it further (updates, deletes, inserts, an index created and
// one dropped) and copies its WAL once synced. The copy's RocksDB holds the
// state of the first close (the close retired the WAL before it), its WAL
// everything after: what a crash leaves. (Copying the whole directory of an
// open store races with RocksDB's own file changes.) Returns the ids of
// live and deleted documents.
struct Built {
  std::vector<std::string> live;
  std::vector<std::string> deleted;
};
Built build_with_wal_tail(const std::string& dir, const std::string& copy) {
  Built built;
  Options options;
  options.durability = Durability::kNone;
  {
    auto store = Store::open(dir, options);
    EXPECT_TRUE(store) << store.status().message();
    EXPECT_TRUE(store->create_index("by_n", {"n"}));
    EXPECT_TRUE(store->create_index("by_city_n", {"city", "n"}));
    EXPECT_TRUE(store->create_index("dropped", {"i"}));
    for (int i = 0; i < 120; ++i) built.live.push_back(store->insert(varied(i))->id);
    store->close();
  }
  fs::create_directory(copy);
  fs::copy(dir + "/db", copy + "/db", fs::copy_options::recursive);
  auto store = Store::open(dir, options);
  EXPECT_TRUE(store) << store.status().message();
  for (int i = 0; i < 120; i += 4) EXPECT_TRUE(store->update(built.live[i], varied(i + 1)));
  for (int i = 3; i < 120; i += 10) {
    EXPECT_TRUE(store->remove(built.live[i]));
    built.deleted.push_back(built.live[i]);
  }
  std::erase_if(built.live, [&](const std::string& id) {
    return std::find(built.deleted.begin(), built.deleted.end(), id) != built.deleted.end();
  });
  for (int i = 200; i < 230; ++i) built.live.push_back(store->insert(varied(i))->id);
  EXPECT_TRUE(store->create_index("by_zip", {"addr.zip"}));
  EXPECT_TRUE(store->drop_index("dropped"));
  EXPECT_TRUE(store->flush());
  fs::copy(dir + "/wal", copy + "/wal", fs::copy_options::recursive);
  return built;
}

// Every answer of get, find, count and indexes on a store whose WAL holds
// writes RocksDB lacks equals the library's answer on the same files.
TEST_F(CliReadsTest, ReadsEqualTheLibraryOverRocksDBPlusTheWalTail) {
  const Built built = build_with_wal_tail(path("live"), path("s"));
  ToolRun stats = tool_.run({"stats", "--json", path("s")});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto figures = from_json(stats.out);
  ASSERT_TRUE(figures && figures->is_object()) << stats.out;
  ASSERT_GT(figures->at("wal_lsns_after_applied").as_int(), 0) << "the WAL must hold writes RocksDB lacks";

  struct Query {
    std::vector<std::string> args;
    std::string expected;
  };
  std::vector<Query> queries;
  std::string expected_indexes;
  std::uint64_t documents = 0;
  {
    Options read_only;
    read_only.read_only = true;
    auto store = Store::open(path("s"), read_only);
    ASSERT_TRUE(store) << store.status().message();
    documents = store->size();
    for (const IndexInfo& info : store->indexes()) expected_indexes += info.name + "\n";
    for (std::size_t i = 0; i < built.live.size(); i += 30) {
      queries.push_back({{"get", path("s"), built.live[i]}, json_line(*store->get(built.live[i]))});
    }
    for (const char* index : {"by_n", "by_city_n", "by_zip"}) {
      queries.push_back({{"find", path("s"), index}, json_lines(*store->lookup_range(index, {}, {}))});
      auto all = store->lookup_range(index, {}, {});
      queries.push_back({{"count", path("s"), index}, std::to_string(all->size()) + "\n"});
    }
    for (const std::string key : {"[1]", "[2]", "[\"x\"]", "[[1,2]]", "[null]", "[7]"}) {
      auto values = from_json(key);
      const IndexKey k(values->as_array());
      queries.push_back({{"find", path("s"), "by_n", "--eq", key}, json_lines(*store->lookup("by_n", k))});
      queries.push_back({{"count", path("s"), "by_n", key}, std::to_string(store->lookup("by_n", k)->size()) + "\n"});
    }
    queries.push_back(
        {{"find", path("s"), "by_city_n", "--eq", "[\"NY\", 1]"}, json_lines(*store->lookup("by_city_n", {"NY", 1}))});
    queries.push_back({{"find", path("s"), "by_city_n", "--min", "[\"LA\"]", "--max", "[\"NY\"]"},
                       json_lines(*store->lookup_range("by_city_n", {"LA"}, {"NY"}))});
    queries.push_back({{"find", path("s"), "by_city_n", "--min", "[\"NY\", 2]"},
                       json_lines(*store->lookup_range("by_city_n", {"NY", 2}, {}))});
    queries.push_back({{"find", path("s"), "by_n", "--max", "[1]"}, json_lines(*store->lookup_range("by_n", {}, {1}))});
    queries.push_back({{"find", path("s"), "by_n", "--min", "[\"x\"]", "--max", "[1]"}, ""});  // min > max
    queries.push_back({{"count", path("s"), "by_city_n", "--min", "[\"SF\"]"},
                       std::to_string(store->lookup_range("by_city_n", {"SF"}, {})->size()) + "\n"});
  }
  for (const Query& q : queries) {
    ToolRun run = tool_.run(q.args);
    EXPECT_EQ(run.exit_code, 0) << q.args[0] << " " << q.args.back() << ": " << run.err;
    EXPECT_EQ(run.out, q.expected) << q.args[0] << " " << q.args.back();
  }
  EXPECT_EQ(tool_.run({"count", path("s")}).out, std::to_string(documents) + "\n");
  EXPECT_EQ(tool_.run({"indexes", path("s")}).out.find("dropped"), std::string::npos);
  ToolRun names = tool_.run({"indexes", "--json", path("s")});
  ASSERT_EQ(names.exit_code, 0) << names.err;
  std::string listed;
  auto parsed = from_json(names.out);
  ASSERT_TRUE(parsed && parsed->is_array()) << names.out;
  for (const Value& index : parsed->as_array()) listed += index.at("name").as_string() + "\n";
  EXPECT_EQ(listed, expected_indexes);
  for (std::size_t i = 0; i < built.deleted.size(); i += 4) {
    const std::string& id = built.deleted[i];
    ToolRun gone = tool_.run({"get", path("s"), id});
    EXPECT_EQ(gone.exit_code, 1) << gone.err;
    EXPECT_NE(gone.err.find("document not found"), std::string::npos) << gone.err;
  }
  ToolRun dropped = tool_.run({"find", path("s"), "dropped"});
  EXPECT_EQ(dropped.exit_code, 1);
  EXPECT_NE(dropped.err.find("index does not exist"), std::string::npos) << dropped.err;
}

// A get reads one document, not the store: a damaged other document, which
// stops a full open, does not stop it.
TEST_F(CliReadsTest, GetReadsOneDocumentNotTheWholeStore) {
  std::string id;
  {
    auto store = Store::open(path("s"));
    ASSERT_TRUE(store);
    id = store->insert(Document{{"name", "Ann"}})->id;
    store->close();
  }
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"docs", {}}, {"meta", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path("s/db"), families, &handles, &db).ok());
    // A valid header (version 1, revision 1), then bytes that are not msgpack.
    const std::string bad = std::string("\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0", 16) + "\xc1";
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[1], "zzz-damaged", bad).ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), handles).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  Options read_only;
  read_only.read_only = true;
  ASSERT_FALSE(Store::open(path("s"), read_only)) << "a full open checks every document";
  ToolRun good = tool_.run({"get", path("s"), id});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("\"name\":\"Ann\""), std::string::npos) << good.out;
  ToolRun damaged = tool_.run({"get", path("s"), "zzz-damaged"});
  EXPECT_EQ(damaged.exit_code, 1) << damaged.err;
  EXPECT_NE(damaged.err.find("zzz-damaged"), std::string::npos) << damaged.err;
  EXPECT_EQ(tool_.run({"count", path("s")}).out, "2\n");
}

TEST_F(CliReadsTest, BadInputExitsTwoAndDataProblemsExitOne) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"a\": 1}"}).exit_code, 0);
  ToolRun array = tool_.run({"insert", path("s"), "[1, 2]"});
  EXPECT_EQ(array.exit_code, 2) << array.err;
  EXPECT_NE(array.err.find("must be an object"), std::string::npos) << array.err;
  EXPECT_EQ(tool_.run({"insert", path("s"), "{bad"}).exit_code, 2);
  ToolRun huge = tool_.run({"insert", path("s"), "{\"x\": 123456789012345678901234567890}"});
  EXPECT_EQ(huge.exit_code, 2) << huge.err;
  EXPECT_NE(huge.err.find("\"x\""), std::string::npos) << huge.err;
  EXPECT_NE(huge.err.find("64-bit"), std::string::npos) << huge.err;
  EXPECT_EQ(tool_.run({"count", path("s")}).out, "1\n") << "nothing written";
  EXPECT_EQ(tool_.run({"get", path("s"), "no-such-id"}).exit_code, 1);
  EXPECT_EQ(tool_.run({"find", path("s"), "no_such_index"}).exit_code, 1);

  for (const std::vector<std::string>& args : {std::vector<std::string>{"create-index", path("s"), "", "a"},
                                               {"create-index", path("s"), "e", ""},
                                               {"create-index", path("s"), "r", "a", "b", "a"}}) {
    ToolRun run = tool_.run(args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("invalid argument"), std::string::npos) << run.err;
  }
  EXPECT_EQ(tool_.run({"indexes", path("s")}).out, "") << "no index was created";
}

TEST_F(CliReadsTest, FindRefusesAKeyLongerThanTheIndexNamingItsFields) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"city\": \"NY\", \"age\": 30}"}).exit_code, 0);
  ASSERT_EQ(tool_.run({"create-index", path("s"), "by_city", "city"}).exit_code, 0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"find", path("s"), "by_city", "--eq", "[\"NY\", 30]"},
        {"find", path("s"), "by_city", "--min", "[\"NY\", 30]"},
        {"find", path("s"), "by_city", "--max", "[\"NY\", 30]"},
        {"count", path("s"), "by_city", "[\"NY\", 30]"}}) {
    ToolRun run = tool_.run(args);
    EXPECT_EQ(run.exit_code, 2) << args[3] << ": " << run.err;
    EXPECT_NE(run.err.find("has 1 field"), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty());
  }
  ToolRun named = tool_.run({"find", path("s"), "by_city", "--eq", "[\"NY\", 30]"});
  EXPECT_NE(named.err.find("(city)"), std::string::npos) << named.err;
  EXPECT_EQ(tool_.run({"find", path("s"), "by_city", "--eq", "[\"NY\"]"}).exit_code, 0);
}

TEST_F(CliReadsTest, VersionAndAnExampleInEveryHelp) {
  ToolRun version = tool_.run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "snapstore " SNAPSTORE_VERSION "\n");
  for (const char* command : {"get", "find", "stats", "count", "indexes", "import", "insert", "update", "delete",
                              "create-index", "drop-index"}) {
    ToolRun help = tool_.run({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("Example"), std::string::npos) << command << ":\n" << help.out;
    EXPECT_NE(help.out.find(std::string("snapstore ") + command), std::string::npos) << command;
  }
  EXPECT_NE(tool_.run({"--help"}).out.find("2 the command could not run as given"), std::string::npos);
}

TEST_F(CliReadsTest, StatsInHumanUnitsWithRocksDBInternalsOnlyOnRequest) {
  {
    Options options;
    options.durability = Durability::kNone;
    auto store = Store::open(path("s"), options);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->create_index("by_i", {"i"}));
    WriteBatch batch;
    for (int i = 0; i < 1500; ++i) batch.insert(Document{{"i", i}, {"pad", std::string(100, 'p')}});
    ASSERT_TRUE(store->write(batch));
    store->close();
  }
  ToolRun stats = tool_.run({"stats", path("s")});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_NE(stats.out.find("documents        1,500 ("), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find(" KiB of msgpack"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("by_i (i): 1,500 entries"), std::string::npos) << stats.out;
  EXPECT_EQ(stats.out.find("Compaction Stats"), std::string::npos) << stats.out;
  EXPECT_LT(std::count(stats.out.begin(), stats.out.end(), '\n'), 12) << stats.out;
  ToolRun internals = tool_.run({"stats", "--rocksdb", path("s")});
  EXPECT_NE(internals.out.find("Compaction Stats"), std::string::npos) << internals.out;
  ToolRun json = tool_.run({"stats", "--json", path("s")});
  EXPECT_EQ(from_json(json.out)->at("documents").as_int(), 1500) << json.out;
}

TEST_F(CliReadsTest, ImportLoadsJsonLinesAndNamesTheFirstBadLine) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"seed\": true}"}).exit_code, 0);
  std::string good;
  for (int i = 0; i < 2500; ++i) good += "{\"i\": " + std::to_string(i) + "}\n";
  good += "\n{\"crlf\": 1}\r\n";
  write_bytes(path("good.jsonl"), good);
  ToolRun imported = tool_.run({"import", path("s"), path("good.jsonl")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.err.find("imported 2,501 documents"), std::string::npos) << imported.err;
  EXPECT_EQ(tool_.run({"count", path("s")}).out, "2502\n");

  write_bytes(path("bad.jsonl"), "{\"b\": 1}\n{\"b\": 2}\n[3]\n{\"b\": 4}\n{\"b\": 5\n");
  ToolRun stopped = tool_.run({"import", path("s"), path("bad.jsonl")});
  EXPECT_EQ(stopped.exit_code, 2) << stopped.err;
  EXPECT_NE(stopped.err.find("line 3"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("2 documents before it were imported"), std::string::npos) << stopped.err;
  EXPECT_EQ(tool_.run({"count", path("s")}).out, "2504\n") << "the lines before the bad one, none after";

  ToolRun skipped = tool_.run({"import", "--skip-bad", path("s"), "-"}, path("bad.jsonl"));
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_NE(skipped.err.find("stdin line 3"), std::string::npos) << skipped.err;
  EXPECT_NE(skipped.err.find("stdin line 5"), std::string::npos) << skipped.err;
  EXPECT_EQ(tool_.run({"count", path("s")}).out, "2507\n");

  ASSERT_EQ(tool_.run({"dump", path("s"), "--format", "jsonl", "-o", path("dump.jsonl")}).exit_code, 0);
  ToolRun dump = tool_.run({"import", path("s"), path("dump.jsonl")});
  EXPECT_EQ(dump.exit_code, 2) << dump.err;
  EXPECT_NE(dump.err.find("snapstore restore"), std::string::npos) << dump.err;
  EXPECT_EQ(tool_.run({"count", path("s")}).out, "2507\n");

  ToolRun nowhere = tool_.run({"import", path("nowhere"), path("good.jsonl")});
  EXPECT_EQ(nowhere.exit_code, 2) << nowhere.err;
  EXPECT_FALSE(fs::exists(path("nowhere"))) << "import never creates a store";
}

// Runs the tool with stderr on a pseudo-terminal and stdout into a pipe (as
// in `snapstore dump s | snapstore restore - t`) or /dev/null; returns what
// reached the terminal.
std::string terminal_stderr(const std::vector<std::string>& args, bool stdout_to_pipe) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return "no pty";
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  int out[2] = {-1, -1};
  if (stdout_to_pipe) {
    if (::pipe(out) != 0) return "no pipe";
  } else {
    out[1] = ::open("/dev/null", O_WRONLY);
  }
  std::vector<std::string> storage = {SNAPSTORE_TOOL};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, slave, 2);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(slave);
  ::close(out[1]);
  if (spawned != 0) return "no spawn";
  std::string terminal;
  char buffer[4096];
  bool exited = false;
  while (true) {
    pollfd fds[2] = {{master, POLLIN, 0}, {out[0], POLLIN, 0}};
    ::poll(fds, out[0] >= 0 ? 2 : 1, 50);
    if ((fds[0].revents & POLLIN) != 0) {
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n > 0) terminal.append(buffer, static_cast<std::size_t>(n));
    }
    if (out[0] >= 0 && (fds[1].revents & (POLLIN | POLLHUP)) != 0 && ::read(out[0], buffer, sizeof buffer) <= 0) {
      ::close(out[0]);
      out[0] = -1;
    }
    if (exited && (fds[0].revents & POLLIN) == 0) break;
    int status = 0;
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
  }
  if (out[0] >= 0) ::close(out[0]);
  ::close(master);
  return terminal;
}

// One progress bar per terminal when tools are piped together: a command
// whose stdout is a pipe draws none; the one at the end of the pipeline does.
TEST_F(CliReadsTest, NoProgressBarFromACommandWritingIntoAPipe) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"a\": 1}"}).exit_code, 0);
  const std::string piped = terminal_stderr({"dump", path("s")}, true);
  EXPECT_EQ(piped.find("dump:"), std::string::npos) << piped;
  const std::string to_file = terminal_stderr({"dump", path("s"), "-o", path("a.dump")}, false);
  EXPECT_NE(to_file.find("dump:"), std::string::npos) << to_file;
}

}  // namespace
}  // namespace snapstore
