#include "server/analysis/scene/scene_evidence.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

namespace affect::analysis {
namespace {

// label -> 1 - prod(1 - score) over its detections.
std::map<std::string, float> LabelEvidence(const DetectedObjects& objects) {
  std::map<std::string, float> miss;  // prod(1 - score)
  for (const v1::DetectedObject& object : objects) {
    const float score = std::clamp(object.score(), 0.0f, 1.0f);
    auto [it, inserted] = miss.emplace(object.label(), 1.0f);
    it->second *= 1.0f - score;
  }
  std::map<std::string, float> evidence;
  for (const auto& [label, m] : miss) evidence[label] = 1.0f - m;
  return evidence;
}

float Evidence(const std::vector<LabelWeight>& table, const std::map<std::string, float>& labels) {
  float sum = 0.0f;
  for (const LabelWeight& entry : table) {
    const auto it = labels.find(entry.label);
    if (it != labels.end()) sum += entry.weight * it->second;
  }
  return sum;
}

}  // namespace

const std::vector<SceneCategoryRule>& SceneCategoryTable() {
  static const std::vector<SceneCategoryRule>* const kTable = new std::vector<SceneCategoryRule>{
      {"living_room",
       {{"couch", 1.0f}, {"remote", 0.8f}, {"tv", 0.7f}, {"potted plant", 0.3f},
        {"vase", 0.3f}, {"book", 0.2f}, {"clock", 0.2f}, {"chair", 0.2f}, {"cat", 0.2f},
        {"dog", 0.2f}, {"teddy bear", 0.2f}}},
      {"office",
       {{"laptop", 1.0f}, {"keyboard", 1.0f}, {"mouse", 0.9f}, {"tv", 0.4f}, {"book", 0.3f},
        {"chair", 0.3f}, {"cell phone", 0.2f}, {"scissors", 0.2f}, {"clock", 0.2f}}},
      {"kitchen",
       {{"refrigerator", 1.0f}, {"oven", 1.0f}, {"microwave", 1.0f}, {"toaster", 1.0f},
        {"sink", 0.6f}, {"knife", 0.3f}, {"bowl", 0.3f}, {"spoon", 0.2f}, {"banana", 0.2f},
        {"apple", 0.2f}, {"orange", 0.2f}, {"broccoli", 0.2f}, {"carrot", 0.2f},
        {"bottle", 0.1f}}},
      {"dining_bar",
       {{"dining table", 1.0f}, {"wine glass", 1.0f}, {"fork", 0.6f}, {"pizza", 0.6f},
        {"cake", 0.5f}, {"cup", 0.4f}, {"bottle", 0.4f}, {"sandwich", 0.4f}, {"donut", 0.4f},
        {"hot dog", 0.4f}, {"knife", 0.3f}, {"spoon", 0.3f}, {"bowl", 0.2f}, {"chair", 0.2f}}},
      {"bedroom", {{"bed", 1.0f}, {"teddy bear", 0.3f}, {"clock", 0.2f}, {"book", 0.1f}}},
      {"bathroom",
       {{"toilet", 1.0f}, {"toothbrush", 0.8f}, {"hair drier", 0.6f}, {"sink", 0.5f}}},
      {"street",
       {{"traffic light", 1.0f}, {"stop sign", 1.0f}, {"fire hydrant", 1.0f},
        {"parking meter", 1.0f}, {"car", 0.7f}, {"bus", 0.6f}, {"truck", 0.6f},
        {"motorcycle", 0.6f}, {"bicycle", 0.5f}, {"bench", 0.2f}}},
      {"vehicle",
       {{"airplane", 1.0f}, {"train", 1.0f}, {"boat", 1.0f}, {"bus", 0.4f}, {"car", 0.3f},
        {"truck", 0.2f}}},
      {"outdoors",
       {{"kite", 1.0f}, {"surfboard", 1.0f}, {"skis", 1.0f}, {"snowboard", 1.0f},
        {"horse", 1.0f}, {"sheep", 1.0f}, {"cow", 1.0f}, {"elephant", 1.0f}, {"bear", 1.0f},
        {"zebra", 1.0f}, {"giraffe", 1.0f}, {"frisbee", 0.6f}, {"bird", 0.5f},
        {"skateboard", 0.5f}, {"baseball bat", 0.5f}, {"baseball glove", 0.5f},
        {"tennis racket", 0.5f}, {"sports ball", 0.4f}, {"bench", 0.4f}, {"umbrella", 0.3f},
        {"dog", 0.2f}}},
  };
  return *kTable;
}

const std::vector<LabelWeight>& IndoorEvidenceTable() {
  static const std::vector<LabelWeight>* const kTable = new std::vector<LabelWeight>{
      {"couch", 1.0f},       {"bed", 1.0f},        {"toilet", 1.0f},     {"microwave", 1.0f},
      {"oven", 1.0f},        {"toaster", 1.0f},    {"refrigerator", 1.0f}, {"hair drier", 1.0f},
      {"tv", 0.8f},          {"laptop", 0.8f},     {"keyboard", 0.8f},   {"mouse", 0.8f},
      {"remote", 0.8f},      {"sink", 0.8f},       {"toothbrush", 0.8f}, {"vase", 0.6f},
      {"dining table", 0.5f}, {"book", 0.5f},      {"clock", 0.5f},      {"wine glass", 0.4f},
      {"teddy bear", 0.4f},  {"potted plant", 0.3f}, {"chair", 0.3f},    {"cup", 0.3f},
      {"bowl", 0.3f},        {"scissors", 0.3f},   {"fork", 0.2f},       {"knife", 0.2f},
      {"spoon", 0.2f},
  };
  return *kTable;
}

const std::vector<LabelWeight>& OutdoorEvidenceTable() {
  static const std::vector<LabelWeight>* const kTable = new std::vector<LabelWeight>{
      {"traffic light", 1.0f}, {"stop sign", 1.0f}, {"fire hydrant", 1.0f},
      {"parking meter", 1.0f}, {"kite", 1.0f},      {"skis", 1.0f},
      {"snowboard", 1.0f},     {"horse", 0.9f},     {"sheep", 0.9f},
      {"cow", 0.9f},           {"elephant", 0.9f},  {"zebra", 0.9f},
      {"giraffe", 0.9f},       {"surfboard", 0.9f}, {"car", 0.8f},
      {"bus", 0.8f},           {"truck", 0.8f},     {"boat", 0.8f},
      {"bear", 0.8f},          {"motorcycle", 0.7f}, {"frisbee", 0.7f},
      {"airplane", 0.6f},      {"bicycle", 0.5f},   {"train", 0.5f},
      {"bench", 0.5f},         {"skateboard", 0.5f}, {"bird", 0.4f},
      {"umbrella", 0.4f},      {"baseball bat", 0.4f}, {"baseball glove", 0.4f},
      {"tennis racket", 0.4f}, {"sports ball", 0.3f},
  };
  return *kTable;
}

std::vector<v1::SceneCategoryScore> InferSceneCategories(
    const DetectedObjects& objects, const SceneEvidenceOptions& options) {
  const std::map<std::string, float> labels = LabelEvidence(objects);
  const std::vector<SceneCategoryRule>& table = SceneCategoryTable();
  std::vector<float> raw(table.size(), 0.0f);
  for (size_t i = 0; i < table.size(); ++i) raw[i] = Evidence(table[i].evidence, labels);
  const float total = std::accumulate(raw.begin(), raw.end(), 0.0f);
  std::vector<size_t> order(table.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return raw[a] > raw[b]; });
  std::vector<v1::SceneCategoryScore> out;
  for (size_t i : order) {
    if (static_cast<int>(out.size()) >= options.max_categories) break;
    if (!(raw[i] >= options.min_category_evidence) || raw[i] <= 0.0f) break;
    v1::SceneCategoryScore score;
    score.set_category(table[i].category);
    score.set_score(raw[i] / total);
    std::vector<std::pair<float, std::string>> contributions;
    for (const LabelWeight& entry : table[i].evidence) {
      const auto it = labels.find(entry.label);
      if (it != labels.end() && it->second > 0.0f) {
        contributions.emplace_back(entry.weight * it->second, entry.label);
      }
    }
    std::stable_sort(contributions.begin(), contributions.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [value, label] : contributions) score.add_evidence(label);
    out.push_back(std::move(score));
  }
  return out;
}

EnvironmentEstimate EstimateEnvironment(const DetectedObjects& objects,
                                        const SceneEvidenceOptions& options) {
  const std::map<std::string, float> labels = LabelEvidence(objects);
  EnvironmentEstimate estimate;
  estimate.indoor_evidence = Evidence(IndoorEvidenceTable(), labels);
  estimate.outdoor_evidence = Evidence(OutdoorEvidenceTable(), labels);
  const float total = estimate.indoor_evidence + estimate.outdoor_evidence;
  if (!(total >= options.min_environment_evidence) || total <= 0.0f ||
      estimate.indoor_evidence == estimate.outdoor_evidence) {
    return estimate;
  }
  const bool indoor = estimate.indoor_evidence > estimate.outdoor_evidence;
  estimate.environment = indoor ? v1::ENVIRONMENT_INDOOR : v1::ENVIRONMENT_OUTDOOR;
  const float winner = indoor ? estimate.indoor_evidence : estimate.outdoor_evidence;
  const float saturation = options.environment_saturation > 0.0f ? options.environment_saturation
                                                                 : 1.0f;
  estimate.confidence = winner / total * std::min(1.0f, total / saturation);
  return estimate;
}

}  // namespace affect::analysis
