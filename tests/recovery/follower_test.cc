// The follower (snapstore/follower.h, StoreReader::open_live) in another
// process than the owner: while the owner writes, rotates WAL segments and
// checkpoints them away, every read of the follower equals the owner's state
// at the follower's revision; after the owner is killed the follower keeps a
// consistent state and a new owner opens the store; a follower writes nothing
// into the store's directory; bad directories are clear errors. The wal::LogTail
// under it: torn tails are "not yet", retirement is reported.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "snapstore/follower.h"
#include "snapstore/store.h"
#include "testutil/child_process.h"
#include "testutil/temp_dir.h"
#include "wal/tail.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;

// tests/recovery/follower_child.cc writing into `dir`; its stdout through lines().
class Owner : public testutil::ChildProcess {
 public:
  Owner(const std::string& dir, long n) : ChildProcess(SNAPSTORE_FOLLOWER_CHILD, {dir, std::to_string(n)}) {}
};

struct ModelDoc {
  std::uint64_t version = 0;
  std::uint64_t revision = 0;
  long n = 0;
};

// The owner's state rebuilt from what it printed, advanced revision by revision.
class Model {
 public:
  explicit Model(Owner& owner) : owner_(owner) {}

  // Applies every printed operation up to `revision`, reading more lines as
  // needed; false when the owner ended before printing that far.
  bool advance_to(std::uint64_t revision) {
    while (printed_ < revision) {
      std::string line;
      if (!owner_.next_line(line)) return false;
      std::istringstream in(line);
      std::uint64_t rev = 0;
      std::string op;
      in >> rev >> op;
      pending_.push_back(line);
      printed_ = rev;
    }
    while (!pending_.empty()) {
      std::istringstream in(pending_.front());
      std::uint64_t rev = 0;
      std::string op, id;
      in >> rev >> op;
      if (rev > revision) break;
      pending_.erase(pending_.begin());
      if (op == "put") {
        ModelDoc doc;
        in >> id >> doc.version >> doc.n;
        doc.revision = rev;
        docs_[id] = doc;
      } else if (op == "del") {
        in >> id;
        docs_.erase(id);
        deleted_.insert(id);
      }
      revision_ = rev;
    }
    return true;
  }
  const std::map<std::string, ModelDoc>& docs() const { return docs_; }
  const std::set<std::string>& deleted() const { return deleted_; }
  std::uint64_t printed() const { return printed_; }

 private:
  Owner& owner_;
  std::vector<std::string> pending_;
  std::uint64_t printed_ = 0;
  std::uint64_t revision_ = 0;
  std::map<std::string, ModelDoc> docs_;
  std::set<std::string> deleted_;
};

// Every read of `follower` against the model at the follower's revision.
void expect_equal(const Follower& follower, const Model& model) {
  SCOPED_TRACE("at revision " + std::to_string(follower.revision()));
  std::map<long, std::set<std::string>> by_group;
  for (const auto& [id, expected] : model.docs()) {
    auto doc = follower.get(id);
    ASSERT_TRUE(doc.is_ok()) << id << ": " << doc.status().message();
    EXPECT_EQ(doc->version, expected.version) << id;
    EXPECT_EQ(doc->revision, expected.revision) << id;
    EXPECT_EQ(doc->data, (Document{{"n", expected.n}, {"group", expected.n % 5}})) << id;
    by_group[expected.n % 5].insert(id);
  }
  for (const auto& id : model.deleted()) {
    if (model.docs().count(id) == 0) {
      EXPECT_EQ(follower.get(id).code(), StatusCode::kDocumentNotFound) << id;
    }
  }
  auto size = follower.size();
  ASSERT_TRUE(size.is_ok()) << size.status().message();
  EXPECT_EQ(*size, model.docs().size());
  for (long group = 0; group < 5; ++group) {
    auto found = follower.lookup("by_group", {group});
    ASSERT_TRUE(found.is_ok()) << found.status().message();
    std::set<std::string> ids;
    for (const auto& doc : *found) ids.insert(doc.id);
    EXPECT_EQ(ids, by_group[group]) << "group " << group;
    EXPECT_EQ(follower.count("by_group", {group}).value(), by_group[group].size());
  }
}

// Every file under `dir` with its size: what a follower must not change.
std::map<std::string, std::uintmax_t> listing(const std::string& dir) {
  std::map<std::string, std::uintmax_t> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    files[entry.path().string()] = entry.is_regular_file() ? entry.file_size() : 0;
  }
  return files;
}

std::uint64_t oldest_segment_lsn(const std::string& dir) {
  std::uint64_t oldest = UINT64_MAX;
  for (const auto& entry : fs::directory_iterator(dir + "/wal")) {
    if (entry.path().extension() == ".log") oldest = std::min<std::uint64_t>(oldest, std::stoull(entry.path().stem()));
  }
  return oldest;
}

TEST(FollowerTest, ReadsEqualTheOwnerAtEveryRevisionWhileItWritesRotatesAndCheckpoints) {
  TempDir dir;
  Owner owner(dir.path(), 700);
  Model model(owner);
  ASSERT_TRUE(model.advance_to(1));  // the store and its index exist
  auto follower = Follower::open(dir.path());
  ASSERT_TRUE(follower.is_ok()) << follower.status().message();
  int rounds = 0;
  std::uint64_t last = 0;
  std::uint64_t first = 0;  // the revision of the first catch_up
  for (;;) {
    const Status caught_up = follower->catch_up();
    ASSERT_TRUE(caught_up.is_ok()) << caught_up.message();
    const std::uint64_t revision = follower->revision();
    EXPECT_GE(revision, last);  // never backwards
    last = revision;
    if (first == 0) first = revision;
    ASSERT_TRUE(model.advance_to(revision)) << "the follower is ahead of everything the owner wrote";
    expect_equal(*follower, model);
    if (HasFatalFailure()) return;
    ++rounds;
    std::string line;
    if (!model.advance_to(model.printed() + 1)) break;  // the owner is done
  }
  EXPECT_EQ(owner.wait(), 0);
  ASSERT_TRUE(follower->catch_up().is_ok());
  ASSERT_TRUE(model.advance_to(follower->revision()));
  expect_equal(*follower, model);
  EXPECT_GE(rounds, 1);
  EXPECT_LT(first, follower->revision()) << "the follower never read the store while the owner wrote";
  EXPECT_GT(oldest_segment_lsn(dir.path()), 1U) << "no segment was retired: the test did not test retirement";
}

TEST(FollowerTest, KeepsItsStateWhenTheOwnerIsKilledAndANewOwnerOpens) {
  TempDir dir;
  Owner owner(dir.path(), 0);
  Model model(owner);
  ASSERT_TRUE(model.advance_to(150));
  auto follower = Follower::open(dir.path());
  ASSERT_TRUE(follower.is_ok()) << follower.status().message();
  ASSERT_TRUE(model.advance_to(model.printed() + 40));
  owner.kill_now();
  owner.wait();
  ASSERT_TRUE(follower->catch_up().is_ok());
  const std::uint64_t at_kill = follower->revision();
  EXPECT_GE(at_kill, model.printed());  // what the killed owner acknowledged, at least

  // A new owner opens the store the follower still reads, and writes.
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ(store->revision(), at_kill);  // kill -9 keeps every complete record
  ASSERT_TRUE(store->insert(Document{{"n", -1}, {"group", 1}}).is_ok());
  ASSERT_TRUE(follower->catch_up().is_ok());
  EXPECT_EQ(follower->revision(), store->revision());
  std::map<std::string, DocumentResult> seen;
  ASSERT_TRUE(follower->for_each([&](const DocumentResult& doc) {
    seen.emplace(doc.id, doc);
    return Status::ok();
  }).is_ok());
  std::size_t owner_docs = 0;
  Stream stream = store->stream();
  while (auto doc = stream.next()) {
    ++owner_docs;
    const auto it = seen.find(doc->id);
    ASSERT_NE(it, seen.end()) << doc->id;
    EXPECT_EQ(it->second.data, doc->data);
    EXPECT_EQ(it->second.version, doc->version);
    EXPECT_EQ(it->second.revision, doc->revision);
  }
  EXPECT_EQ(seen.size(), owner_docs);
}

TEST(FollowerTest, WritesNothingIntoTheStoreAndFollowsAClosedOne) {
  TempDir dir;
  {
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE(store->create_index("by_group", {"group"}).is_ok());
    for (long i = 0; i < 50; ++i) ASSERT_TRUE(store->insert(Document{{"n", i}, {"group", i % 5}}).is_ok());
    store->close();
  }
  const auto before = listing(dir.path());
  {
    auto follower = Follower::open(dir.path());
    ASSERT_TRUE(follower.is_ok()) << follower.status().message();
    EXPECT_EQ(follower->revision(), 51U);
    EXPECT_EQ(follower->size().value(), 50U);
    EXPECT_EQ(follower->count("by_group", {2}).value(), 10U);
    ASSERT_EQ(follower->indexes().size(), 1U);
    EXPECT_EQ(follower->indexes()[0].fields, std::vector<std::string>{"group"});
    ASSERT_TRUE(follower->catch_up().is_ok());
    EXPECT_EQ(follower->revision(), 51U);
    // The owner's exclusive lock is not disturbed: a writer opens meanwhile.
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store.is_ok()) << store.status().message();
  }
  // The writer above changed the files; the follower alone must not.
  const auto after_writer = listing(dir.path());
  {
    auto follower = Follower::open(dir.path());
    ASSERT_TRUE(follower.is_ok());
    ASSERT_TRUE(follower->catch_up().is_ok());
  }
  EXPECT_EQ(listing(dir.path()), after_writer);
  EXPECT_FALSE(before.empty());
}

TEST(FollowerTest, BadDirectoriesAreClearErrorsAndNothingIsWritten) {
  TempDir dir;
  const std::string missing = dir / "missing";
  auto follower = Follower::open(missing);
  ASSERT_EQ(follower.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(follower.status().message().find("does not exist"), std::string::npos) << follower.status().message();
  EXPECT_FALSE(fs::exists(missing));

  const std::string other = dir / "other";
  fs::create_directory(other);
  { std::ofstream(other + "/notes.txt") << "not a store"; }
  const auto before = listing(other);
  follower = Follower::open(other);
  ASSERT_EQ(follower.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(follower.status().message().find("no store at " + other), std::string::npos)
      << follower.status().message();
  EXPECT_EQ(listing(other), before);

  const std::string empty = dir / "empty";
  fs::create_directory(empty);
  EXPECT_EQ(Follower::open(empty).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(empty));
}

// A LogTail over a segment whose last record is still being written stops
// before it ("not yet") and reads it once it is complete.
TEST(LogTailTest, AnIncompleteLastRecordIsNotYetAndRetirementIsReported) {
  TempDir dir;
  {
    Options options;
    options.durability = Durability::kNone;
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store.is_ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->insert(Document{{"i", i}}).is_ok());
    ASSERT_TRUE(store->flush().is_ok());
    // Left open on purpose (no checkpoint retires the WAL): the files stay as
    // a running owner's.
    const std::string wal = dir / "wal";
    std::string segment;
    for (const auto& entry : fs::directory_iterator(wal)) segment = entry.path().string();
    std::string bytes;
    {
      std::ifstream in(segment, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    // The records' end: a live `none` segment ends in its mapped reservation's zeros (D101).
    const auto full = bytes.find_last_not_of('\0') + 1;
    TempDir copy;
    fs::create_directory(copy / "wal");
    const std::string target = copy / "wal" + "/" + fs::path(segment).filename().string();
    // The last record cut in half, then zeroed space after it.
    {
      std::ofstream out(target, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(full - 10));
      out << std::string(4096, '\0');
    }
    wal::LogTail tail(wal::Env::posix(), copy / "wal", 1);
    std::vector<std::uint64_t> seen;
    auto visit = [&](const wal::Batch& batch) {
      seen.push_back(batch.first_lsn);
      return Status::ok();
    };
    auto progress = tail.poll(visit);
    ASSERT_TRUE(progress.is_ok()) << progress.status().message();
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(tail.next_lsn(), 3U);
    {
      std::ofstream out(target, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(full));
    }
    auto again = tail.poll(visit);
    ASSERT_TRUE(again.is_ok()) << again.status().message();
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3}));

    // Asked for an LSN before the oldest segment: retired, naming the oldest.
    fs::rename(target, copy / "wal" + "/00000000000000000002.log");
    wal::LogTail late(wal::Env::posix(), copy / "wal", 1);
    auto retired = late.poll(visit);
    ASSERT_TRUE(retired.is_ok());
    EXPECT_TRUE(retired->retired);
    EXPECT_EQ(retired->oldest_lsn, 2U);
  }
}

}  // namespace
}  // namespace snapstore
