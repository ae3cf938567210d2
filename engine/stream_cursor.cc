// Stream and Cursor: one-pass snapshot streams and bidirectional cursors
// (see store.h for the contracts, store_core.h for the states).
#include <algorithm>

#include "engine/store_core.h"

namespace snapstore {
namespace engine {

StreamState::StreamState(Snapshots docs, bool store_was_closed)
    : docs_(std::move(docs)), report_store_closed_(store_was_closed) {}

template <typename Doc>
Result<Doc> StreamState::next() {
  SnapshotPtr snapshot;
  {
    std::lock_guard lock(mutex_);
    if (report_store_closed_) {
      report_store_closed_ = false;
      closed_ = true;
      return Status::store_closed();
    }
    if (closed_ || position_ >= docs_.size()) return Status::stream_closed();
    snapshot = std::move(docs_[position_++]);  // released as soon as it is delivered
  }
  // Decoding outside the lock lets several threads drain one stream.
  return StoreCore::deliver<Doc>(std::move(snapshot));
}

void StreamState::close() {
  Snapshots released;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    report_store_closed_ = false;
    released.swap(docs_);
  }
}

CursorState::CursorState(std::shared_ptr<const StoreCore> core, std::shared_ptr<const std::vector<std::string>> ids,
                         std::int64_t position, std::shared_ptr<const SnapshotState> at)
    : core_(std::move(core)), ids_(std::move(ids)), position_(position), at_(std::move(at)) {}

Result<SnapshotPtr> CursorState::read(std::string_view id) const {
  return at_ ? core_->read_listed_at(*at_, id) : core_->read_listed(id);
}

template <typename Doc>
Result<BasicCursorStep<Doc>> CursorState::next() {
  if (closed_) return Status::stream_closed();
  if (position_ >= size()) return BasicCursorStep<Doc>{};
  const std::string& id = (*ids_)[static_cast<std::size_t>(position_++)];
  auto snapshot = read(id);
  if (!snapshot) return snapshot.status();
  return BasicCursorStep<Doc>{StoreCore::deliver<Doc>(std::move(*snapshot)), position_ < size()};
}

template <typename Doc>
Result<BasicCursorStep<Doc>> CursorState::advance(std::int64_t steps) {
  if (closed_) return Status::stream_closed();
  const std::int64_t n = size();
  if (n == 0) return BasicCursorStep<Doc>{};
  // Saturating add: advance(INT64_MAX) must not overflow.
  std::int64_t target = position_;
  if (steps > 0) {
    target = steps > n ? n : position_ + steps;
  } else if (steps < 0) {
    target = steps < -n ? -1 : position_ + steps;
  }
  position_ = std::clamp<std::int64_t>(target, 0, n - 1);
  const std::string& id = (*ids_)[static_cast<std::size_t>(position_)];
  auto snapshot = read(id);
  if (!snapshot) return snapshot.status();
  const bool has_more = (steps > 0 && position_ < n - 1) || (steps < 0 && position_ > 0);
  return BasicCursorStep<Doc>{StoreCore::deliver<Doc>(std::move(*snapshot)), has_more};
}

Status CursorState::reset() {
  if (closed_) return Status::stream_closed();
  position_ = 0;
  return Status::ok();
}

std::unique_ptr<CursorState> CursorState::clone() const {
  auto copy = std::make_unique<CursorState>(core_, ids_, position_, at_);
  copy->closed_ = closed_;
  return copy;
}

std::size_t CursorState::count() const { return closed_ ? 0 : ids_->size(); }

void CursorState::close() {
  closed_ = true;
  ids_ = std::make_shared<const std::vector<std::string>>();
  core_.reset();
  at_.reset();
}

}  // namespace engine

Stream::Stream(std::shared_ptr<engine::StreamState> state) : state_(std::move(state)) {}
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() { close(); }

Result<DocumentResult> Stream::next() {
  if (!state_) return Status::stream_closed();
  return state_->next<DocumentResult>();
}

Result<DocumentView> Stream::next_view() {
  if (!state_) return Status::stream_closed();
  return state_->next<DocumentView>();
}

void Stream::close() {
  if (state_) state_->close();
}

Cursor::Cursor() = default;
Cursor::Cursor(std::unique_ptr<engine::CursorState> state) : state_(std::move(state)) {}
Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&&) noexcept = default;
Cursor::~Cursor() = default;

Result<CursorStep> Cursor::next() {
  if (!state_) return Status::stream_closed();
  return state_->next<DocumentResult>();
}

Result<CursorStep> Cursor::previous() { return advance(-1); }

Result<CursorStep> Cursor::advance(std::int64_t steps) {
  if (!state_) return Status::stream_closed();
  return state_->advance<DocumentResult>(steps);
}

Result<CursorViewStep> Cursor::next_view() {
  if (!state_) return Status::stream_closed();
  return state_->next<DocumentView>();
}

Result<CursorViewStep> Cursor::previous_view() { return advance_view(-1); }

Result<CursorViewStep> Cursor::advance_view(std::int64_t steps) {
  if (!state_) return Status::stream_closed();
  return state_->advance<DocumentView>(steps);
}

Status Cursor::reset() {
  if (!state_) return Status::stream_closed();
  return state_->reset();
}

Cursor Cursor::clone() const {
  if (!state_) return Cursor();
  return Cursor(state_->clone());
}

std::size_t Cursor::count() const { return state_ ? state_->count() : 0; }

void Cursor::close() {
  if (state_) state_->close();
}

}  // namespace snapstore
