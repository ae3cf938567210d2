// Fuzzes the WAL reader (wal/reader.h read_log) with arbitrary segment files.
// The input is a whole segment file, header and records; if a second segment
// magic ("SNAPWAL\n") follows the first header, the input is two segment
// files cut there. Files are named after the first LSN their headers claim
// and served by a read-only in-memory Env (the reader's own file seam). The
// log is read twice: with floor_lsn 0, and with the floor just below the
// second segment, where a gap or damage between segments is tolerated; and
// all of that again with every checksum recomputed, to get past them.
//
// Properties, checked against an independent walk of the record framing:
//  - every batch the reader delivers is the next checksum-valid record of
//    the current file (it moves to the next file only where no valid record
//    starts) and decodes to exactly that batch;
//  - each file's first batch has the file's LSN, later ones follow on, and a
//    gap between files lies at or below the floor;
//  - the summary counts what was delivered; a torn tail lies in the last
//    file, starts where the delivered records end and runs to its end; a
//    last file without one is covered by its records;
//  - a refusal is Corruption naming a segment file; the reader never writes;
//  - a read that succeeds with floor 0 gives the same result with the floor.
#include <xxhash.h>

#include <algorithm>
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

const std::string kDir = "/fuzz/wal";

std::uint64_t get_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

struct SegmentFile {
  std::uint64_t lsn = 0;  // what the header claims (1 without a header)
  std::string path;
  std::string_view content;
};

// The input as one or two segment files, in the reader's order (by LSN).
std::vector<SegmentFile> split_input(std::string_view input) {
  std::vector<std::string_view> parts{input};
  const std::string_view magic(wal::kSegmentMagic.data(), wal::kSegmentMagic.size());
  if (input.size() > wal::kSegmentHeaderSize) {
    const std::size_t second = input.find(magic, wal::kSegmentHeaderSize);
    if (second != std::string_view::npos) parts = {input.substr(0, second), input.substr(second)};
  }
  std::vector<SegmentFile> files;
  for (std::string_view part : parts) {
    SegmentFile file;
    file.lsn = part.size() >= 24 ? get_le(part.data() + 16, 8) : 1;
    file.path = wal::join_path(kDir, wal::SegmentName::for_lsn(file.lsn));
    file.content = part;
    files.push_back(file);
  }
  if (files.size() == 2 && files[0].lsn == files[1].lsn) return {SegmentFile{files[0].lsn, files[0].path, input}};
  std::sort(files.begin(), files.end(), [](const SegmentFile& a, const SegmentFile& b) { return a.lsn < b.lsn; });
  return files;
}

// A directory of segment files in memory; every call that would change
// something fails the run, since the reader must never write.
class MemorySegmentsEnv final : public wal::Env {
 public:
  explicit MemorySegmentsEnv(const std::vector<SegmentFile>& files) : files_(files) {}

  Result<std::unique_ptr<wal::WritableFile>> create_file(const std::string& path) override { return refuse(path); }
  Result<std::unique_ptr<wal::WritableFile>> reopen_file(const std::string& path) override { return refuse(path); }
  Result<std::string> read_file(const std::string& path) override {
    const SegmentFile* file = find(path);
    if (file == nullptr) return Status::io_error(path + ": no such file");
    return std::string(file->content);
  }
  Result<std::uint64_t> file_size(const std::string& path) override {
    const SegmentFile* file = find(path);
    if (file == nullptr) return Status::io_error(path + ": no such file");
    return static_cast<std::uint64_t>(file->content.size());
  }
  bool exists(const std::string& path) override { return path == kDir || find(path) != nullptr; }
  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    if (dir != kDir) return Status::io_error(dir + ": no such directory");
    std::vector<std::string> names;
    for (const SegmentFile& file : files_) names.push_back(file.path.substr(kDir.size() + 1));
    return names;
  }
  Status create_dir(const std::string& dir) override { return refuse(dir).status(); }
  Status sync_dir(const std::string& dir) override { return refuse(dir).status(); }
  Status rename(const std::string& from, const std::string& /*to*/) override { return refuse(from).status(); }
  Status remove(const std::string& path) override { return refuse(path).status(); }
  Status truncate(const std::string& path, std::uint64_t /*size*/) override { return refuse(path).status(); }
  Result<std::unique_ptr<wal::FileLock>> lock_file(const std::string& path,
                                                   const wal::LockOptions& /*options*/) override {
    return refuse(path).status();
  }

 private:
  const SegmentFile* find(const std::string& path) const {
    for (const SegmentFile& file : files_) {
      if (file.path == path) return &file;
    }
    return nullptr;
  }
  static Result<std::unique_ptr<wal::WritableFile>> refuse(const std::string& path) {
    FUZZ_CHECK(false, "the reader tried to change " + path);
    return Status::io_error(path + ": the fuzzing Env is read-only");
  }

  const std::vector<SegmentFile>& files_;
};

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

struct ReadResult {
  Result<wal::ReadSummary> summary = Status::corruption("not read");
  std::vector<wal::Batch> delivered;
};

ReadResult read_and_check(const std::vector<SegmentFile>& files, std::uint64_t floor_lsn) {
  MemorySegmentsEnv env(files);
  ReadResult result;
  std::size_t current = 0;
  Framing framing{files[0].content};
  std::size_t decoded_bytes = 0, input_bytes = 0;
  for (const SegmentFile& file : files) input_bytes += file.content.size();

  std::size_t delivered_from_current = 0;
  result.summary = wal::read_log(&env, kDir, floor_lsn, [&](const wal::Batch& batch) {
    framing.skip_ignorable();
    std::uint8_t type = 0;
    std::string_view payload;
    if (!framing.record(type, payload)) {
      // The reader moves on only where no valid record starts.
      FUZZ_CHECK(current + 1 < files.size(), "a delivered batch is not a checksum-valid record at offset " +
                                                 std::to_string(framing.offset) + " of " + files[current].path);
      framing = Framing{files[++current].content};
      delivered_from_current = 0;
      framing.skip_ignorable();
      FUZZ_CHECK(framing.record(type, payload), "a delivered batch is not a checksum-valid record at offset " +
                                                    std::to_string(framing.offset) + " of " + files[current].path);
    }
    FUZZ_CHECK(type == static_cast<std::uint8_t>(wal::RecordType::kBatch), "delivered a record of another type");
    auto decoded = wal::decode_payload(payload);
    FUZZ_CHECK(decoded.is_ok() && *decoded == batch, "the delivered batch is not the record's payload");
    if (delivered_from_current == 0) {
      FUZZ_CHECK(batch.first_lsn == files[current].lsn, "a file's first batch is not at the file's LSN");
      if (!result.delivered.empty() && batch.first_lsn != result.delivered.back().last_lsn() + 1) {
        FUZZ_CHECK(batch.first_lsn <= floor_lsn + 1, "an LSN gap above the floor between segments");
      }
    } else {
      FUZZ_CHECK(batch.first_lsn == result.delivered.back().last_lsn() + 1,
                 "LSN " + std::to_string(batch.first_lsn) + " does not follow on");
    }
    for (const auto& op : batch.ops) decoded_bytes += op.key.size() + op.document.size();
    framing.offset += wal::kRecordHeaderSize + payload.size();
    ++delivered_from_current;
    result.delivered.push_back(batch);
    return Status::ok();
  });

  FUZZ_CHECK(decoded_bytes <= input_bytes, "decoded more bytes than the files hold");
  const auto& summary = result.summary;
  if (!summary.is_ok()) {
    FUZZ_CHECK(summary.code() == snapstore::StatusCode::kCorruption, summary.status().message());
    const bool names_a_file = std::any_of(files.begin(), files.end(), [&](const SegmentFile& file) {
      return summary.status().detail().find(file.path) != std::string::npos;
    });
    FUZZ_CHECK(names_a_file, "a refusal does not name the file: " + summary.status().message());
    return result;
  }
  FUZZ_CHECK(summary->records == result.delivered.size(), "the summary miscounts the records");
  if (!result.delivered.empty()) {
    FUZZ_CHECK(summary->first_lsn == result.delivered.front().first_lsn, "the summary's first LSN is wrong");
    FUZZ_CHECK(summary->last_lsn == result.delivered.back().last_lsn(), "the summary's last LSN is wrong");
  }
  // Where the valid records of the last file end.
  const SegmentFile& last = files.back();
  const bool delivered_from_last = current + 1 == files.size() && delivered_from_current > 0;
  Framing tail = delivered_from_last ? framing : Framing{last.content};
  tail.skip_ignorable();
  if (summary->torn_tail) {
    const wal::TornTail& torn = *summary->torn_tail;
    FUZZ_CHECK(torn.path == last.path, "a torn tail outside the last segment: " + torn.path);
    FUZZ_CHECK(torn.offset + torn.bytes == last.content.size(), "the torn tail does not run to the end of the file");
    if (torn.offset == 0) {
      FUZZ_CHECK(!delivered_from_last, "records delivered from a segment whose header is torn");
    } else {
      FUZZ_CHECK(torn.offset == tail.offset, "the torn tail starts at " + std::to_string(torn.offset) +
                                                 ", the valid records end at " + std::to_string(tail.offset));
    }
  } else {
    FUZZ_CHECK(tail.offset == last.content.size(), "no torn tail, but the records of the last file end at " +
                                                       std::to_string(tail.offset) + " of " +
                                                       std::to_string(last.content.size()));
  }
  return result;
}

// The same bytes with the header checksum and every record checksum
// recomputed (records followed by their lengths from the header on).
std::string with_fixed_checksums(std::string_view content) {
  std::string fixed(content);
  const auto put_u64 = [&fixed](std::size_t at, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) fixed[at + static_cast<std::size_t>(i)] = static_cast<char>(v >> (8 * i));
  };
  if (fixed.size() < wal::kSegmentHeaderSize) return fixed;
  put_u64(wal::kSegmentHeaderChecksummed, XXH64(fixed.data(), wal::kSegmentHeaderChecksummed, 0));
  std::size_t offset = wal::kSegmentHeaderSize;
  while (offset + wal::kRecordHeaderSize <= fixed.size()) {
    const std::uint64_t length = get_le(fixed.data() + offset + wal::kRecordChecksumSize, 4);
    if (length > fixed.size() - offset - wal::kRecordHeaderSize) break;
    put_u64(offset, XXH64(fixed.data() + offset + wal::kRecordChecksumSize,
                          wal::kRecordHeaderSize - wal::kRecordChecksumSize + length, 0));
    offset += wal::kRecordHeaderSize + length;
  }
  return fixed;
}

// Reads with floor 0 and, for two files, with the floor just below the second.
void check(const std::vector<SegmentFile>& files) {
  const ReadResult strict = read_and_check(files, 0);
  if (files.size() < 2 || files.back().lsn == 0) return;
  const ReadResult tolerant = read_and_check(files, files.back().lsn - 1);
  if (strict.summary.is_ok()) {
    FUZZ_CHECK(tolerant.summary.is_ok(), "a floor made a readable log unreadable: " + tolerant.summary.status().message());
    FUZZ_CHECK(tolerant.delivered == strict.delivered, "a floor changed what a readable log delivers");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<SegmentFile> files = split_input(std::string_view(reinterpret_cast<const char*>(data), size));
  check(files);
  // A mutation almost never keeps a checksum valid, so the reader's checks
  // behind the checksums (header version and LSN, record types, payload
  // grammar, LSN continuity) are reached through the same files with their
  // checksums recomputed.
  std::vector<std::string> fixed_contents;
  fixed_contents.reserve(files.size());  // the views below must not move
  std::vector<SegmentFile> fixed = files;
  for (std::size_t i = 0; i < files.size(); ++i) {
    fixed_contents.push_back(with_fixed_checksums(files[i].content));
    fixed[i].content = fixed_contents[i];
  }
  check(fixed);
  return 0;
}
