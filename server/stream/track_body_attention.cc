#include "server/stream/track_body_attention.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/analysis/body/body_result.h"
#include "server/analysis/body/posture_cues.h"
#include "server/analysis/proto_conversions.h"
#include "server/common/status_macros.h"

namespace affect::stream {
namespace {

// One entry per cue the rules can name.
constexpr size_t kMaxPostureNames = analysis::kPostureCueKindCount;

}  // namespace

absl::Status ValidateTrackBodyAttentionOptions(const TrackBodyAttentionOptions& o) {
  AFFECT_RETURN_IF_ERROR(ValidateAttentionOptions(o.attention));
  AFFECT_RETURN_IF_ERROR(ValidateMovementEnergyOptions(o.movement));
  AFFECT_RETURN_IF_ERROR(ValidateLeanTrackerOptions(o.lean));
  if (o.max_mouth_samples < 1) {
    return absl::InvalidArgumentError("max_mouth_samples: 0 is outside [1, inf)");
  }
  if (o.max_drowsiness_changes < 1) {
    return absl::InvalidArgumentError("max_drowsiness_changes: 0 is outside [1, inf)");
  }
  return absl::OkStatus();
}

std::optional<analysis::PersonPose> PoseFromPersonBody(const v1::PersonBody& body) {
  if (body.keypoints_size() != analysis::kBodyPartCount) return std::nullopt;
  analysis::PersonPose pose;
  for (int k = 0; k < analysis::kBodyPartCount; ++k) {
    const v1::BodyKeypoint& in = body.keypoints(k);
    analysis::BodyKeypoint& out = pose.keypoints[static_cast<size_t>(k)];
    out.x = in.position().x();
    out.y = in.position().y();
    out.score = in.score();
  }
  pose.box = analysis::FromProto(body.box());
  pose.score = body.score();
  return pose;
}

v1::DrowsinessLevel ToProto(DrowsinessLevel level) {
  switch (level) {
    case DrowsinessLevel::kAlert:
      return v1::DROWSINESS_ALERT;
    case DrowsinessLevel::kTired:
      return v1::DROWSINESS_TIRED;
    case DrowsinessLevel::kDrowsy:
      return v1::DROWSINESS_DROWSY;
    case DrowsinessLevel::kUnknown:
      break;
  }
  return v1::DROWSINESS_UNKNOWN;
}

TrackBodyAttention::TrackBodyAttention(const TrackBodyAttentionOptions& options)
    : options_(options),
      attention_(options.attention),
      movement_(options.movement),
      lean_(options.lean) {}

void TrackBodyAttention::AddAttention(int64_t timestamp_us, const v1::FaceAttention& attention) {
  if (last_attention_us_.has_value() && timestamp_us <= *last_attention_us_) return;
  AttentionSample sample;
  sample.timestamp_us = timestamp_us;
  const bool left = attention.has_left_eye_openness();
  const bool right = attention.has_right_eye_openness();
  if (left && right) {
    sample.eye_openness = 0.5f * (attention.left_eye_openness() + attention.right_eye_openness());
  } else if (left) {
    sample.eye_openness = attention.left_eye_openness();
  } else if (right) {
    sample.eye_openness = attention.right_eye_openness();
  }
  if (attention.has_mouth_openness()) sample.mouth_openness = attention.mouth_openness();
  if (attention.has_head_pose()) {
    // HeadPose: positive = head up; the tracker: positive = chin down.
    sample.pitch_degrees = -attention.head_pose().pitch_degrees();
  }
  std::optional<DrowsinessChange> change;
  if (!attention_.Add(sample, &change).ok()) return;  // timestamps checked above
  last_attention_us_ = timestamp_us;
  attention_in_window_ = true;
  if (sample.mouth_openness.has_value() && std::isfinite(*sample.mouth_openness) &&
      mouth_.size() < options_.max_mouth_samples) {
    mouth_.push_back(MouthSample{timestamp_us, *sample.mouth_openness});
  }
  if (change.has_value() && changes_.size() < options_.max_drowsiness_changes) {
    v1::DrowsinessChange& out = changes_.emplace_back();
    out.set_timestamp_us(change->timestamp_us);
    out.set_from(ToProto(change->from));
    out.set_to(ToProto(change->to));
    out.set_evidence(change->evidence);
  }
}

void TrackBodyAttention::AddBody(int64_t timestamp_us, v1::PersonBody* body) {
  if (last_body_us_.has_value() && timestamp_us <= *last_body_us_) return;
  const std::optional<analysis::PersonPose> pose = PoseFromPersonBody(*body);
  if (!pose.has_value()) return;
  last_body_us_ = timestamp_us;
  body_in_window_ = true;
  if (!movement_.Add(timestamp_us, *pose).ok()) return;
  absl::StatusOr<std::optional<analysis::PostureCue>> lean = lean_.Observe(timestamp_us, *pose);
  if (lean.ok() && lean->has_value() && (*lean)->present) {
    *body->add_cues() = analysis::ToProto(**lean);
    std::stable_sort(
        body->mutable_cues()->begin(), body->mutable_cues()->end(),
        [](const v1::PostureCue& a, const v1::PostureCue& b) { return a.score() > b.score(); });
  }
  for (const v1::PostureCue& cue : body->cues()) {
    auto it = posture_.find(cue.name());
    if (it == posture_.end()) {
      if (posture_.size() >= kMaxPostureNames) continue;  // an unknown name: keep bounded
      posture_.emplace(cue.name(), cue);
    } else if (cue.score() > it->second.score()) {
      it->second = cue;
    }
  }
}

MovementEnergy TrackBodyAttention::WindowMovement() const {
  if (!body_in_window_) return MovementEnergy{};
  return movement_.Energy();
}

const AttentionSummary* TrackBodyAttention::WindowAttention() const {
  return attention_in_window_ ? &attention_.summary() : nullptr;
}

void TrackBodyAttention::FillAggregate(v1::TrackAggregate* track) const {
  if (const AttentionSummary* summary = WindowAttention(); summary != nullptr) {
    v1::TrackAttention* out = track->mutable_attention();
    if (summary->perclos.has_value()) out->set_perclos(*summary->perclos);
    if (summary->blinks_per_minute.has_value()) {
      out->set_blinks_per_minute(*summary->blinks_per_minute);
    }
    out->set_blinks(static_cast<uint32_t>(summary->blinks));
    out->set_long_closures(static_cast<uint32_t>(summary->long_closures));
    out->set_yawns(static_cast<uint32_t>(summary->yawns));
    out->set_nods(static_cast<uint32_t>(summary->nods));
    out->set_level(ToProto(summary->level));
    for (const std::string& reason : summary->reasons) out->add_reasons(reason);
    out->set_evidence(summary->evidence);
    out->set_eyes_observed_seconds(summary->eyes_observed_seconds);
  }
  for (const v1::DrowsinessChange& change : changes_) *track->add_drowsiness_changes() = change;
  const MovementEnergy movement = WindowMovement();
  if (movement.energy.has_value()) {
    v1::MovementEnergy* out = track->mutable_movement_energy();
    out->set_energy(*movement.energy);
    out->set_level(movement.level);
    out->set_steps(static_cast<uint32_t>(movement.steps));
    out->set_measured_seconds(movement.measured_seconds);
  }
  std::vector<const v1::PostureCue*> cues;
  for (const auto& [name, cue] : posture_) cues.push_back(&cue);
  std::stable_sort(cues.begin(), cues.end(), [](const v1::PostureCue* a, const v1::PostureCue* b) {
    return a->score() > b->score();
  });
  for (const v1::PostureCue* cue : cues) *track->add_posture() = *cue;
}

void TrackBodyAttention::StartWindow() {
  attention_in_window_ = false;
  body_in_window_ = false;
  changes_.clear();
  posture_.clear();
  mouth_.clear();
}

}  // namespace affect::stream
