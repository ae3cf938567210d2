// Damage from the command line, run as separate processes: `repair`,
// `dump --salvage`, `restore --salvage` past a damaged header, verify and
// wal over segments RocksDB already holds, the leftovers of killed restores,
// and dump's refusals (an existing -o file, a binary dump to a terminal).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "snapstore/store.h"
#include "tools/run_tool.h"
#include "wal/reader.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::read_bytes;
using testutil::ToolRun;
using testutil::write_bytes;

std::vector<std::string> wal_segments(const std::string& store) {
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(store + "/wal")) {
    if (e.path().extension() == ".log") segments.push_back(e.path().string());
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

void flip_byte(const std::string& file, std::size_t offset) {
  std::string bytes = read_bytes(file);
  ASSERT_LT(offset, bytes.size()) << file;
  bytes[offset] ^= 0x20;
  write_bytes(file, bytes);
}

std::size_t size_of(const std::string& dir) {
  Options read_only;
  read_only.read_only = true;
  read_only.create_if_missing = false;
  auto store = Store::open(dir, read_only);
  EXPECT_TRUE(store) << store.status().message();
  return store ? store->size() : 0;
}

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size();) {
    if (text.compare(at, prefix.size(), prefix) == 0) ++n;
    const std::size_t end = text.find('\n', at);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return n;
}

class DamageCliTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ / name; }

  // 50 inserts in sync mode, left in the WAL only (the writer exits without
  // a checkpoint), with a byte flipped in the middle of the one segment:
  // records after it are covered by sync marks, so it is damage, not a torn tail.
  void damaged_store(const std::string& dir) {
    const pid_t pid = tool_.start_program(SNAPSTORE_CRASH_CHILD, {"write", dir, "50", "1000000"});
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const auto segments = wal_segments(dir);
    ASSERT_EQ(segments.size(), 1U);
    // The middle of the records, not of the zeros written ahead of them
    // (D109), which follow the records of a crashed sync segment.
    auto summary = wal::read_log(wal::Env::posix(), dir + "/wal", 0, [](const wal::Batch&) { return Status::ok(); });
    ASSERT_TRUE(summary) << summary.status().message();
    const std::uint64_t records_end = summary->torn_tail ? summary->torn_tail->offset : fs::file_size(segments[0]);
    flip_byte(segments[0], records_end / 2);
  }

  testutil::TempDir dir_;
  testutil::ToolRunner tool_;
};

TEST_F(DamageCliTest, RepairKeepsTheRecordsBeforeTheDamageAndSetsTheRestAside) {
  damaged_store(path("s"));
  const std::string segment = wal_segments(path("s"))[0];
  ToolRun plain = tool_.run({"get", path("s"), "nothing"});
  EXPECT_NE(plain.exit_code, 0);

  ToolRun repair = tool_.run({"repair", path("s")});
  EXPECT_EQ(repair.exit_code, 1) << repair.out << repair.err;
  EXPECT_NE(repair.out.find("REPAIRED"), std::string::npos) << repair.out;
  EXPECT_NE(repair.out.find("lost: every record from LSN "), std::string::npos) << repair.out;
  EXPECT_NE(repair.out.find("set aside: " + segment + ".damaged"), std::string::npos)
      << repair.out;
  EXPECT_NE(repair.out.find(" at offset "), std::string::npos) << repair.out;
  const std::size_t kept = size_of(path("s"));
  EXPECT_GT(kept, 0U);
  EXPECT_LT(kept, 50U);
  EXPECT_NE(repair.out.find("kept: revision " + std::to_string(kept) + ", " + std::to_string(kept) + " documents"),
            std::string::npos)
      << repair.out;

  ToolRun again = tool_.run({"repair", "--json", path("s")});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("\"repaired\":false"), std::string::npos) << again.out;
  EXPECT_EQ(tool_.run({"verify", path("s")}).exit_code, 0);

  ToolRun missing = tool_.run({"repair", path("nothing-here")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no store at"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(path("nothing-here")));
}

TEST_F(DamageCliTest, DumpSalvageHoldsTheDocumentsBeforeTheDamage) {
  damaged_store(path("s"));
  fs::copy(path("s"), path("copy"), fs::copy_options::recursive);

  ToolRun plain = tool_.run({"dump", path("s"), "-o", path("plain.dump")});
  EXPECT_EQ(plain.exit_code, 1) << plain.err;
  EXPECT_NE(plain.err.find(wal_segments(path("s"))[0] + " at offset "), std::string::npos) << plain.err;
  EXPECT_NE(plain.err.find("--salvage"), std::string::npos) << plain.err;
  EXPECT_FALSE(fs::exists(path("plain.dump")));

  ToolRun salvage = tool_.run({"dump", "--salvage", path("s"), "--format", "jsonl"});
  EXPECT_EQ(salvage.exit_code, 1) << salvage.err;
  EXPECT_NE(salvage.err.find("left out: the WAL is damaged"), std::string::npos) << salvage.err;
  // Exactly what a repair keeps.
  ASSERT_EQ(tool_.run({"repair", path("copy")}).exit_code, 1);
  const std::size_t kept = size_of(path("copy"));
  EXPECT_GT(kept, 0U);
  EXPECT_EQ(count_lines_starting(salvage.out, "{\"_id\":"), kept) << salvage.out;
  EXPECT_NE(salvage.out.find("{\"_end\":{\"documents\":" + std::to_string(kept)), std::string::npos);
  // Nothing in the store changed.
  EXPECT_EQ(wal_segments(path("s")).size(), 1U);
  EXPECT_EQ(tool_.run({"dump", path("s"), "-o", path("plain.dump")}).exit_code, 1);
}

class SalvageDumpTest : public DamageCliTest {
 protected:
  void SetUp() override {
    Options options;
    options.durability = Durability::kNone;
    auto store = Store::open(path("src"), options);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->create_index("by_n", {"n"}));
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(store->insert(Document{{"n", i}, {"pad", std::string(60, 'x')}}));
    store->close();
    ASSERT_EQ(tool_.run({"dump", path("src"), "-o", path("good.dump")}).exit_code, 0);
    good_ = read_bytes(path("good.dump"));
  }

  std::string good_;
};

TEST_F(SalvageDumpTest, EveryEntryIsRestoredPastAFlippedHeaderByte) {
  // Offsets inside the magic, the metadata length and the metadata itself.
  for (const std::size_t offset : {std::size_t{2}, std::size_t{13}, std::size_t{40}}) {
    SCOPED_TRACE(offset);
    std::string bad = good_;
    bad[offset] ^= 0x10;
    write_bytes(path("bad"), bad);
    const std::string target = path("dst" + std::to_string(offset));
    EXPECT_NE(tool_.run({"restore", path("bad"), target}).exit_code, 0);
    ToolRun run = tool_.run({"restore", "--salvage", path("bad"), target});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find("skipped header"), std::string::npos) << run.err;
    EXPECT_EQ(size_of(target), 40U);
  }
}

TEST_F(SalvageDumpTest, EveryLineIsRestoredPastADamagedJsonlHeader) {
  ToolRun jsonl = tool_.run({"dump", path("src"), "--format", "jsonl"});
  ASSERT_EQ(jsonl.exit_code, 0);
  std::string bad = jsonl.out;
  const std::size_t field = bad.find("\"revision\"");
  ASSERT_LT(field, bad.find('\n'));
  bad[field + 3] = 'X';
  write_bytes(path("bad.jsonl"), bad);
  EXPECT_NE(tool_.run({"restore", path("bad.jsonl"), path("dst")}).exit_code, 0);
  ToolRun run = tool_.run({"restore", "--salvage", path("bad.jsonl"), path("dst")});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("skipped line 1"), std::string::npos) << run.err;
  EXPECT_EQ(size_of(path("dst")), 40U);

  bad = jsonl.out;
  bad[0] = '[';  // not even the first byte says JSONL any more
  write_bytes(path("bad.jsonl"), bad);
  run = tool_.run({"restore", "--salvage", path("bad.jsonl"), path("dst2")});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("skipped line 1"), std::string::npos) << run.err;
  EXPECT_EQ(size_of(path("dst2")), 40U);
}

TEST_F(SalvageDumpTest, ADamagedEntryIsReportedAndTheOthersRestored) {
  std::string bad = good_;
  bad[20] ^= 0x01;                // the header
  bad[bad.size() / 2] ^= 0x01;    // an entry in the middle
  write_bytes(path("bad"), bad);
  ToolRun run = tool_.run({"restore", "--salvage", path("bad"), path("dst")});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("skipped header"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("skipped record"), std::string::npos) << run.err;
  EXPECT_EQ(size_of(path("dst")), 39U);
}

TEST_F(DamageCliTest, VerifyAndWalFindDamageInRecordsRocksDbAlreadyHolds) {
  // Each command checkpoints as it closes: RocksDB holds every record, and
  // the last record stays in the retained segment.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"i\": " + std::to_string(i) + "}"}).exit_code, 0);
  }
  ToolRun clean = tool_.run({"verify", path("s")});
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_NE(clean.out.find("checked every checksum of 1 WAL segments (1 records)"), std::string::npos) << clean.out;

  const auto segments = wal_segments(path("s"));
  ASSERT_EQ(segments.size(), 1U);
  flip_byte(segments[0], fs::file_size(segments[0]) - 4);  // the last record's payload
  ToolRun verify = tool_.run({"verify", path("s")});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_NE(verify.out.find("problem: WAL: " + segments[0] + " at offset "), std::string::npos) << verify.out;
  ToolRun wal = tool_.run({"wal", path("s")});
  EXPECT_EQ(wal.exit_code, 1) << wal.out << wal.err;
  EXPECT_NE(wal.err.find(segments[0] + " at offset "), std::string::npos) << wal.err;
}

TEST_F(DamageCliTest, VerifyAndWalFindDamageInASealedSegmentBelowAppliedLsn) {
  // Many small segments; after a checkpoint the first one would be
  // retired, so a copy of it is put back: a retained segment wholly below
  // applied_lsn, which the WAL read tolerates and passes over.
  const pid_t pid = tool_.start_program(SNAPSTORE_CRASH_CHILD, {"write", path("s"), "30", "400"});
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const std::string first = wal_segments(path("s"))[0];
  const std::string saved = read_bytes(first);
  {
    Options options;
    options.create_if_missing = false;
    auto store = Store::open(path("s"), options);
    ASSERT_TRUE(store) << store.status().message();
    ASSERT_TRUE(store->checkpoint());
    store->close();
  }
  ASSERT_FALSE(fs::exists(first));
  write_bytes(first, saved);
  ASSERT_GT(wal_segments(path("s")).size(), 1U);
  ToolRun clean = tool_.run({"verify", path("s")});
  ASSERT_EQ(clean.exit_code, 0) << clean.out;

  flip_byte(first, saved.size() - 4);
  ToolRun verify = tool_.run({"verify", path("s")});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_NE(verify.out.find("problem: WAL segment " + first + " at offset "), std::string::npos) << verify.out;
  ToolRun wal = tool_.run({"wal", path("s")});
  EXPECT_EQ(wal.exit_code, 1) << wal.out << wal.err;
  EXPECT_NE(wal.out.find("# damage: " + first + " at offset "), std::string::npos) << wal.out;
}

TEST_F(DamageCliTest, WalRefusesFromAboveTo) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"a\": 1}"}).exit_code, 0);
  ToolRun run = tool_.run({"wal", path("s"), "--from", "5", "--to", "2"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--from 5 is above --to 2"), std::string::npos) << run.err;
}

// The temporary directories of restores beside `parent`'s `name`.
std::vector<std::string> restore_temps(const std::string& parent, const std::string& name) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(parent)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("." + name + ".restore-", 0) == 0) found.push_back(e.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

TEST_F(DamageCliTest, RestoreRemovesWhatKilledRestoresLeftAndNothingALiveOneOwns) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("src"), "{\"a\": 1}"}).exit_code, 0);
  ASSERT_EQ(tool_.run({"dump", path("src"), "-o", path("a.dump")}).exit_code, 0);

  // A restore reading from a FIFO nobody writes to waits, its temporary
  // directory locked: alive mid-way.
  auto start_waiting_restore = [&](const std::string& fifo, int& writer) -> pid_t {
    EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const auto before = restore_temps(dir_.path(), "dst");
    // Opened for writing first (O_RDWR does not wait for a reader), so that
    // the child's open of its stdin does not wait either.
    writer = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
    const pid_t pid = tool_.start({"restore", "-", path("dst")}, fifo);
    for (int i = 0; i < 500; ++i) {
      const auto now = restore_temps(dir_.path(), "dst");
      for (const std::string& d : now) {
        if (std::find(before.begin(), before.end(), d) == before.end() && fs::exists(d + "/.restore.lock")) return pid;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the restore made no temporary directory";
    return pid;
  };

  int live_writer = -1;
  const pid_t live = start_waiting_restore(path("fifo1"), live_writer);
  const std::string live_temp = restore_temps(dir_.path(), "dst").at(0);

  int killed_writer = -1;
  const pid_t killed = start_waiting_restore(path("fifo2"), killed_writer);
  ::kill(killed, SIGKILL);
  ::waitpid(killed, nullptr, 0);
  ::close(killed_writer);
  auto temps = restore_temps(dir_.path(), "dst");
  ASSERT_EQ(temps.size(), 2U);
  const std::string dead_temp = temps[0] == live_temp ? temps[1] : temps[0];

  // A leftover of an older restore (no lock file), long ago; and one of
  // another target, which is not this restore's business.
  const std::string old_temp = path(".dst.restore-OLD123");
  const std::string other_temp = path(".other.restore-OLD123");
  for (const std::string& d : {old_temp, other_temp}) {
    fs::create_directories(d + "/db");
    write_bytes(d + "/db/data", std::string(1000, 'd'));
    fs::last_write_time(d, fs::file_time_type::clock::now() - std::chrono::hours(1));
  }

  ToolRun run = tool_.run({"restore", path("a.dump"), path("dst")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("removed " + dead_temp), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("removed " + old_temp), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("left " + live_temp + ": a restore in progress (pid " + std::to_string(live) + ")"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(dead_temp));
  EXPECT_FALSE(fs::exists(old_temp));
  EXPECT_TRUE(fs::exists(live_temp));
  EXPECT_TRUE(fs::exists(other_temp));
  EXPECT_FALSE(fs::exists(path("dst/.restore.lock")));
  EXPECT_EQ(size_of(path("dst")), 1U);

  // The live restore, given end of input, fails and cleans up after itself.
  ::close(live_writer);
  int status = 0;
  ::waitpid(live, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_FALSE(fs::exists(live_temp));
}

TEST_F(DamageCliTest, DumpDoesNotReplaceAFileWithoutForce) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"a\": 1}"}).exit_code, 0);
  write_bytes(path("keep"), "precious");
  ToolRun run = tool_.run({"dump", path("s"), "-o", path("keep")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(path("keep") + " exists"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--force"), std::string::npos) << run.err;
  EXPECT_EQ(read_bytes(path("keep")), "precious");
  EXPECT_EQ(tool_.run({"dump", path("s"), "-o", path("keep"), "--force"}).exit_code, 0);
  EXPECT_EQ(read_bytes(path("keep")).substr(0, 8), "SNAPDUMP");
}

TEST_F(DamageCliTest, BinaryDumpToATerminalIsRefused) {
  ASSERT_EQ(tool_.run({"insert", "--create", path("s"), "{\"a\": 1}"}).exit_code, 0);
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const std::string terminal = ::ptsname(master);
  const std::string err = path("err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, terminal.c_str(), O_WRONLY | O_NOCTTY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {SNAPSTORE_TOOL, "dump", path("s")};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string message = read_bytes(err);
  EXPECT_NE(message.find("stdout is a terminal"), std::string::npos) << message;
  EXPECT_NE(message.find("-o FILE"), std::string::npos) << message;
}

TEST_F(DamageCliTest, HelpOfEachDamageCommandEndsWithExamples) {
  for (const char* command : {"dump", "restore", "verify", "wal", "repair"}) {
    ToolRun run = tool_.run({command, "--help"});
    EXPECT_EQ(run.exit_code, 0) << command;
    const std::size_t examples = run.out.find("Examples:\n  snapstore ");
    EXPECT_NE(examples, std::string::npos) << command << ": " << run.out;
  }
}

}  // namespace
}  // namespace snapstore
