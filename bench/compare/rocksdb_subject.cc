// Raw RocksDB's rows, holding the same msgpack bytes snapstore keeps under
// the same kind of UUIDv7 keys: Put with sync=true and sync=false, a
// WriteBatch of 100, a bulk load through SstFileWriter + IngestExternalFile,
// Get + decode into snapstore's Document, a full scan + decode, and open +
// full scan + decode (what snapstore's open must at least do).
//
// Writes do not pay for encoding (the bytes are pregenerated); reads pay for
// decoding, because a reader wants a Document. The block cache is 1 GiB so
// that the loaded data stays in memory, as snapstore's does.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>

#include "bench/compare/harness.h"

namespace compare {

namespace {

void check(const rocksdb::Status& status, const char* step) {
  if (!status.ok()) bench::die(std::string("rocksdb ") + step + ": " + status.ToString());
}

rocksdb::Options db_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(std::size_t{1} << 30);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

std::unique_ptr<rocksdb::DB> open_db(const std::filesystem::path& dir) {
  rocksdb::DB* db = nullptr;
  check(rocksdb::DB::Open(db_options(), dir.string(), &db), "open");
  return std::unique_ptr<rocksdb::DB>(db);
}

void close_db(std::unique_ptr<rocksdb::DB>& db) {
  check(db->Close(), "close");
  db.reset();
}

rocksdb::WriteOptions write_options(bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return options;
}

void insert_rows(const Config& config, Report& report) {
  const std::vector<std::string>& pool = msgpack_pool();
  for (const int threads : config.threads) {
    for (const bool sync : {true, false}) {
      const std::filesystem::path dir = fresh_dir(config, "rocksdb-insert");
      std::unique_ptr<rocksdb::DB> db = open_db(dir);
      const rocksdb::WriteOptions options = write_options(sync);
      const Measurement m = run_timed(threads, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
        check(db->Put(options, new_id(), pool[index % pool.size()]), "put");
        return 1;
      });
      close_db(db);
      remove_dir(dir);
      report.add(make_row(insert_group(threads, sync), sync ? "RocksDB Put(sync=true)" : "RocksDB Put(sync=false)",
                          Role::kAlternative, 0, m, "ops/s", true));
    }
  }
}

void batch_rows(const Config& config, Report& report) {
  constexpr std::uint64_t kBatch = 100;
  const std::vector<std::string>& pool = msgpack_pool();
  for (const bool sync : {true, false}) {
    const std::filesystem::path dir = fresh_dir(config, "rocksdb-batch");
    std::unique_ptr<rocksdb::DB> db = open_db(dir);
    const rocksdb::WriteOptions options = write_options(sync);
    Budget budget = config.budget;
    budget.max_ops = std::max<std::uint64_t>(1, budget.max_ops / kBatch);
    const Measurement m = run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
      rocksdb::WriteBatch batch;
      for (std::uint64_t i = 0; i < kBatch; ++i) {
        check(batch.Put(new_id(), pool[(index * kBatch + i) % pool.size()]), "batch put");
      }
      check(db->Write(options, &batch), "write batch");
      return kBatch;
    });
    close_db(db);
    remove_dir(dir);
    report.add(make_row(batch_group(sync),
                        sync ? "RocksDB WriteBatch(100, sync=true)" : "RocksDB WriteBatch(100, sync=false)",
                        Role::kAlternative, 0, m, "docs/s", true));
  }
}

// Writes N documents into one SST file and ingests it; returns the ids in
// key order. Generation and encoding happen in chunks outside the timing.
std::vector<std::string> bulk_load(rocksdb::DB& db, const std::filesystem::path& dir, std::uint64_t documents,
                                   Measurement& m) {
  std::vector<std::string> ids;
  ids.reserve(documents);
  const std::string sst = (dir / "bulk.sst").string();
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_options());
  check(writer.Open(sst), "sst open");
  std::vector<std::string> chunk;
  for (std::uint64_t first = 0; first < documents; first += kLoadChunk) {
    chunk.clear();
    const std::uint64_t end = std::min(documents, first + kLoadChunk);
    for (std::uint64_t seq = first; seq < end; ++seq) {
      chunk.push_back(encode_msgpack(bench::make_document(seq)));
      ids.push_back(new_id());
    }
    const Clock::time_point start = Clock::now();
    for (std::uint64_t seq = first; seq < end; ++seq) check(writer.Put(ids[seq], chunk[seq - first]), "sst put");
    m.seconds += seconds_since(start);
  }
  const Clock::time_point start = Clock::now();
  check(writer.Finish(), "sst finish");
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  check(db.IngestExternalFile({sst}, ingest), "ingest");
  m.seconds += seconds_since(start);
  m.ops = m.items = documents;
  return ids;
}

// Iterates over every document and decodes it; returns how many it saw.
std::uint64_t scan_and_decode(rocksdb::DB& db) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  std::uint64_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const snapstore::Document doc = decode_msgpack(std::string_view(it->value().data(), it->value().size()));
    const std::string id = it->key().ToString();  // a reader gets the id too, as from snapstore's stream
    seen += id.empty() || doc.empty() ? 0 : 1;
  }
  check(it->status(), "scan");
  return seen;
}

Measurement update(rocksdb::DB& db, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order, bool sync) {
  const std::uint64_t n = ids.size();
  const std::vector<std::string>& pool = updated_msgpack_pool();
  const rocksdb::WriteOptions options = write_options(sync);
  return run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
    const std::string& id = ids[order[n - 1 - pick(index, std::max<std::uint64_t>(1, n / 2))]];
    check(db.Put(options, id, pool[index % pool.size()]), "update put");
    return 1;
  });
}

Measurement remove(rocksdb::DB& db, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order, std::uint64_t first, bool sync) {
  Budget budget = config.budget;
  budget.max_ops = std::min<std::uint64_t>(budget.max_ops, std::max<std::uint64_t>(1, ids.size() / 4));
  const rocksdb::WriteOptions options = write_options(sync);
  return run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
    check(db.Delete(options, ids[order[first + index]]), "delete");
    return 1;
  });
}

void loaded_rows(const Config& config, Report& report) {
  const std::uint64_t n = config.documents;
  const std::filesystem::path dir = fresh_dir(config, "rocksdb-loaded");
  const std::vector<std::uint32_t> order = delete_order(n);
  std::unique_ptr<rocksdb::DB> db = open_db(dir / "db");
  Measurement loaded;
  const std::vector<std::string> ids = bulk_load(*db, dir, n, loaded);
  if (config.wants("load")) {
    report.add(
        make_row(load_group(n), "RocksDB SstFileWriter + ingest", Role::kAlternative, 0, loaded, "docs/s", true));
  }
  // The scan comes first, also when only get is measured: it fills the block
  // cache, so that Get reads from memory as snapstore does.
  if (config.wants("stream") || config.wants("get")) {
    const Clock::time_point start = Clock::now();
    const std::uint64_t seen = scan_and_decode(*db);
    if (config.wants("stream")) {
      report.add(make_row(stream_group(), "RocksDB full scan + decode", Role::kAlternative, n,
                          one_shot(seen, seconds_since(start)), "docs/s", false));
    }
  }
  if (config.wants("get")) {
    const Measurement m = run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
      std::string bytes;
      check(db->Get(rocksdb::ReadOptions(), ids[pick(index, n)], &bytes), "get");
      const snapstore::Document doc = decode_msgpack(bytes);
      return doc.empty() ? 0 : 1;
    });
    report.add(make_row(get_group(), "RocksDB Get + decode into Document", Role::kAlternative, n, m, "ops/s", true));
  }
  if (config.wants("update")) {
    report.add(make_row(update_group(false), "RocksDB Put(sync=false)", Role::kAlternative, n,
                        update(*db, config, ids, order, false), "ops/s", true));
  }
  if (config.wants("open")) {
    close_db(db);
    const Clock::time_point start = Clock::now();
    db = open_db(dir / "db");
    const std::uint64_t seen = scan_and_decode(*db);
    report.add(make_row(open_group(n), "RocksDB open + full scan + decode", Role::kAlternative, n,
                        one_shot(seen, seconds_since(start)), "docs/s", false));
  }
  if (config.wants("delete")) {
    const Measurement not_durable = remove(*db, config, ids, order, 0, false);
    report.add(
        make_row(delete_group(false), "RocksDB Delete(sync=false)", Role::kAlternative, n, not_durable, "ops/s", true));
    if (config.wants("update")) {
      report.add(make_row(update_group(true), "RocksDB Put(sync=true)", Role::kAlternative, n,
                          update(*db, config, ids, order, true), "ops/s", true));
    }
    report.add(make_row(delete_group(true), "RocksDB Delete(sync=true)", Role::kAlternative, n,
                        remove(*db, config, ids, order, not_durable.ops, true), "ops/s", true));
  } else if (config.wants("update")) {
    report.add(make_row(update_group(true), "RocksDB Put(sync=true)", Role::kAlternative, n,
                        update(*db, config, ids, order, true), "ops/s", true));
  }
  close_db(db);
  remove_dir(dir);
}

}  // namespace

void run_rocksdb(const Config& config, Report& report, Phase phase) {
  if (phase == Phase::kLoaded) {
    if (config.wants_loaded()) loaded_rows(config, report);
    return;
  }
  if (config.wants("insert")) insert_rows(config, report);
  if (config.wants("batch")) batch_rows(config, report);
}

}  // namespace compare
