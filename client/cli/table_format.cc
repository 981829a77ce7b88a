#include "client/cli/table_format.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/cli/analysis_flags.h"
#include "client/cli/rpc_error.h"

namespace affect::client {
namespace {

// Objects listed in the scene section before "(+N more)".
constexpr int kMaxObjectsShown = 8;

// Left-aligned columns separated by two spaces, with an indent.
class TextTable {
 public:
  explicit TextTable(int indent) : indent_(indent) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }

  std::string Render() const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      if (widths.size() < row.size()) widths.resize(row.size(), 0);
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string text;
    for (const auto& row : rows_) {
      std::string line(indent_, ' ');
      for (size_t i = 0; i < row.size(); ++i) {
        absl::StrAppend(&line, row[i]);
        if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
      }
      absl::StrAppend(&text, absl::StripTrailingAsciiWhitespace(line), "\n");
    }
    return text;
  }

 private:
  int indent_;
  std::vector<std::vector<std::string>> rows_;
};

std::string EnumSuffix(const std::string& name, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(name, prefix));
}

std::string Signed(double value) { return absl::StrFormat("%+.2f", value); }
std::string Fixed2(double value) { return absl::StrFormat("%.2f", value); }
std::string Percent(double share) { return absl::StrFormat("%.0f%%", 100.0 * share); }

std::string Box(const v1::BoundingBox& box) {
  return absl::StrFormat("%.0f,%.0f %.0fx%.0f", box.x(), box.y(), box.width(), box.height());
}

std::string ModelRefText(const v1::ModelRef& model) {
  std::string text = absl::StrCat(model.name(), " v", model.version());
  if (model.members_size() > 0) {
    std::vector<std::string> members;
    for (const auto& member : model.members()) members.push_back(ModelRefText(member));
    absl::StrAppend(&text, " (", absl::StrJoin(members, " + "), ")");
  }
  return text;
}

std::string GarmentName(v1::GarmentPart part) {
  switch (part) {
    case v1::GARMENT_PART_UPPER_BODY:
      return "upper body";
    case v1::GARMENT_PART_LOWER_BODY:
      return "lower body";
    default:
      return "garment";
  }
}

std::string ColorsText(const v1::GarmentRegion& garment) {
  std::vector<std::string> colors;
  for (const auto& color : garment.colors()) {
    colors.push_back(absl::StrCat(color.name(), " ", Percent(color.share())));
  }
  return colors.empty() ? "-" : absl::StrJoin(colors, ", ");
}

std::string FacesSection(const v1::ImageAnalysis& analysis) {
  std::string text = absl::StrCat("Faces (", analysis.faces_size(), ")\n");
  if (analysis.faces_size() == 0) return text + "  none found\n";
  TextTable table(2);
  const bool tracked = std::any_of(analysis.faces().begin(), analysis.faces().end(),
                                   [](const v1::Face& face) { return face.track_id() != 0; });
  std::vector<std::string> header = {"#",     "box (x,y wxh)", "det",    "expression",
                                     "score", "valence",       "arousal"};
  if (tracked) header.insert(header.begin() + 1, "track");
  table.AddRow(header);
  for (const v1::Face& face : analysis.faces()) {
    std::vector<std::string> row = {absl::StrCat(face.index()), Box(face.box()),
                                    Fixed2(face.detection_score())};
    if (face.has_expression()) {
      const v1::ExpressionResult& expression = face.expression();
      row.insert(row.end(),
                 {ExpressionName(expression.dominant()), Fixed2(expression.dominant_score()),
                  Signed(expression.valence()), Signed(expression.arousal())});
    } else {
      row.insert(row.end(), {"-", "-", "-", "-"});
    }
    if (tracked) row.insert(row.begin() + 1, absl::StrCat(face.track_id()));
    table.AddRow(row);
  }
  return text + table.Render();
}

std::string AttireSection(const v1::ImageAnalysis& analysis) {
  std::string text = "Attire\n";
  TextTable table(2);
  table.AddRow({"face", "part", "colours", "visible"});
  for (const v1::PersonAttire& person : analysis.attire()) {
    bool first = true;
    for (const v1::GarmentRegion& garment : person.garments()) {
      table.AddRow({first ? absl::StrCat(person.face_index()) : "", GarmentName(garment.part()),
                    ColorsText(garment), Percent(garment.visible_share())});
      first = false;
    }
    if (person.accessories_size() > 0) {
      std::vector<std::string> items;
      for (const auto& accessory : person.accessories()) {
        items.push_back(absl::StrCat(accessory.label(), " ", Fixed2(accessory.score())));
      }
      table.AddRow({first ? absl::StrCat(person.face_index()) : "", "accessories",
                    absl::StrJoin(items, ", ")});
      first = false;
    }
    if (first) table.AddRow({absl::StrCat(person.face_index()), "-", "no garment visible"});
  }
  if (analysis.attire_size() == 0) return text + "  no person found\n";
  return text + table.Render();
}

// Keypoints at or above this score are printed; below it the model is
// guessing (proto BodyKeypoint.score).
constexpr float kShownKeypointScore = 0.3f;

std::string BodiesSection(const v1::ImageAnalysis& analysis) {
  std::string text = absl::StrCat("Bodies (", analysis.bodies_size(), ")\n");
  if (analysis.bodies_size() == 0) return text + "  none found\n";
  TextTable table(2);
  table.AddRow({"#", "box (x,y wxh)", "score", "face", "keypoints seen", "cues"});
  for (const v1::PersonBody& body : analysis.bodies()) {
    int seen = 0;
    for (const v1::BodyKeypoint& keypoint : body.keypoints()) {
      seen += keypoint.score() >= kShownKeypointScore ? 1 : 0;
    }
    std::vector<std::string> cues;
    for (const v1::PostureCue& cue : body.cues()) {
      cues.push_back(absl::StrCat(cue.name(), " ", Fixed2(cue.score())));
    }
    table.AddRow({absl::StrCat(body.index()), Box(body.box()), Fixed2(body.score()),
                  body.face_index() >= 0 ? absl::StrCat(body.face_index()) : "-",
                  absl::StrCat(seen, "/", body.keypoints_size()),
                  cues.empty() ? "-" : absl::StrJoin(cues, ", ")});
  }
  return text + table.Render();
}

std::string AttentionSection(const v1::ImageAnalysis& analysis) {
  std::string text = "Attention\n";
  TextTable table(2);
  table.AddRow({"face", "mesh", "yaw/pitch/roll", "eyes L/R", "mouth"});
  const auto optional_value = [](bool has, float value) { return has ? Fixed2(value) : "-"; };
  for (const v1::Face& face : analysis.faces()) {
    if (!face.has_attention()) continue;
    const v1::FaceAttention& attention = face.attention();
    std::string head = "-";
    if (attention.has_head_pose()) {
      head = absl::StrFormat("%.0f/%.0f/%.0f deg", attention.head_pose().yaw_degrees(),
                             attention.head_pose().pitch_degrees(),
                             attention.head_pose().roll_degrees());
    }
    table.AddRow(
        {absl::StrCat(face.index()), Fixed2(attention.mesh_confidence()), head,
         absl::StrCat(
             optional_value(attention.has_left_eye_openness(), attention.left_eye_openness()), "/",
             optional_value(attention.has_right_eye_openness(), attention.right_eye_openness())),
         optional_value(attention.has_mouth_openness(), attention.mouth_openness())});
  }
  return text + table.Render();
}

std::string SceneSection(const v1::Scene& scene) {
  std::string text = "Scene\n";
  TextTable table(2);
  std::vector<std::string> categories;
  for (const auto& category : scene.categories()) {
    std::string item = absl::StrCat(category.category(), " ", Fixed2(category.score()));
    if (category.evidence_size() > 0) {
      absl::StrAppend(&item, " (", absl::StrJoin(category.evidence(), ", "), ")");
    }
    categories.push_back(item);
  }
  table.AddRow(
      {"category", categories.empty() ? "- (no evidence)" : absl::StrJoin(categories, "; ")});
  std::string environment = EnumSuffix(v1::Environment_Name(scene.environment()), "ENVIRONMENT_");
  if (scene.environment() == v1::ENVIRONMENT_UNSPECIFIED) {
    environment = "-";
  } else {
    absl::StrAppend(&environment, " (", Fixed2(scene.environment_confidence()), ")");
  }
  table.AddRow({"environment", environment});
  if (scene.has_lighting()) {
    const v1::Lighting& lighting = scene.lighting();
    table.AddRow({"lighting", absl::StrCat(EnumSuffix(v1::LightingLevel_Name(lighting.level()),
                                                      "LIGHTING_LEVEL_"),
                                           " (brightness ", Fixed2(lighting.brightness()),
                                           ", contrast ", Fixed2(lighting.contrast()), ")")});
  }
  std::vector<std::string> objects;
  for (int i = 0; i < scene.objects_size() && i < kMaxObjectsShown; ++i) {
    objects.push_back(
        absl::StrCat(scene.objects(i).label(), " ", Fixed2(scene.objects(i).score())));
  }
  std::string object_text = objects.empty() ? "-" : absl::StrJoin(objects, ", ");
  if (scene.objects_size() > kMaxObjectsShown) {
    absl::StrAppend(&object_text, " (+", scene.objects_size() - kMaxObjectsShown, " more)");
  }
  table.AddRow({"objects", object_text});
  return text + table.Render();
}

std::string TopFacesText(const v1::ImageAnalysis& analysis) {
  std::vector<std::string> faces;
  for (const v1::Face& face : analysis.faces()) {
    std::string item = face.track_id() != 0 ? absl::StrCat("[", face.track_id(), "] ")
                                            : absl::StrCat("#", face.index(), " ");
    if (face.has_expression()) {
      const auto& expression = face.expression();
      absl::StrAppend(&item, ExpressionName(expression.dominant()), " ",
                      Fixed2(expression.dominant_score()), " (v", Signed(expression.valence()),
                      " a", Signed(expression.arousal()), ")");
    } else {
      absl::StrAppend(&item, "face");
    }
    faces.push_back(item);
  }
  return absl::StrCat(analysis.faces_size(), analysis.faces_size() == 1 ? " face" : " faces",
                      faces.empty() ? "" : ": ", absl::StrJoin(faces, ", "));
}

}  // namespace

std::string ExpressionName(v1::Expression expression) {
  if (expression == v1::EXPRESSION_UNSPECIFIED) return "-";
  return EnumSuffix(v1::Expression_Name(expression), "EXPRESSION_");
}

std::string FormatTimings(const v1::Timings& timings) {
  return absl::StrFormat(
      "Timings  total %.1f ms (decode %.1f, queue %.1f, inference %.1f, postprocess %.1f)\n",
      timings.total_ms(), timings.decode_ms(), timings.queue_ms(), timings.inference_ms(),
      timings.postprocess_ms());
}

std::string FormatImageAnalysis(const v1::ImageAnalysis& analysis) {
  std::string text = FacesSection(analysis);
  if (analysis.attire_size() > 0) absl::StrAppend(&text, AttireSection(analysis));
  if (analysis.has_scene()) absl::StrAppend(&text, SceneSection(analysis.scene()));
  if (analysis.bodies_size() > 0) absl::StrAppend(&text, BodiesSection(analysis));
  if (std::any_of(analysis.faces().begin(), analysis.faces().end(),
                  [](const v1::Face& face) { return face.has_attention(); })) {
    absl::StrAppend(&text, AttentionSection(analysis));
  }
  return text;
}

std::string FormatVoice(const v1::Voice& voice) {
  TextTable table(2);
  table.AddRow({"speech", absl::StrCat(voice.speech_present() ? "yes" : "no", ", ",
                                       Percent(voice.active_share()), " active, ",
                                       absl::StrFormat("%.1f s", voice.duration_seconds()))});
  if (voice.speech_segments_size() > 0) {
    // The first few; a long clip can have hundreds.
    constexpr int kShownSegments = 6;
    std::vector<std::string> segments;
    for (int i = 0; i < std::min(voice.speech_segments_size(), kShownSegments); ++i) {
      const v1::SpeechSegment& segment = voice.speech_segments(i);
      segments.push_back(
          absl::StrFormat("%.2f-%.2f s", segment.start_seconds(), segment.end_seconds()));
    }
    std::string text = absl::StrJoin(segments, ", ");
    if (voice.speech_segments_size() > kShownSegments) {
      absl::StrAppend(&text, " (+", voice.speech_segments_size() - kShownSegments, " more)");
    }
    table.AddRow({"speech at", text});
  }
  table.AddRow({"loudness", absl::StrFormat("%.1f dBFS", voice.loudness_dbfs())});
  if (voice.has_pitch()) {
    const v1::PitchStatistics& pitch = voice.pitch();
    table.AddRow({"pitch", absl::StrFormat("%.0f Hz +/- %.0f (min %.0f, max %.0f), voiced %s",
                                           pitch.mean_hz(), pitch.stddev_hz(), pitch.min_hz(),
                                           pitch.max_hz(), Percent(pitch.voiced_share()))});
  }
  table.AddRow({"rate", absl::StrFormat("%.1f syllables/s", voice.speaking_rate_hz())});
  table.AddRow({"arousal", Signed(voice.arousal())});
  if (voice.emotion_scores_size() > 0) {
    std::vector<std::string> scores;
    for (const auto& score : voice.emotion_scores()) {
      scores.push_back(absl::StrCat(score.label(), " ", Fixed2(score.score())));
    }
    std::string emotion = absl::StrJoin(scores, ", ");
    if (voice.has_emotion_model())
      absl::StrAppend(&emotion, "  [", ModelRefText(voice.emotion_model()), "]");
    table.AddRow({"emotion", emotion});
  }
  return "Voice\n" + table.Render();
}

std::string FormatAnalyzeResponse(const v1::AnalyzeResponse& response, absl::string_view source) {
  std::vector<std::string> analyses;
  for (int analysis : response.analyses()) {
    analyses.push_back(AnalysisName(static_cast<v1::Analysis>(analysis)));
  }
  std::string text = absl::StrCat(source);
  if (response.has_image()) {
    absl::StrAppend(&text, ": ", response.image().size().width(), "x",
                    response.image().size().height(), " image");
  }
  if (response.has_voice()) {
    absl::StrAppend(&text, response.has_image() ? " + " : ": ",
                    absl::StrFormat("%.1f s audio", response.voice().duration_seconds()));
  }
  absl::StrAppend(&text, "; analyses ", analyses.empty() ? "-" : absl::StrJoin(analyses, ", "),
                  "; request ", response.request_id(), "\n");
  if (response.has_image()) absl::StrAppend(&text, FormatImageAnalysis(response.image()));
  if (response.has_voice()) absl::StrAppend(&text, FormatVoice(response.voice()));
  if (response.has_timings()) absl::StrAppend(&text, FormatTimings(response.timings()));
  std::vector<std::string> models;
  for (const auto& model : response.models()) models.push_back(ModelRefText(model));
  absl::StrAppend(&text, "Models   ", models.empty() ? "-" : absl::StrJoin(models, ", "), "\n");
  return text;
}

std::string FormatFrameResult(const v1::FrameResult& frame) {
  std::string text = absl::StrFormat("frame %-5d %8.2f s  ", frame.sequence(),
                                     static_cast<double>(frame.timestamp_us()) / 1e6);
  if (frame.has_error()) {
    return absl::StrCat(text, "error ", StatusCodeName(frame.error().code()), ": ",
                        frame.error().message(), "\n");
  }
  absl::StrAppend(&text, TopFacesText(frame.analysis()));
  if (frame.analysis().has_scene()) {
    const v1::Scene& scene = frame.analysis().scene();
    absl::StrAppend(&text, " | scene ",
                    scene.categories_size() > 0 ? scene.categories(0).category() : "-");
    if (scene.environment() != v1::ENVIRONMENT_UNSPECIFIED) {
      absl::StrAppend(&text, ", ",
                      EnumSuffix(v1::Environment_Name(scene.environment()), "ENVIRONMENT_"));
    }
  }
  if (frame.has_timings())
    absl::StrAppend(&text, absl::StrFormat(" | %.0f ms", frame.timings().total_ms()));
  return text + "\n";
}

std::string FormatStreamAggregate(const v1::StreamAggregate& aggregate) {
  std::string text = absl::StrFormat(
      "aggregate %.2f-%.2f s: %d track%s\n", static_cast<double>(aggregate.window_start_us()) / 1e6,
      static_cast<double>(aggregate.window_end_us()) / 1e6, aggregate.tracks_size(),
      aggregate.tracks_size() == 1 ? "" : "s");
  for (const v1::TrackAggregate& track : aggregate.tracks()) {
    absl::StrAppend(&text, absl::StrFormat("  track %d: %s over %d frame%s", track.track_id(),
                                           ExpressionName(track.dominant()), track.frames_seen(),
                                           track.frames_seen() == 1 ? "" : "s"));
    for (const auto& change : track.changes()) {
      absl::StrAppend(&text, absl::StrFormat("; %s->%s at %.2f s", ExpressionName(change.from()),
                                             ExpressionName(change.to()),
                                             static_cast<double>(change.timestamp_us()) / 1e6));
    }
    if (track.has_fused()) {
      const v1::FusedAffect& fused = track.fused();
      absl::StrAppend(&text, absl::StrFormat("; %s (v%s a%s, confidence %.2f)", fused.label(),
                                             Signed(fused.valence()), Signed(fused.arousal()),
                                             fused.confidence()));
      if (!fused.explanation().empty()) absl::StrAppend(&text, "\n    ", fused.explanation());
    }
    absl::StrAppend(&text, "\n");
  }
  if (aggregate.has_voice()) {
    const v1::Voice& voice = aggregate.voice();
    absl::StrAppend(
        &text, absl::StrFormat("  voice: speech %s, %s active, %.1f dBFS, arousal %s\n",
                               voice.speech_present() ? "yes" : "no", Percent(voice.active_share()),
                               voice.loudness_dbfs(), Signed(voice.arousal())));
  }
  return text;
}

std::string FormatStreamSummary(const v1::StreamSummary& summary) {
  const v1::StreamStats& stats = summary.stats();
  return absl::StrFormat(
      "summary: %s; frames %d received, %d analysed, %d dropped, %d failed; audio %d chunks "
      "(%.1f s)\n",
      summary.reason().empty() ? "stream ended" : summary.reason(), stats.frames_received(),
      stats.frames_analysed(), stats.frames_dropped(), stats.frames_failed(),
      stats.audio_chunks_received(), stats.audio_seconds_received());
}

std::string FormatModels(const v1::ListModelsResponse& models) {
  if (models.models_size() == 0) return "no models in the repository\n";
  TextTable table(0);
  table.AddRow({"NAME", "VERSION", "STATE", "TASK", "DEVICE", "MAX BATCH", "LABELS"});
  std::string notes;
  for (const v1::ModelInfo& model : models.models()) {
    std::string labels;
    if (model.labels_size() > 0) {
      std::vector<std::string> shown(model.labels().begin(),
                                     model.labels().begin() + std::min(model.labels_size(), 4));
      labels = absl::StrJoin(shown, ",");
      if (model.labels_size() > 4) absl::StrAppend(&labels, ",... (", model.labels_size(), ")");
    } else if (model.members_size() > 0) {
      labels = absl::StrCat("members: ", absl::StrJoin(model.members(), ","));
    }
    table.AddRow({model.name(), absl::StrCat(model.version()),
                  EnumSuffix(v1::ModelState_Name(model.state()), "MODEL_STATE_"),
                  model.task().empty() ? "-" : model.task(),
                  model.device().empty() ? "-" : model.device(),
                  absl::StrCat(model.batching().max_batch_size()), labels.empty() ? "-" : labels});
    if (!model.state_reason().empty() && model.state() != v1::MODEL_STATE_READY) {
      absl::StrAppend(&notes, model.name(), ": ", model.state_reason(), "\n");
    }
  }
  return table.Render() + notes;
}

std::string FormatServerInfo(const v1::ServerInfo& info) {
  TextTable table(0);
  table.AddRow({"version", absl::StrCat(info.version(), " (", info.git_revision(), ", ",
                                        info.build_type(), ")")});
  table.AddRow({"torch", absl::StrCat(info.torch_version(), ", BLAS ",
                                      info.blas().empty() ? "-" : info.blas(),
                                      ", intra-op threads ", info.intra_op_threads())});
  table.AddRow({"device", absl::StrCat(info.device(), " (CUDA available: ",
                                       info.cuda_available() ? "yes" : "no", ")")});
  std::vector<std::string> analyses;
  for (int analysis : info.enabled_analyses()) {
    analyses.push_back(AnalysisName(static_cast<v1::Analysis>(analysis)));
  }
  table.AddRow({"analyses", analyses.empty() ? "none" : absl::StrJoin(analyses, ", ")});
  const v1::Limits& limits = info.limits();
  table.AddRow(
      {"limits", absl::StrFormat("message %.1f MiB, image %.1f Mpx, audio %.0f s, %d streams",
                                 static_cast<double>(limits.max_message_bytes()) / (1 << 20),
                                 static_cast<double>(limits.max_image_pixels()) / 1e6,
                                 limits.max_audio_seconds(), limits.max_streams())});
  if (info.has_default_options()) {
    const v1::AnalysisOptions& options = info.default_options();
    std::vector<std::string> defaults;
    if (options.has_max_faces())
      defaults.push_back(absl::StrCat("max_faces ", options.max_faces()));
    if (options.has_min_face_size_px()) {
      defaults.push_back(absl::StrCat("min_face_size ", options.min_face_size_px(), " px"));
    }
    if (options.has_face_score_threshold()) {
      defaults.push_back(
          absl::StrCat("face_score_threshold ", Fixed2(options.face_score_threshold())));
    }
    if (options.has_object_score_threshold()) {
      defaults.push_back(
          absl::StrCat("object_score_threshold ", Fixed2(options.object_score_threshold())));
    }
    if (options.has_max_objects())
      defaults.push_back(absl::StrCat("max_objects ", options.max_objects()));
    if (!defaults.empty()) table.AddRow({"defaults", absl::StrJoin(defaults, ", ")});
  }
  if (info.has_caller()) {
    const v1::CallerInfo& caller = info.caller();
    std::vector<std::string> allowed;
    for (int analysis : caller.allowed_analyses()) {
      allowed.push_back(AnalysisName(static_cast<v1::Analysis>(analysis)));
    }
    std::string text = absl::StrCat(caller.name(), ": may use ",
                                    allowed.empty() ? "none" : absl::StrJoin(allowed, ", "));
    if (caller.has_max_requests_per_second()) {
      absl::StrAppend(&text,
                      absl::StrFormat(", at most %g calls/s", caller.max_requests_per_second()));
    }
    if (caller.has_max_streams()) {
      absl::StrAppend(&text, ", at most ", caller.max_streams(), " open streams");
    }
    table.AddRow({"caller", text});
  }
  return table.Render();
}

std::string FormatHealth(const grpc::health::v1::HealthCheckResponse& health,
                         absl::string_view service) {
  return absl::StrCat(service.empty() ? "server" : service, ": ",
                      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(health.status()),
                      "\n");
}

}  // namespace affect::client
