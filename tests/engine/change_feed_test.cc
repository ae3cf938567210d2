// The change feed (issue 16 item 1) and its JSON line format (item 4):
// Change <-> JSON line for every op, the WAL batch -> Change decoding shared
// with other readers of the log, bad lines refused with a named field; the
// feed against the store's own history (batches, index operations,
// restarts, a SIGKILLed writer), named consumers and their WAL retention,
// and bad input. The feed under concurrent writers, and wait_next against
// writes and close, are in tests/concurrency/change_feed_race_test.cc (run
// under TSan too).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fault/fault_rig.h"
#include "recovery/change_decode.h"
#include "snapstore/change.h"
#include "snapstore/store.h"
#include "testutil/change_feed.h"
#include "testutil/child_process.h"
#include "testutil/temp_dir.h"
#include "value/msgpack_codec.h"
#include "wal/record.h"

namespace snapstore {
namespace {

Change make(ChangeOp op, std::uint64_t rev, std::uint64_t first, std::uint64_t last) {
  Change c;
  c.op = op;
  c.revision = rev;
  c.batch_first_revision = first;
  c.batch_last_revision = last;
  return c;
}

std::vector<Change> every_op() {
  std::vector<Change> all;
  Change insert = make(ChangeOp::kInsert, 41, 41, 43);
  insert.id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  insert.version = 1;
  insert.document = Document{{"name", "Alice"},
                             {"age", 30},
                             {"big", std::numeric_limits<std::uint64_t>::max()},
                             {"pi", 3.25},
                             {"whole", 2.0},
                             {"nan", std::nan("")},
                             {"bin", Binary{0, 1, 255}},
                             {"bad_utf8", std::string("\xff\xfe", 2)},
                             {"tricky", Object{{"$binary", "not base64"}}},
                             {"tags", Array{"a", nullptr, true, Array{}}},
                             {"nested", Object{{"x", Object{{"y", -7}}}}}};
  all.push_back(insert);
  Change update = make(ChangeOp::kUpdate, 42, 41, 43);
  update.id = std::string("id with \"quotes\"\n and \xc3\xa9");
  update.version = 3;
  update.document = Document{};
  all.push_back(update);
  Change remove = make(ChangeOp::kRemove, 43, 41, 43);
  remove.id = "gone";
  remove.version = 7;
  all.push_back(remove);
  Change plain = make(ChangeOp::kCreateIndex, 44, 44, 44);
  plain.index = "by_city_age";
  plain.fields = {"city", "age"};
  all.push_back(plain);
  Change unique = make(ChangeOp::kCreateIndex, 45, 45, 45);
  unique.index = "by_email";
  unique.fields = {"contact.email"};
  unique.index_options = IndexOptions{.unique = true, .partial = IndexPredicate::exists("contact.email")};
  all.push_back(unique);
  Change partial = make(ChangeOp::kCreateIndex, 46, 46, 46);
  partial.index = "active";
  partial.fields = {"city"};
  partial.index_options = IndexOptions{.partial = IndexPredicate::equals("status", Binary{1, 2})};
  all.push_back(partial);
  Change drop = make(ChangeOp::kDropIndex, 47, 47, 47);
  drop.index = "by_city_age";
  all.push_back(drop);
  return all;
}

TEST(ChangeJson, EveryOpRoundTrips) {
  for (const Change& c : every_op()) {
    const std::string line = to_json_line(c);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    auto back = change_from_json_line(line);
    ASSERT_TRUE(back) << line << ": " << back.status().message();
    EXPECT_EQ(*back, c) << line;
    auto with_newline = change_from_json_line(line + "\n");
    ASSERT_TRUE(with_newline);
    EXPECT_EQ(*with_newline, c);
  }
}

TEST(ChangeJson, LineShapeIsTheDocumentedOne) {
  Change c = make(ChangeOp::kUpdate, 42, 41, 43);
  c.id = "a";
  c.version = 3;
  c.document = Document{{"n", 1}};
  EXPECT_EQ(to_json_line(c), R"({"v":1,"rev":42,"op":"update","id":"a","version":3,"doc":{"n":1},"batch":[41,43]})");
  Change r = make(ChangeOp::kRemove, 5, 5, 5);
  r.id = "a";
  r.version = 2;
  EXPECT_EQ(to_json_line(r), R"({"v":1,"rev":5,"op":"remove","id":"a","version":2,"batch":[5,5]})");
  Change ci = make(ChangeOp::kCreateIndex, 6, 6, 6);
  ci.index = "by_n";
  ci.fields = {"n"};
  ci.index_options.partial = IndexPredicate::equals("s", "on");
  EXPECT_EQ(to_json_line(ci),
            R"({"v":1,"rev":6,"op":"create_index","index":"by_n","fields":["n"],"unique":false,)"
            R"("where":{"equals":"on","field":"s"},"batch":[6,6]})");
  ci.index_options = IndexOptions{.unique = true, .partial = IndexPredicate::exists("s")};
  EXPECT_EQ(to_json_line(ci),
            R"({"v":1,"rev":6,"op":"create_index","index":"by_n","fields":["n"],"unique":true,)"
            R"("where":{"exists":true,"field":"s"},"batch":[6,6]})");
  Change di = make(ChangeOp::kDropIndex, 7, 7, 7);
  di.index = "by_n";
  EXPECT_EQ(to_json_line(di), R"({"v":1,"rev":7,"op":"drop_index","index":"by_n","batch":[7,7]})");
}

TEST(ChangeJson, UnknownFieldsAreIgnored) {
  auto c = change_from_json_line(
      R"({"v":1,"rev":9,"op":"remove","id":"x","version":2,"batch":[9,9],"later":{"a":[1]},"ts":"now"})");
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_EQ(c->id, "x");
  EXPECT_TRUE(c->ends_batch());
}

TEST(ChangeJson, BadLinesNameWhatIsWrong) {
  struct Case {
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "change line"},
      {"[1,2]", "not a JSON object"},
      {R"({"rev":1,"op":"remove","id":"x","version":1,"batch":[1,1]})", "\"v\""},
      {R"({"v":2,"rev":1,"op":"remove","id":"x","version":1,"batch":[1,1]})", "format version 2"},
      {R"({"v":1,"rev":-1,"op":"remove","id":"x","version":1,"batch":[1,1]})", "\"rev\""},
      {R"({"v":1,"rev":0,"op":"remove","id":"x","version":1,"batch":[0,0]})", "\"rev\""},
      {R"({"v":1,"rev":1,"op":"upsert","id":"x","version":1,"batch":[1,1]})", "unknown op \"upsert\""},
      {R"({"v":1,"rev":1,"op":"remove","version":1,"batch":[1,1]})", "\"id\""},
      {R"({"v":1,"rev":1,"op":"remove","id":7,"version":1,"batch":[1,1]})", "\"id\""},
      {R"({"v":1,"rev":1,"op":"insert","id":"x","version":1,"batch":[1,1]})", "\"doc\""},
      {R"({"v":1,"rev":1,"op":"insert","id":"x","version":1,"doc":[1],"batch":[1,1]})", "\"doc\""},
      {R"({"v":1,"rev":1,"op":"create_index","index":"i","batch":[1,1]})", "\"fields\""},
      {R"({"v":1,"rev":1,"op":"create_index","index":"i","fields":[1],"batch":[1,1]})", "\"fields\""},
      {R"({"v":1,"rev":1,"op":"create_index","index":"i","fields":["a"],"where":{"equals":1},"batch":[1,1]})",
       "\"where\""},
      {R"({"v":1,"rev":1,"op":"drop_index","index":"i"})", "\"batch\""},
      {R"({"v":1,"rev":5,"op":"drop_index","index":"i","batch":[1,4]})", "does not contain rev 5"},
      {R"({"v":1,"rev":5,"op":"drop_index","index":"i","batch":[5]})", "\"batch\""},
  };
  for (const Case& c : cases) {
    auto parsed = change_from_json_line(c.line);
    ASSERT_FALSE(parsed) << c.line;
    EXPECT_EQ(parsed.code(), StatusCode::kInvalidArgument) << c.line;
    EXPECT_NE(parsed.status().message().find(c.expected), std::string::npos)
        << c.line << " -> " << parsed.status().message();
  }
}

TEST(ChangeDecode, WalBatchBecomesOneChangePerOperation) {
  std::string doc;
  ASSERT_TRUE(value::encode_msgpack(Document{{"n", 1}}, doc, 100));
  wal::Batch batch;
  batch.first_lsn = 10;
  batch.ops = {{wal::OpType::kInsert, "a", 1, doc, {}},
               {wal::OpType::kUpdate, "a", 2, doc, {}},
               {wal::OpType::kDelete, "a", 2, {}, {}},
               {wal::OpType::kCreateIndex, "by_n", 0, {}, {"n"}, IndexOptions{.unique = true}},
               {wal::OpType::kDropIndex, "by_n", 0, {}, {}}};
  auto changes = recovery::changes_of(batch, 100);
  ASSERT_TRUE(changes) << changes.status().message();
  ASSERT_EQ(changes->size(), 5u);
  const ChangeOp ops[] = {ChangeOp::kInsert, ChangeOp::kUpdate, ChangeOp::kRemove, ChangeOp::kCreateIndex,
                          ChangeOp::kDropIndex};
  for (std::size_t i = 0; i < 5; ++i) {
    const Change& c = (*changes)[i];
    EXPECT_EQ(c.op, ops[i]);
    EXPECT_EQ(c.revision, 10 + i);
    EXPECT_EQ(c.batch_first_revision, 10u);
    EXPECT_EQ(c.batch_last_revision, 14u);
    EXPECT_EQ(c.ends_batch(), i == 4);
  }
  EXPECT_EQ((*changes)[1].document, (Document{{"n", 1}}));
  EXPECT_EQ((*changes)[1].version, 2u);
  EXPECT_EQ((*changes)[2].id, "a");
  EXPECT_EQ((*changes)[3].fields, std::vector<std::string>{"n"});
  EXPECT_TRUE((*changes)[3].index_options.unique);
  EXPECT_EQ((*changes)[4].index, "by_n");

  batch.ops[1].document = "\xc1";  // never valid msgpack
  auto bad = recovery::changes_of(batch, 100);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("revision 11"), std::string::npos) << bad.status().message();
}

// ---- The feed against the store's own history. ----

using testutil::TempDir;

// A copy of a store's documents and index definitions that changes are
// applied to, as a consumer outside the store would.
struct Model {
  std::map<std::string, std::pair<Document, std::uint64_t>> docs;  // id -> data, version
  std::map<std::string, std::pair<std::vector<std::string>, IndexOptions>> indexes;

  static Model of(const Store& store) {
    Model m;
    auto stream = store.stream();
    while (auto doc = stream.next()) m.docs[doc->id] = {doc->data, doc->version};
    for (const IndexInfo& info : store.indexes()) m.indexes[info.name] = {info.fields, info.options};
    return m;
  }

  void apply(const Change& c) {
    switch (c.op) {
      case ChangeOp::kInsert:
        EXPECT_EQ(docs.count(c.id), 0u) << "insert of an existing id at " << c.revision;
        EXPECT_EQ(c.version, 1u);
        docs[c.id] = {c.document, c.version};
        break;
      case ChangeOp::kUpdate:
        EXPECT_EQ(docs.count(c.id), 1u) << "update of a missing id at " << c.revision;
        EXPECT_EQ(docs[c.id].second + 1, c.version) << "at " << c.revision;
        docs[c.id] = {c.document, c.version};
        break;
      case ChangeOp::kRemove:
        EXPECT_EQ(docs.count(c.id), 1u) << "remove of a missing id at " << c.revision;
        EXPECT_EQ(docs[c.id].second, c.version) << "at " << c.revision;
        docs.erase(c.id);
        break;
      case ChangeOp::kCreateIndex:
        EXPECT_EQ(indexes.count(c.index), 0u) << c.index;
        indexes[c.index] = {c.fields, c.index_options};
        break;
      case ChangeOp::kDropIndex:
        EXPECT_EQ(indexes.erase(c.index), 1u) << c.index;
        break;
    }
  }
  friend bool operator==(const Model&, const Model&) = default;
};

using testutil::drain;
using testutil::feed_options;

TEST(ChangeFeed, AConsumerKeepsItsChangesAcrossCheckpointsAndRestarts) {
  TempDir dir;
  Options options = feed_options();
  options.checkpoint_wal_bytes = 32 << 10;
  Model copy;
  std::uint64_t r = 0;
  {
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->create_index("by_n", {"n"}));
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->insert(Document{{"n", i}}));
    r = store->revision();
    copy = Model::of(*store);
    ASSERT_TRUE(store->register_consumer("copy", r));
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) {
      auto w = store->insert(Document{{"n", i}, {"pad", std::string(150, 'p')}});
      ASSERT_TRUE(w);
      ids.push_back(w->id);
      if (i % 4 == 1) {
        ASSERT_TRUE(store->update(ids[static_cast<std::size_t>(i) - 1], Document{{"n", -i}}));
      }
      if (i % 7 == 2) {
        ASSERT_TRUE(store->remove(ids[static_cast<std::size_t>(i) - 2]));
      }
    }
    ASSERT_TRUE(store->create_index("by_pad", {"pad"}, IndexOptions{.unique = false}));
    ASSERT_TRUE(store->drop_index("by_n"));
    ASSERT_TRUE(store->checkpoint());
    auto infos = store->consumers();
    ASSERT_TRUE(infos);
    ASSERT_EQ(infos->size(), 1u);
    EXPECT_EQ((*infos)[0].acknowledged_revision, r);
    EXPECT_GT((*infos)[0].retained_wal_bytes, options.checkpoint_wal_bytes);
    store->close();  // checkpoints again
  }
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store) << store.status().message();
  // A feed with no consumer cannot go back that far: the WAL it needs is
  // kept only for "copy".
  auto feed = store->changes_for("copy");
  ASSERT_TRUE(feed) << feed.status().message();
  const std::vector<Change> changes = drain(*feed, r);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().revision, store->revision());
  for (const Change& c : changes) copy.apply(c);
  EXPECT_TRUE(copy == Model::of(*store)) << "the consumer's copy differs from the store";

  // Acknowledging lets the next checkpoint release the segments.
  const auto segments = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir / "wal")) n += e.path().extension() == ".log";
    return n;
  };
  const std::size_t held = segments();
  EXPECT_GT(held, 3u);
  ASSERT_TRUE(store->acknowledge("copy", store->revision()));
  ASSERT_TRUE(store->checkpoint());
  EXPECT_LT(segments(), held);
  auto infos = store->consumers();
  ASSERT_TRUE(infos);
  EXPECT_EQ((*infos)[0].acknowledged_revision, store->revision());
  ASSERT_TRUE(store->drop_consumer("copy"));
  EXPECT_TRUE(store->consumers()->empty());
}

TEST(ChangeFeed, BadInputGetsAClearError) {
  TempDir dir;
  Options options = feed_options();
  options.checkpoint_wal_bytes = 1 << 30;
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store->insert(Document{{"i", i}, {"pad", std::string(200, 'p')}}));
  const std::uint64_t now = store->revision();

  auto future = store->changes(now + 5);
  EXPECT_EQ(future.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(future.status().message().find("revision is " + std::to_string(now)), std::string::npos)
      << future.status().message();

  // An unnamed feed that has not read yet is not protected from a checkpoint.
  auto behind = store->changes(0);
  ASSERT_TRUE(behind);
  ASSERT_TRUE(store->checkpoint());
  auto retired = store->changes(0);
  ASSERT_EQ(retired.code(), StatusCode::kRevisionRetired) << retired.status().message();
  EXPECT_NE(retired.status().message().find("oldest available revision is"), std::string::npos);
  auto late = behind->next();
  EXPECT_EQ(late.code(), StatusCode::kRevisionRetired) << late.status().message();
  EXPECT_EQ(store->register_consumer("late", 0).code(), StatusCode::kRevisionRetired);

  EXPECT_EQ(store->register_consumer("bad name!", now).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->register_consumer("", now).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->register_consumer("c", now + 1).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->register_consumer("c", now));
  EXPECT_EQ(store->register_consumer("c", now).code(), StatusCode::kInvalidArgument);
  const Status unknown = store->acknowledge("nobody", now);
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("\"nobody\""), std::string::npos) << unknown.message();
  EXPECT_EQ(store->drop_consumer("nobody").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->changes_for("nobody").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->acknowledge("c", now + 1).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->acknowledge("c", now));
  ASSERT_TRUE(store->insert(Document{{"more", 1}}));
  ASSERT_TRUE(store->acknowledge("c", now + 1));
  const Status backwards = store->acknowledge("c", now);
  EXPECT_EQ(backwards.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(backwards.message().find("cannot go back"), std::string::npos) << backwards.message();
  EXPECT_EQ(store->consumers()->at(0).acknowledged_revision, now + 1);  // the failures changed nothing

  auto memory = Store::open_in_memory();
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->changes(0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(memory->register_consumer("c", 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ChangeFeed().next().code(), StatusCode::kStoreClosed);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Consumers, ADeadConsumerPastTheBoundIsDroppedWithAWarningAndItsWalReleased) {
  TempDir dir;
  Options options = feed_options();
  options.checkpoint_wal_bytes = 1 << 30;
  options.max_consumer_wal_bytes = 64 << 10;
  {
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->register_consumer("dead", 0));
    ASSERT_TRUE(store->register_consumer("alive", 0));
    for (int i = 0; i < 400; ++i) {
      ASSERT_TRUE(store->insert(Document{{"i", i}, {"pad", std::string(200, 'p')}}));
      // "alive" keeps up (acknowledging every few writes).
      if (i % 50 == 49) {
        ASSERT_TRUE(store->acknowledge("alive", store->revision()));
      }
    }
    ASSERT_TRUE(store->checkpoint());
    auto infos = store->consumers();
    ASSERT_TRUE(infos);
    ASSERT_EQ(infos->size(), 1u);
    EXPECT_EQ((*infos)[0].name, "alive");
    EXPECT_LE((*infos)[0].retained_wal_bytes, options.max_consumer_wal_bytes);
    // Its WAL is gone: only what "alive" and the mirror need is left.
    std::uint64_t wal_bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir / "wal")) wal_bytes += e.file_size();
    EXPECT_LE(wal_bytes, options.max_consumer_wal_bytes);
    const Status ack = store->acknowledge("dead", 5);
    EXPECT_EQ(ack.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(ack.message().find("max_consumer_wal_bytes"), std::string::npos) << ack.message();
    store->close();
  }
  const std::string log = read_text(dir / "db/LOG");
  EXPECT_NE(log.find("consumer \"dead\" was dropped"), std::string::npos);
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store);
  ASSERT_EQ(store->consumers()->size(), 1u);  // the drop was durable
}

TEST(Consumers, AConsumerIdleBehindPastMaxAgeIsDropped) {
  TempDir dir;
  Options options = feed_options();
  options.max_consumer_age = std::chrono::milliseconds(20);
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->register_consumer("idle", 0));
  ASSERT_TRUE(store->register_consumer("caught-up", 0));
  ASSERT_TRUE(store->insert(Document{{"a", 1}}));
  ASSERT_TRUE(store->acknowledge("caught-up", store->revision()));
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  ASSERT_TRUE(store->checkpoint());
  auto infos = store->consumers();
  ASSERT_TRUE(infos);
  ASSERT_EQ(infos->size(), 1u);  // idle but not behind: kept
  EXPECT_EQ((*infos)[0].name, "caught-up");
}

TEST(Consumers, ASlotFileWriteFailingAtAnyStepLosesNothingAcknowledged) {
  Options options;
  options.durability = Durability::kSync;
  bool every_step_failed = false;
  for (std::uint64_t n = 1; n <= 12 && !every_step_failed; ++n) {
    const std::string context = "slot write failing at its I/O call " + std::to_string(n);
    testutil::FaultRig rig(n);
    std::uint64_t acked = 0;
    bool second_ok = false;
    {
      auto store = rig.open(options);
      ASSERT_TRUE(store) << store.status().message();
      ASSERT_TRUE(store->register_consumer("c", 0));
      for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->insert(Document{{"i", i}}));
      ASSERT_TRUE(store->acknowledge("c", 3));
      acked = 3;
      const std::string store_dir = rig.dir();
      rig.state().set_path_filter([store_dir](std::string_view path) {
        return path == store_dir || path.ends_with("/consumers") || path.ends_with("/consumers.tmp");
      });
      rig.state().fail_call(n, fault::IoError::kEio, /*forever=*/true);
      second_ok = store->acknowledge("c", 5).is_ok();
      every_step_failed = second_ok && rig.state().failures() == 0;
      rig.state().power_off();
    }
    ASSERT_TRUE(rig.state().power_cut(fault::PowerCut::kDropUnsynced)) << context;
    rig.state().set_path_filter({});
    auto store = rig.open(options);
    ASSERT_TRUE(store) << context << ": " << store.status().message();
    auto infos = store->consumers();
    ASSERT_TRUE(infos) << context;
    ASSERT_EQ(infos->size(), 1u) << context;
    const std::uint64_t now = (*infos)[0].acknowledged_revision;
    if (second_ok) {
      EXPECT_EQ(now, 5u) << context;
    } else {
      EXPECT_TRUE(now == acked || now == 5u) << context << ": " << now;
    }
    // The store goes on: the slot can be acknowledged again.
    EXPECT_TRUE(store->acknowledge("c", 5)) << context;
  }
  EXPECT_TRUE(every_step_failed) << "the loop never got past the slot write's last I/O call";
}

// ---- Across a SIGKILL of a writing child process. ----

class Child : public testutil::ChildProcess {
 public:
  explicit Child(const std::vector<std::string>& args) : ChildProcess(SNAPSTORE_CHANGE_FEED_CHILD, args) {}
  // The next acknowledged revision the child printed; 0 at its end.
  std::uint64_t next_line() {
    unsigned long long revision = 0;
    if (std::fscanf(out(), "%llu", &revision) != 1) return 0;
    return revision;
  }
};

TEST(ChangeFeed, AConsumerCopyEqualsTheStoreAfterWritersAreKilled) {
  TempDir dir;
  Options options;  // the child's small segments, see change_feed_child.cc
  options.wal_segment_bytes = 8 << 10;
  options.checkpoint_wal_bytes = 16 << 10;
  Model copy;
  std::uint64_t acked = 0;
  {
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->create_index("by_k", {"k"}));
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->insert(Document{{"k", i}}));
    acked = store->revision();
    copy = Model::of(*store);
    ASSERT_TRUE(store->register_consumer("copy", acked));
  }
  for (int round = 0; round < 2; ++round) {
    std::uint64_t last_acknowledged = 0;
    {
      Child child({dir.path(), std::to_string(round + 1)});
      for (int line = 0; line < 80; ++line) {
        const std::uint64_t r = child.next_line();
        ASSERT_NE(r, 0u) << "the child stopped early (round " << round << ")";
        last_acknowledged = r;
      }
    }  // SIGKILL
    auto store = Store::open(dir.path(), options);
    ASSERT_TRUE(store) << store.status().message();
    EXPECT_GE(store->revision(), last_acknowledged) << "an acknowledged write was lost";
    auto feed = store->changes_for("copy");
    ASSERT_TRUE(feed) << feed.status().message();
    const std::vector<Change> changes = drain(*feed, acked);
    ASSERT_FALSE(changes.empty());
    EXPECT_EQ(changes.back().revision, store->revision()) << "round " << round;
    for (const Change& c : changes) copy.apply(c);
    EXPECT_TRUE(copy == Model::of(*store)) << "round " << round << ": the consumer's copy differs from the store";
    acked = store->revision();
    ASSERT_TRUE(store->acknowledge("copy", acked));
  }
}

}  // namespace
}  // namespace snapstore
