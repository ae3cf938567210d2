// tools_bench: `snapstore dump` and `snapstore restore` of N documents next
// to the raw RocksDB operations they are built on, in the same run and on the
// same bytes: a full scan of the docs column family (what dump reads), and
// SstFileWriter + IngestExternalFile of the same keys and values into a new
// database (what restore writes). Prints docs/s, MB/s (of document values)
// and the ratios the tools issue sets targets for (>= 0.5 each).
//
//   tools_bench [--docs=N] [--dir=PATH]     default 1,000,000 documents of ~200 B
//
// The tools run as the real program (a child process, as a user runs them),
// so their figures include process start and the dump file's I/O.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/documents.h"
#include "recovery/mirror_format.h"
#include "recovery/rocksdb_logger.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void run_tool(const std::vector<std::string>& args) {
  std::vector<std::string> storage = {SNAPSTORE_TOOL, "--quiet"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) bench::die("spawn the tool");
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) bench::die("snapstore " + args[0] + " failed");
}

void check(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) bench::die(std::string(what) + ": " + s.ToString());
}

std::vector<rocksdb::ColumnFamilyDescriptor> families() {
  return {{rocksdb::kDefaultColumnFamilyName, {}},
          {std::string(snapstore::recovery::kDocsFamily), {}},
          {std::string(snapstore::recovery::kMetaFamily), {}}};
}

struct Rate {
  double seconds = 0;
  std::uint64_t docs = 0;
  std::uint64_t bytes = 0;
  double docs_per_second() const { return static_cast<double>(docs) / seconds; }
  double mb_per_second() const { return static_cast<double>(bytes) / 1e6 / seconds; }
};

void print(const char* name, const Rate& r) {
  std::printf("%-34s %8.3f s  %10.0f docs/s  %8.1f MB/s\n", name, r.seconds, r.docs_per_second(), r.mb_per_second());
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t docs = 1'000'000;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--docs=", 7) == 0) {
      docs = std::strtoull(argv[i] + 7, nullptr, 10);
    } else if (std::strncmp(argv[i], "--dir=", 6) == 0) {
      dir = argv[i] + 6;
    } else {
      std::fprintf(stderr, "usage: tools_bench [--docs=N] [--dir=PATH]\n");
      return 2;
    }
  }
  if (dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "tools-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) bench::die("mkdtemp");
    dir = pattern;
  }
  const std::string store_dir = dir + "/store";
  const std::string dump_file = dir + "/store.dump";
  const std::string restored_dir = dir + "/restored";
  const std::string raw_dir = dir + "/raw-bulk";

  // The store: N documents through the ordinary write path, then closed.
  {
    snapstore::Options options;
    options.durability = snapstore::Durability::kNone;
    snapstore::Store store = bench::must(snapstore::Store::open(store_dir, options), "open");
    for (std::uint64_t i = 0; i < docs; ++i) bench::must(store.insert(bench::document_from_pool(i)), "insert");
    store.close();
  }

  // Raw scan of the docs family, keeping the bytes for the raw bulk load.
  std::vector<std::pair<std::string, std::string>> rows;
  rows.reserve(docs);
  Rate scan;
  {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::DBOptions db_options;
    // A store's db/: the silent logger, so that the bench writes nothing there.
    snapstore::recovery::use_store_info_log(db_options, store_dir + "/db", /*read_only=*/true);
    check(rocksdb::DB::OpenForReadOnly(db_options, store_dir + "/db", families(), &handles, &db), "open");
    rocksdb::ReadOptions read_options;
    read_options.verify_checksums = true;
    read_options.fill_cache = false;
    read_options.readahead_size = 2 << 20;
    const auto start = Clock::now();
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, handles[1]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      scan.bytes += it->value().size();
      ++scan.docs;
    }
    check(it->status(), "scan");
    scan.seconds = seconds_since(start);
    for (it->SeekToFirst(); it->Valid(); it->Next()) rows.emplace_back(it->key().ToString(), it->value().ToString());
    it.reset();
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  if (scan.docs != docs) bench::die("the store holds " + std::to_string(scan.docs) + " documents");

  // Raw bulk load of the same rows: one table file, ingested, synced.
  Rate bulk{0, scan.docs, scan.bytes};
  {
    const auto start = Clock::now();
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.atomic_flush = true;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    check(rocksdb::DB::Open(options, raw_dir, families(), &handles, &db), "create");
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), rocksdb::Options(), handles[1]);
    const std::string file = raw_dir + "/bulk.sst";
    check(writer.Open(file), "sst open");
    for (const auto& [key, value] : rows) check(writer.Put(key, value), "sst put");
    check(writer.Finish(), "sst finish");
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    ingest.write_global_seqno = false;
    check(db->IngestExternalFile(handles[1], {file}, ingest), "ingest");
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    check(db->Close(), "close");
    delete db;
    bulk.seconds = seconds_since(start);
  }
  rows.clear();
  rows.shrink_to_fit();

  Rate dump{0, scan.docs, scan.bytes};
  {
    const auto start = Clock::now();
    run_tool({"dump", store_dir, "-o", dump_file});
    dump.seconds = seconds_since(start);
  }
  Rate restore{0, scan.docs, scan.bytes};
  {
    const auto start = Clock::now();
    run_tool({"restore", dump_file, restored_dir});
    restore.seconds = seconds_since(start);
  }

  std::printf("%llu documents, %.1f MB of document values (%.0f B each), dump file %.1f MB\n",
              static_cast<unsigned long long>(scan.docs), static_cast<double>(scan.bytes) / 1e6,
              static_cast<double>(scan.bytes) / static_cast<double>(scan.docs),
              static_cast<double>(fs::file_size(dump_file)) / 1e6);
  print("RocksDB full scan (raw)", scan);
  print("snapstore dump", dump);
  print("RocksDB SstFileWriter+ingest (raw)", bulk);
  print("snapstore restore", restore);
  std::printf("dump / raw scan:        %.2f (target >= 0.5)\n", dump.docs_per_second() / scan.docs_per_second());
  std::printf("restore / raw bulk load: %.2f (target >= 0.5)\n", restore.docs_per_second() / bulk.docs_per_second());
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return 0;
}
