#include "server/stream/face_tracker.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/stream/hungarian.h"

namespace affect::stream {
namespace {

// Cost of a pair the gates forbid: larger than any sum of allowed costs
// (each in [0, 1], at most max_live_tracks of them), so the assignment
// first maximises the number of allowed matches, then their total score.
constexpr double kForbiddenCost = 1e9;

float FaceSize(const analysis::Box& box) { return std::max(1.0f, std::sqrt(box.area())); }

}  // namespace

absl::Status ValidateFaceTrackerOptions(const FaceTrackerOptions& o) {
  auto bad = [](absl::string_view field, auto value, absl::string_view range) {
    return absl::InvalidArgumentError(
        absl::StrCat("tracker.", field, ": ", value, " is outside ", range));
  };
  if (!(o.iou_weight >= 0.0f && o.iou_weight <= 1.0f))
    return bad("iou_weight", o.iou_weight, "[0, 1]");
  if (!(o.max_center_distance > 0.0f)) {
    return bad("max_center_distance", o.max_center_distance, "(0, inf)");
  }
  if (!(o.min_match_score > 0.0f && o.min_match_score <= 1.0f)) {
    return bad("min_match_score", o.min_match_score, "(0, 1]");
  }
  if (!(o.max_size_ratio >= 1.0f)) return bad("max_size_ratio", o.max_size_ratio, "[1, inf)");
  if (o.max_missed_frames < 0) return bad("max_missed_frames", o.max_missed_frames, "[0, inf)");
  if (o.max_missed_us <= 0) return bad("max_missed_us", o.max_missed_us, "(0, inf)");
  if (!(o.velocity_smoothing >= 0.0f && o.velocity_smoothing <= 1.0f)) {
    return bad("velocity_smoothing", o.velocity_smoothing, "[0, 1]");
  }
  if (o.max_prediction_us < 0) return bad("max_prediction_us", o.max_prediction_us, "[0, inf)");
  if (o.max_live_tracks < 1) return bad("max_live_tracks", o.max_live_tracks, "[1, inf)");
  if (o.first_id < 1 || o.first_id > kMaxFirstTrackId) {
    return bad("first_id", o.first_id, "[1, 2^32]");
  }
  return absl::OkStatus();
}

FaceTracker::FaceTracker(const FaceTrackerOptions& options)
    : options_(options), next_id_(options.first_id) {}

float FaceTracker::MatchScore(const analysis::Box& predicted, const analysis::Box& face,
                              const FaceTrackerOptions& options) {
  const float size_a = FaceSize(predicted);
  const float size_b = FaceSize(face);
  if (std::max(size_a, size_b) > options.max_size_ratio * std::min(size_a, size_b)) return -1.0f;
  const float dx = predicted.center_x() - face.center_x();
  const float dy = predicted.center_y() - face.center_y();
  const float distance = std::sqrt(dx * dx + dy * dy) / (0.5f * (size_a + size_b));
  const float proximity = std::max(0.0f, 1.0f - distance / options.max_center_distance);
  return options.iou_weight * analysis::IoU(predicted, face) +
         (1.0f - options.iou_weight) * proximity;
}

analysis::Box FaceTracker::Predict(const LiveTrack& track, int64_t timestamp_us) const {
  const int64_t dt = std::min(timestamp_us - track.last_seen_us, options_.max_prediction_us);
  analysis::Box box = track.box;
  if (dt <= 0) return box;
  box.x += track.velocity_x * static_cast<float>(dt);
  box.y += track.velocity_y * static_cast<float>(dt);
  return box;
}

FaceTracker::Update FaceTracker::Track(int64_t timestamp_us,
                                       absl::Span<const analysis::Box> boxes) {
  if (has_timestamp_ && timestamp_us < last_timestamp_us_) timestamp_us = last_timestamp_us_;
  last_timestamp_us_ = timestamp_us;
  has_timestamp_ = true;

  Update out;
  out.track_ids.assign(boxes.size(), 0);

  // Tracks unseen for too long end before matching: a face after a long gap
  // is a new track, however close to the old box.
  auto stale = [&](const LiveTrack& t) {
    return timestamp_us - t.last_seen_us > options_.max_missed_us;
  };
  for (const LiveTrack& t : tracks_) {
    if (stale(t)) out.ended.push_back(t.id);
  }
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(), stale), tracks_.end());

  const int num_tracks = static_cast<int>(tracks_.size());
  const int num_faces = static_cast<int>(boxes.size());
  std::vector<bool> track_matched(tracks_.size(), false);
  if (num_tracks > 0 && num_faces > 0) {
    std::vector<double> costs(static_cast<size_t>(num_tracks) * static_cast<size_t>(num_faces));
    for (int t = 0; t < num_tracks; ++t) {
      const analysis::Box predicted = Predict(tracks_[static_cast<size_t>(t)], timestamp_us);
      for (int f = 0; f < num_faces; ++f) {
        const float score = MatchScore(predicted, boxes[static_cast<size_t>(f)], options_);
        costs[static_cast<size_t>(t) * static_cast<size_t>(num_faces) + static_cast<size_t>(f)] =
            score >= options_.min_match_score ? 1.0 - static_cast<double>(score) : kForbiddenCost;
      }
    }
    const std::vector<int> assignment = SolveAssignment(costs, num_tracks, num_faces);
    for (int t = 0; t < num_tracks; ++t) {
      const int f = assignment[static_cast<size_t>(t)];
      if (f < 0) continue;
      const size_t index =
          static_cast<size_t>(t) * static_cast<size_t>(num_faces) + static_cast<size_t>(f);
      if (costs[index] >= kForbiddenCost) continue;
      LiveTrack& track = tracks_[static_cast<size_t>(t)];
      const analysis::Box& box = boxes[static_cast<size_t>(f)];
      const int64_t dt = timestamp_us - track.last_seen_us;
      if (dt > 0 && options_.velocity_smoothing > 0.0f) {
        const float a = options_.velocity_smoothing;
        const float vx = (box.center_x() - track.box.center_x()) / static_cast<float>(dt);
        const float vy = (box.center_y() - track.box.center_y()) / static_cast<float>(dt);
        track.velocity_x = a * vx + (1.0f - a) * track.velocity_x;
        track.velocity_y = a * vy + (1.0f - a) * track.velocity_y;
      }
      track.box = box;
      track.last_seen_us = timestamp_us;
      track.missed_frames = 0;
      track_matched[static_cast<size_t>(t)] = true;
      out.track_ids[static_cast<size_t>(f)] = track.id;
    }
  }

  // Unmatched tracks miss this frame; too many misses in a row end them.
  std::vector<LiveTrack> kept;
  kept.reserve(tracks_.size() + boxes.size());
  std::vector<bool> kept_matched;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    LiveTrack& track = tracks_[t];
    if (!track_matched[t] && ++track.missed_frames > options_.max_missed_frames) {
      out.ended.push_back(track.id);
      continue;
    }
    kept.push_back(track);
    kept_matched.push_back(track_matched[t]);
  }
  tracks_ = std::move(kept);

  // Faces nobody continued start new tracks, in input order.
  for (size_t f = 0; f < boxes.size(); ++f) {
    if (out.track_ids[f] != 0) continue;
    if (static_cast<int>(tracks_.size()) >= options_.max_live_tracks) {
      // Replace the track missed longest (then seen least recently, then
      // oldest); tracks seen in this frame are never replaced.
      int victim = -1;
      for (size_t t = 0; t < tracks_.size(); ++t) {
        if (kept_matched[t]) continue;
        if (victim < 0) {
          victim = static_cast<int>(t);
          continue;
        }
        const LiveTrack& a = tracks_[t];
        const LiveTrack& b = tracks_[static_cast<size_t>(victim)];
        if (a.missed_frames > b.missed_frames ||
            (a.missed_frames == b.missed_frames && a.last_seen_us < b.last_seen_us)) {
          victim = static_cast<int>(t);
        }
      }
      if (victim < 0) continue;  // all live tracks are in this frame: untracked
      out.ended.push_back(tracks_[static_cast<size_t>(victim)].id);
      tracks_.erase(tracks_.begin() + victim);
      kept_matched.erase(kept_matched.begin() + victim);
    }
    LiveTrack track;
    track.id = next_id_++;
    track.box = boxes[f];
    track.last_seen_us = timestamp_us;
    tracks_.push_back(track);
    kept_matched.push_back(true);
    out.track_ids[f] = track.id;
  }
  std::sort(out.ended.begin(), out.ended.end());
  return out;
}

}  // namespace affect::stream
