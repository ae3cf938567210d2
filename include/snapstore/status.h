// Errors as values: every fallible snapstore call returns a Status or a
// Result<T>. A Status is a code plus a message that names the document, index,
// field, file or offset concerned. Codes are stable numbers (never reused) so
// they can be logged, compared and carried across processes.
//
// Thread safety: Status and Result are plain values; share them like strings.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace snapstore {

// The first eight are go-store's errors (SPEC ERR-01); the rest are what a
// durable store needs on top. Numbers are explicit and never reused.
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kDocumentNotFound = 1,
  kDocumentDeleted = 2,
  kIndexExists = 3,
  kEmptyIndex = 4,
  kIndexNotFound = 5,
  kStreamClosed = 6,
  kStoreClosed = 7,
  kInvalidDocument = 8,
  kCorruption = 9,
  kIOError = 10,
  kBusy = 11,
  kInvalidArgument = 12,
  // A conditional write's precondition did not hold (Status::conflict()
  // says which document and its current version).
  kVersionConflict = 13,
  // A write would give two documents one key in a unique index
  // (Status::conflict() names the index, the key and the holder).
  kUniqueViolation = 14,
  // A point-in-time snapshot was used past Options::max_snapshot_age, or
  // after it was released.
  kSnapshotExpired = 15,
  // A change feed (or consumer) asked for revisions whose WAL segments a
  // checkpoint already removed; the detail names the oldest available one.
  kRevisionRetired = 16,
};

// What a VersionConflict or UniqueViolation is about, for a program that
// acts on it (retries with the current version, reports the holder).
struct Conflict {
  // VersionConflict: the document whose precondition failed.
  // UniqueViolation: the document that already holds the key.
  std::string document_id;
  // VersionConflict: the document's version now; 0 when it does not exist
  // (never inserted, or removed).
  std::uint64_t current_version = 0;
  // UniqueViolation: the index and the key, the key as JSON.
  std::string index;
  std::string key;
};

// go-store's message for a code ("document not found", ...); "ok" for kOk.
std::string_view status_code_message(StatusCode code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;  // ok

  static Status ok() noexcept { return Status(); }
  static Status document_not_found(std::string_view detail = {}) { return {StatusCode::kDocumentNotFound, detail}; }
  static Status document_deleted(std::string_view detail = {}) { return {StatusCode::kDocumentDeleted, detail}; }
  static Status index_exists(std::string_view detail = {}) { return {StatusCode::kIndexExists, detail}; }
  static Status empty_index(std::string_view detail = {}) { return {StatusCode::kEmptyIndex, detail}; }
  static Status index_not_found(std::string_view detail = {}) { return {StatusCode::kIndexNotFound, detail}; }
  static Status stream_closed(std::string_view detail = {}) { return {StatusCode::kStreamClosed, detail}; }
  static Status store_closed(std::string_view detail = {}) { return {StatusCode::kStoreClosed, detail}; }
  static Status invalid_document(std::string_view detail = {}) { return {StatusCode::kInvalidDocument, detail}; }
  static Status corruption(std::string_view detail = {}) { return {StatusCode::kCorruption, detail}; }
  static Status io_error(std::string_view detail = {}) { return {StatusCode::kIOError, detail}; }
  static Status busy(std::string_view detail = {}) { return {StatusCode::kBusy, detail}; }
  static Status invalid_argument(std::string_view detail = {}) { return {StatusCode::kInvalidArgument, detail}; }
  static Status snapshot_expired(std::string_view detail = {}) { return {StatusCode::kSnapshotExpired, detail}; }
  static Status revision_retired(std::string_view detail = {}) { return {StatusCode::kRevisionRetired, detail}; }
  static Status version_conflict(std::string_view detail, Conflict conflict) {
    return with_conflict(StatusCode::kVersionConflict, detail, std::move(conflict));
  }
  static Status unique_violation(std::string_view detail, Conflict conflict) {
    return with_conflict(StatusCode::kUniqueViolation, detail, std::move(conflict));
  }

  Status(StatusCode code, std::string_view detail) : code_(code), detail_(detail) {}

  bool is_ok() const noexcept { return code_ == StatusCode::kOk; }
  explicit operator bool() const noexcept { return is_ok(); }
  StatusCode code() const noexcept { return code_; }
  // The specific part: which document, index, file or offset.
  const std::string& detail() const noexcept { return detail_; }
  // The structured side of a VersionConflict or UniqueViolation; nullptr
  // for every other status.
  const Conflict* conflict() const noexcept { return conflict_.get(); }
  // "document not found: id \"x\"" — the code's message, then the detail.
  std::string message() const;

  // Two statuses are the same error when their codes match (go-store compares
  // sentinel identity, not text).
  friend bool operator==(const Status& a, const Status& b) noexcept { return a.code_ == b.code_; }
  friend bool operator==(const Status& a, StatusCode b) noexcept { return a.code_ == b; }

 private:
  static Status with_conflict(StatusCode code, std::string_view detail, Conflict conflict) {
    Status status(code, detail);
    status.conflict_ = std::make_shared<const Conflict>(std::move(conflict));
    return status;
  }

  StatusCode code_ = StatusCode::kOk;
  std::string detail_;
  // Shared, not inline: most statuses carry none, and Status stays small.
  std::shared_ptr<const Conflict> conflict_;
};

// Thrown by Result<T>::value() on an error and by Value's typed accessors on
// the wrong type: programming errors, not runtime conditions.
class BadAccess : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, Status>, "use Status directly");

 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<1>(state_).is_ok()) {
      state_.template emplace<1>(StatusCode::kInvalidArgument, "Result built from an ok Status without a value");
    }
  }

  bool is_ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return is_ok(); }

  // The error, or ok when a value is held.
  Status status() const { return is_ok() ? Status() : std::get<1>(state_); }
  StatusCode code() const noexcept { return is_ok() ? StatusCode::kOk : std::get<1>(state_).code(); }

  T& value() & { check(); return std::get<0>(state_); }
  const T& value() const& { check(); return std::get<0>(state_); }
  T&& value() && { check(); return std::get<0>(std::move(state_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  void check() const {
    if (!is_ok()) throw BadAccess("Result holds an error: " + std::get<1>(state_).message());
  }
  std::variant<T, Status> state_;
};

}  // namespace snapstore
