// Fuzzes the WAL reader (wal/reader.h read_log) with arbitrary segment files:
// the input is the whole file, header and records, served through a
// read-only in-memory Env (the reader's own file seam). Properties, checked
// against an independent walk of the record framing:
//  - every batch the reader delivers is the next record of the file, its
//    checksum is valid and its payload decodes to exactly that batch;
//  - LSNs start at the segment's first LSN and follow on without gaps;
//  - the summary counts what was delivered, and a torn tail starts where the
//    delivered records end and runs to the end of the file; without one the
//    records cover the whole file;
//  - a refusal is Corruption naming the segment file.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "wal/env.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace {

using snapstore::Result;
using snapstore::Status;
namespace wal = snapstore::wal;

constexpr std::string_view kDir = "/fuzz/wal";

// A directory holding one segment file in memory; every call that would
// change something fails, since the reader must never write.
class OneSegmentEnv final : public wal::Env {
 public:
  OneSegmentEnv(std::string name, std::string_view content)
      : name_(std::move(name)), path_(wal::join_path(kDir, name_)), content_(content) {}

  const std::string& path() const { return path_; }

  Result<std::unique_ptr<wal::WritableFile>> create_file(const std::string& path) override { return refuse(path); }
  Result<std::unique_ptr<wal::WritableFile>> reopen_file(const std::string& path) override { return refuse(path); }
  Result<std::string> read_file(const std::string& path) override {
    if (path != path_) return Status::io_error(path + ": no such file");
    return std::string(content_);
  }
  Result<std::uint64_t> file_size(const std::string& path) override {
    if (path != path_) return Status::io_error(path + ": no such file");
    return static_cast<std::uint64_t>(content_.size());
  }
  bool exists(const std::string& path) override { return path == path_ || path == kDir; }
  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    if (dir != kDir) return Status::io_error(dir + ": no such directory");
    return std::vector<std::string>{name_};
  }
  Status create_dir(const std::string& dir) override { return refuse(dir).status(); }
  Status sync_dir(const std::string& dir) override { return refuse(dir).status(); }
  Status rename(const std::string& from, const std::string& /*to*/) override { return refuse(from).status(); }
  Status remove(const std::string& path) override { return refuse(path).status(); }
  Status truncate(const std::string& path, std::uint64_t /*size*/) override { return refuse(path).status(); }
  Result<std::unique_ptr<wal::FileLock>> lock_file(const std::string& path) override {
    return Status::io_error(path + ": the fuzzing Env is read-only");
  }

 private:
  static Result<std::unique_ptr<wal::WritableFile>> refuse(const std::string& path) {
    FUZZ_CHECK(false, "the reader tried to change " + path);
    return Status::io_error(path + ": the fuzzing Env is read-only");
  }

  std::string name_;
  std::string path_;
  std::string_view content_;
};

std::uint64_t get_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The independent walk: the record framing of wal/format.h, read plainly.
struct Framing {
  std::string_view file;
  std::size_t offset = wal::kSegmentHeaderSize;

  // Whether a record with a valid checksum starts at `offset`; sets its parts.
  bool record(std::uint8_t& type, std::string_view& payload) const {
    if (offset + wal::kRecordHeaderSize > file.size()) return false;
    const char* h = file.data() + offset;
    const std::uint64_t length = get_le(h + wal::kRecordChecksumSize, 4);
    if (length > file.size() - offset - wal::kRecordHeaderSize) return false;
    if (XXH64(h + wal::kRecordChecksumSize, wal::kRecordHeaderSize - wal::kRecordChecksumSize + length, 0) !=
        get_le(h, 8)) {
      return false;
    }
    type = static_cast<std::uint8_t>(h[wal::kRecordHeaderSize - 1]);
    payload = file.substr(offset + wal::kRecordHeaderSize, length);
    return true;
  }

  // Steps over valid records that readers may ignore.
  void skip_ignorable() {
    std::uint8_t type = 0;
    std::string_view payload;
    while (record(type, payload) && (type & wal::kIgnorableTypeBit) != 0) {
      offset += wal::kRecordHeaderSize + payload.size();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  // Named after the first LSN its header claims, so that a valid header is
  // read as valid (the reader checks that the two agree).
  const std::uint64_t named_lsn = size >= 24 ? get_le(file.data() + 16, 8) : 1;
  OneSegmentEnv env(wal::SegmentName::for_lsn(named_lsn), file);

  Framing framing{file};
  std::vector<wal::Batch> delivered;
  std::size_t decoded_bytes = 0;
  auto summary = wal::read_log(&env, std::string(kDir), 0, [&](const wal::Batch& batch) {
    framing.skip_ignorable();
    std::uint8_t type = 0;
    std::string_view payload;
    FUZZ_CHECK(framing.record(type, payload), "a delivered batch is not a checksum-valid record at offset " +
                                                  std::to_string(framing.offset));
    FUZZ_CHECK(type == static_cast<std::uint8_t>(wal::RecordType::kBatch), "delivered a record of another type");
    auto decoded = wal::decode_payload(payload);
    FUZZ_CHECK(decoded.is_ok() && *decoded == batch, "the delivered batch is not the record's payload");
    const std::uint64_t expected = delivered.empty() ? named_lsn : delivered.back().last_lsn() + 1;
    FUZZ_CHECK(batch.first_lsn == expected,
               "LSN " + std::to_string(batch.first_lsn) + " delivered where " + std::to_string(expected) + " is next");
    for (const auto& op : batch.ops) decoded_bytes += op.key.size() + op.document.size();
    framing.offset += wal::kRecordHeaderSize + payload.size();
    delivered.push_back(batch);
    return Status::ok();
  });

  FUZZ_CHECK(decoded_bytes <= size, "decoded more bytes than the file holds");
  if (!summary.is_ok()) {
    FUZZ_CHECK(summary.code() == snapstore::StatusCode::kCorruption, summary.status().message());
    FUZZ_CHECK(summary.status().detail().find(env.path()) != std::string::npos,
               "a refusal does not name the file: " + summary.status().message());
    return 0;
  }
  FUZZ_CHECK(summary->records == delivered.size(), "the summary miscounts the records");
  if (!delivered.empty()) {
    FUZZ_CHECK(summary->first_lsn == delivered.front().first_lsn, "the summary's first LSN is wrong");
    FUZZ_CHECK(summary->last_lsn == delivered.back().last_lsn(), "the summary's last LSN is wrong");
  }
  framing.skip_ignorable();
  if (summary->torn_tail) {
    const wal::TornTail& torn = *summary->torn_tail;
    FUZZ_CHECK(torn.path == env.path(), "the torn tail names another file");
    FUZZ_CHECK(torn.offset + torn.bytes == size, "the torn tail does not run to the end of the file");
    if (torn.offset != 0) {
      FUZZ_CHECK(torn.offset == framing.offset, "the torn tail starts at " + std::to_string(torn.offset) +
                                                    ", the valid records end at " + std::to_string(framing.offset));
    } else {
      FUZZ_CHECK(delivered.empty(), "records delivered from a segment whose header is torn");
    }
  } else {
    FUZZ_CHECK(framing.offset == size, "no torn tail, but the records end at " + std::to_string(framing.offset) +
                                           " of " + std::to_string(size));
  }
  return 0;
}
