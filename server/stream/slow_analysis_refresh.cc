#include "server/stream/slow_analysis_refresh.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace affect::stream {
namespace {

constexpr uint32_t kMaxIntervalMs = 600000;

absl::StatusOr<int64_t> IntervalUs(bool present, uint32_t ms, const char* field) {
  if (!present) return 0;
  if (ms > kMaxIntervalMs) {
    return absl::InvalidArgumentError(
        absl::StrCat("config.", field, ": ", ms, " is outside [0, ", kMaxIntervalMs, "]"));
  }
  return int64_t{ms} * 1000;
}

// Due when nothing was computed yet or a whole interval of stream time has
// passed since the last frame that computed it. Timestamps are range-checked
// by the session (0..kMaxStreamTimeUs), so the difference cannot overflow.
bool DueAndRecord(int64_t interval_us, int64_t timestamp_us, std::optional<int64_t>* last) {
  if (last->has_value() && timestamp_us - **last < interval_us) return false;
  *last = timestamp_us;
  return true;
}

}  // namespace

absl::StatusOr<SlowAnalysisIntervals> SlowAnalysisIntervalsFromConfig(
    const v1::StreamConfig& config) {
  SlowAnalysisIntervals intervals;
  auto scene =
      IntervalUs(config.has_scene_interval_ms(), config.scene_interval_ms(), "scene_interval_ms");
  if (!scene.ok()) return scene.status();
  auto attire = IntervalUs(config.has_attire_interval_ms(), config.attire_interval_ms(),
                           "attire_interval_ms");
  if (!attire.ok()) return attire.status();
  auto body =
      IntervalUs(config.has_body_interval_ms(), config.body_interval_ms(), "body_interval_ms");
  if (!body.ok()) return body.status();
  auto attention = IntervalUs(config.has_attention_interval_ms(), config.attention_interval_ms(),
                              "attention_interval_ms");
  if (!attention.ok()) return attention.status();
  intervals.scene_us = *scene;
  intervals.attire_us = *attire;
  intervals.body_us = *body;
  intervals.attention_us = *attention;
  return intervals;
}

SlowAnalysisRefresh::SlowAnalysisRefresh(SlowAnalysisIntervals intervals,
                                         SlowAnalysesPlanned planned)
    : intervals_(intervals), planned_(planned) {}

SlowAnalysesDue SlowAnalysisRefresh::DueAt(int64_t timestamp_us) {
  SlowAnalysesDue due;
  due.scene =
      planned_.scene && DueAndRecord(intervals_.scene_us, timestamp_us, &last_scene_start_us_);
  due.attire =
      planned_.attire && DueAndRecord(intervals_.attire_us, timestamp_us, &last_attire_start_us_);
  due.body = planned_.body && DueAndRecord(intervals_.body_us, timestamp_us, &last_body_start_us_);
  due.attention = planned_.attention &&
                  DueAndRecord(intervals_.attention_us, timestamp_us, &last_attention_start_us_);
  return due;
}

void SlowAnalysisRefresh::Complete(const SlowAnalysesDue& due, v1::FrameResult* result) {
  if (result->has_error()) return Abandon(due);
  v1::ImageAnalysis* analysis = result->mutable_analysis();
  if (due.scene) {
    scene_result_ = analysis->scene();
    scene_sequence_ = result->sequence();
  } else if (planned_.scene && scene_result_.has_value()) {
    *analysis->mutable_scene() = *scene_result_;
    result->set_scene_from_sequence(scene_sequence_);
  }
  if (due.attire) {
    attire_by_track_.clear();
    for (const v1::PersonAttire& person : analysis->attire()) {
      if (person.track_id() != 0) attire_by_track_[person.track_id()] = person;
    }
    attire_sequence_ = result->sequence();
  } else if (planned_.attire && attire_sequence_.has_value()) {
    analysis->clear_attire();
    for (const v1::Face& face : analysis->faces()) {
      auto known = attire_by_track_.find(face.track_id());
      if (face.track_id() == 0 || known == attire_by_track_.end()) continue;
      v1::PersonAttire* person = analysis->add_attire();
      *person = known->second;
      person->set_face_index(face.index());
    }
    result->set_attire_from_sequence(*attire_sequence_);
  }
  if (planned_.body) CompleteBodies(due.body, result);
  if (planned_.attention) CompleteAttention(due.attention, result);
}

void SlowAnalysisRefresh::CompleteBodies(bool computed, v1::FrameResult* result) {
  v1::ImageAnalysis* analysis = result->mutable_analysis();
  if (computed) {
    body_by_track_.clear();
    for (const v1::PersonBody& body : analysis->bodies()) {
      if (body.track_id() != 0) body_by_track_[body.track_id()] = body;
    }
    body_sequence_ = result->sequence();
    return;
  }
  if (!body_sequence_.has_value()) return;
  analysis->clear_bodies();
  for (const v1::Face& face : analysis->faces()) {
    auto known = body_by_track_.find(face.track_id());
    if (face.track_id() == 0 || known == body_by_track_.end()) continue;
    v1::PersonBody* body = analysis->add_bodies();
    *body = known->second;
    body->set_index(analysis->bodies_size() - 1);
    body->set_face_index(face.index());
  }
  result->set_body_from_sequence(*body_sequence_);
}

void SlowAnalysisRefresh::CompleteAttention(bool computed, v1::FrameResult* result) {
  v1::ImageAnalysis* analysis = result->mutable_analysis();
  if (computed) {
    attention_by_track_.clear();
    for (const v1::Face& face : analysis->faces()) {
      if (face.track_id() != 0 && face.has_attention()) {
        attention_by_track_[face.track_id()] = face.attention();
      }
    }
    attention_sequence_ = result->sequence();
    return;
  }
  if (!attention_sequence_.has_value()) return;
  for (v1::Face& face : *analysis->mutable_faces()) {
    face.clear_attention();
    auto known = attention_by_track_.find(face.track_id());
    if (face.track_id() != 0 && known != attention_by_track_.end()) {
      *face.mutable_attention() = known->second;
    }
  }
  result->set_attention_from_sequence(*attention_sequence_);
}

void SlowAnalysisRefresh::Abandon(const SlowAnalysesDue& due) {
  if (due.scene) last_scene_start_us_.reset();
  if (due.attire) last_attire_start_us_.reset();
  if (due.body) last_body_start_us_.reset();
  if (due.attention) last_attention_start_us_.reset();
}

}  // namespace affect::stream
