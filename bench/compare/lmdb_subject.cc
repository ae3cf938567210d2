// LMDB's rows, holding the same msgpack bytes snapstore keeps under the same
// kind of UUIDv7 keys in one B+tree served from a read-only memory map: a
// commit per insert (durable: a synced commit; not durable: MDB_NOSYNC), a
// transaction of 100, a load in transactions of 10000 with MDB_APPEND, a get
// that hands out the mapped bytes (zero-copy, next to snapstore's get_view)
// and one that decodes them into a Document, a full scan + decode, update,
// delete, and open + full scan + decode.
//
// LMDB admits one write transaction at a time: writer threads each begin
// their own and LMDB's writer lock queues them (no group commit). Readers
// keep one read transaction per thread and reset/renew it around each get,
// the cheap way LMDB offers to see the newest data per operation.
#include <lmdb.h>

#include <algorithm>
#include <memory>

#include "bench/compare/harness.h"

namespace compare {

namespace {

// Large enough for 10M documents of ~200 bytes with page slack; the file is
// sparse, so an unused map costs nothing.
constexpr std::size_t kMapSize = std::size_t{64} << 30;

void check(int rc, const char* step) {
  if (rc != MDB_SUCCESS) bench::die(std::string("lmdb ") + step + ": " + mdb_strerror(rc));
}

MDB_val val_of(std::string_view bytes) { return {bytes.size(), const_cast<char*>(bytes.data())}; }

std::string_view view_of(const MDB_val& val) { return {static_cast<const char*>(val.mv_data), val.mv_size}; }

// One environment with its main database; closed when destroyed.
class Env {
 public:
  Env(const std::filesystem::path& dir, bool sync) {
    check(mdb_env_create(&env_), "env create");
    check(mdb_env_set_mapsize(env_, kMapSize), "set mapsize");
    check(mdb_env_set_maxreaders(env_, 256), "set maxreaders");
    // MDB_NOTLS: a read transaction belongs to the thread that uses it, not
    // to a thread-local slot, so the harness's threads may each keep one.
    const unsigned flags = MDB_NOTLS | (sync ? 0u : MDB_NOSYNC);
    check(mdb_env_open(env_, dir.c_str(), flags, 0644), "env open");
    MDB_txn* txn = begin(0);
    check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi open");
    check(mdb_txn_commit(txn), "dbi commit");
  }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env() { mdb_env_close(env_); }

  void set_sync(bool sync) { check(mdb_env_set_flags(env_, MDB_NOSYNC, sync ? 0 : 1), "set flags"); }
  void sync_now() { check(mdb_env_sync(env_, 1), "env sync"); }

  MDB_txn* begin(unsigned flags) {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env_, nullptr, flags, &txn), "txn begin");
    return txn;
  }
  // One write transaction around `write(txn)`.
  template <typename Write>
  void write(const Write& write) {
    MDB_txn* txn = begin(0);
    write(txn);
    check(mdb_txn_commit(txn), "commit");
  }
  void put(MDB_txn* txn, std::string_view key, std::string_view value, unsigned flags = 0) {
    MDB_val k = val_of(key);
    MDB_val v = val_of(value);
    check(mdb_put(txn, dbi_, &k, &v, flags), "put");
  }
  MDB_dbi dbi() const { return dbi_; }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

// A read transaction kept by one thread and renewed for each operation.
class Reader {
 public:
  explicit Reader(Env& env) : env_(env), txn_(env.begin(MDB_RDONLY)) { mdb_txn_reset(txn_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() { mdb_txn_abort(txn_); }

  // The mapped bytes of `id`, valid until the next call.
  std::string_view get(std::string_view id) {
    mdb_txn_reset(txn_);
    check(mdb_txn_renew(txn_), "txn renew");
    MDB_val k = val_of(id);
    MDB_val v;
    check(mdb_get(txn_, env_.dbi(), &k, &v), "get");
    return view_of(v);
  }

 private:
  Env& env_;
  MDB_txn* txn_;
};

const char* sync_label(bool sync) { return sync ? "" : ", MDB_NOSYNC"; }

void insert_rows(const Config& config, Report& report) {
  const std::vector<std::string>& pool = msgpack_pool();
  for (const int threads : config.threads) {
    for (const bool sync : {true, false}) {
      const std::filesystem::path dir = fresh_dir(config, "lmdb-insert");
      Measurement m;
      {
        Env env(dir, sync);
        m = run_timed(threads, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
          const std::string id = new_id();
          env.write([&](MDB_txn* txn) { env.put(txn, id, pool[index % pool.size()]); });
          return 1;
        });
      }
      remove_dir(dir);
      report.add(make_row(insert_group(threads, sync), std::string("LMDB commit per insert") + sync_label(sync),
                          Role::kAlternative, 0, m, "ops/s", true));
    }
  }
}

void batch_rows(const Config& config, Report& report) {
  constexpr std::uint64_t kBatch = 100;
  const std::vector<std::string>& pool = msgpack_pool();
  for (const bool sync : {true, false}) {
    const std::filesystem::path dir = fresh_dir(config, "lmdb-batch");
    Measurement m;
    {
      Env env(dir, sync);
      Budget budget = config.budget;
      budget.max_ops = std::max<std::uint64_t>(1, budget.max_ops / kBatch);
      m = run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
        env.write([&](MDB_txn* txn) {
          for (std::uint64_t i = 0; i < kBatch; ++i) env.put(txn, new_id(), pool[(index * kBatch + i) % pool.size()]);
        });
        return kBatch;
      });
    }
    remove_dir(dir);
    report.add(make_row(batch_group(sync), std::string("LMDB transaction of 100") + sync_label(sync),
                        Role::kAlternative, 0, m, "docs/s", true));
  }
}

// Appends N documents in transactions of kLoadChunk (the ids come in key
// order, so MDB_APPEND fills pages without splitting them) and syncs once at
// the end; generation and encoding happen outside the timing. Returns the ids.
std::vector<std::string> load(Env& env, std::uint64_t documents, Measurement& m) {
  std::vector<std::string> ids;
  ids.reserve(documents);
  std::vector<std::string> chunk;
  for (std::uint64_t first = 0; first < documents; first += kLoadChunk) {
    chunk.clear();
    const std::uint64_t end = std::min(documents, first + kLoadChunk);
    for (std::uint64_t seq = first; seq < end; ++seq) {
      chunk.push_back(encode_msgpack(bench::make_document(seq)));
      ids.push_back(new_id());
    }
    const Clock::time_point start = Clock::now();
    env.write([&](MDB_txn* txn) {
      for (std::uint64_t seq = first; seq < end; ++seq) env.put(txn, ids[seq], chunk[seq - first], MDB_APPEND);
    });
    m.seconds += seconds_since(start);
  }
  const Clock::time_point start = Clock::now();
  env.sync_now();
  m.seconds += seconds_since(start);
  m.ops = m.items = documents;
  return ids;
}

// Walks every document with a cursor and decodes it; returns how many it saw.
std::uint64_t scan_and_decode(Env& env) {
  MDB_txn* txn = env.begin(MDB_RDONLY);
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn, env.dbi(), &cursor), "cursor open");
  std::uint64_t seen = 0;
  MDB_val k;
  MDB_val v;
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    const snapstore::Document doc = decode_msgpack(view_of(v));
    const std::string id(view_of(k));  // a reader gets the id too, as from snapstore's stream
    seen += id.empty() || doc.empty() ? 0 : 1;
  }
  if (rc != MDB_NOTFOUND) check(rc, "scan");
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  return seen;
}

Measurement update(Env& env, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order) {
  const std::uint64_t n = ids.size();
  const std::vector<std::string>& pool = updated_msgpack_pool();
  return run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
    const std::string& id = ids[order[n - 1 - pick(index, std::max<std::uint64_t>(1, n / 2))]];
    env.write([&](MDB_txn* txn) { env.put(txn, id, pool[index % pool.size()]); });
    return 1;
  });
}

Measurement remove(Env& env, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order, std::uint64_t first) {
  Budget budget = config.budget;
  budget.max_ops = std::min<std::uint64_t>(budget.max_ops, std::max<std::uint64_t>(1, ids.size() / 4));
  return run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
    env.write([&](MDB_txn* txn) {
      MDB_val k = val_of(ids[order[first + index]]);
      check(mdb_del(txn, env.dbi(), &k, nullptr), "delete");
    });
    return 1;
  });
}

void loaded_rows(const Config& config, Report& report) {
  const std::uint64_t n = config.documents;
  const std::filesystem::path dir = fresh_dir(config, "lmdb-loaded");
  const std::vector<std::uint32_t> order = delete_order(n);
  auto env = std::make_unique<Env>(dir, false);
  Measurement loaded;
  const std::vector<std::string> ids = load(*env, n, loaded);
  if (config.wants("load")) {
    report.add(make_row(load_group(n), "LMDB transactions of 10000, MDB_APPEND", Role::kAlternative, 0, loaded,
                        "docs/s", false));
  }
  if (config.wants("stream")) {
    const Clock::time_point start = Clock::now();
    const std::uint64_t seen = scan_and_decode(*env);
    report.add(make_row(stream_group(), "LMDB cursor scan + decode", Role::kAlternative, n,
                        one_shot(seen, seconds_since(start)), "docs/s", false));
  }
  if (config.wants("get")) {
    Reader reader(*env);
    const Measurement zero_copy = run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
      return reader.get(ids[pick(index, n)]).empty() ? 0 : 1;
    });
    report.add(make_row(get_view_group(), "LMDB get (zero-copy)", Role::kAlternative, n, zero_copy, "ops/s", true));
    Reader second(*env);
    Reader* readers[] = {&reader, &second};
    const Measurement two = run_timed(2, config.budget, [&](int thread, std::uint64_t index) -> std::uint64_t {
      return readers[thread]->get(ids[pick(index, n)]).empty() ? 0 : 1;
    });
    report.add(
        make_row(get_view_two_threads_group(), "LMDB get (zero-copy)", Role::kAlternative, n, two, "ops/s", true));
    const Measurement decoded = run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
      const snapstore::Document doc = decode_msgpack(reader.get(ids[pick(index, n)]));
      return doc.empty() ? 0 : 1;
    });
    report.add(make_row(get_group(), "LMDB get + decode into Document", Role::kAlternative, n, decoded, "ops/s", true));
  }
  if (config.wants("update")) {
    report.add(make_row(update_group(false), "LMDB commit per update, MDB_NOSYNC", Role::kAlternative, n,
                        update(*env, config, ids, order), "ops/s", true));
  }
  if (config.wants("open")) {
    env.reset();
    const Clock::time_point start = Clock::now();
    env = std::make_unique<Env>(dir, false);
    const std::uint64_t seen = scan_and_decode(*env);
    report.add(make_row(open_group(n), "LMDB open + cursor scan + decode", Role::kAlternative, n,
                        one_shot(seen, seconds_since(start)), "docs/s", false));
  }
  std::uint64_t deleted = 0;
  if (config.wants("delete")) {
    const Measurement m = remove(*env, config, ids, order, 0);
    deleted = m.ops;
    report.add(
        make_row(delete_group(false), "LMDB commit per delete, MDB_NOSYNC", Role::kAlternative, n, m, "ops/s", true));
  }
  env->set_sync(true);
  if (config.wants("update")) {
    report.add(make_row(update_group(true), "LMDB commit per update", Role::kAlternative, n,
                        update(*env, config, ids, order), "ops/s", true));
  }
  if (config.wants("delete")) {
    report.add(make_row(delete_group(true), "LMDB commit per delete", Role::kAlternative, n,
                        remove(*env, config, ids, order, deleted), "ops/s", true));
  }
  env.reset();
  remove_dir(dir);
}

}  // namespace

void run_lmdb(const Config& config, Report& report, Phase phase) {
  if (phase == Phase::kLoaded) {
    if (config.wants_loaded()) loaded_rows(config, report);
    return;
  }
  if (config.wants("insert")) insert_rows(config, report);
  if (config.wants("batch")) batch_rows(config, report);
}

}  // namespace compare
