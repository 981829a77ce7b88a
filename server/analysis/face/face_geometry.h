// Eye openness, mouth openness and head pose measured on the face mesh's
// landmarks (face_landmarks.h: MediaPipe canonical numbering, image pixels).
//
// EYE ASPECT RATIO (Soukupova & Cech, "Real-Time Eye Blink Detection using
// Facial Landmarks", 2016), per eye on six landmarks p1..p6, p1 and p4 the
// corners, p2, p3 on the upper lid and p6, p5 below them on the lower lid:
//     EAR = (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|)
// The mesh indices, the ones the 68-point model's eye points land on:
//     right eye (the person's right, image left when facing the camera):
//         p1 33 (outer corner), p2 160, p3 158, p4 133 (inner corner),
//         p5 153, p6 144
//     left eye: p1 362 (inner corner), p2 385, p3 387, p4 263 (outer corner),
//         p5 373, p6 380
// 160/144 and 158/153 are the upper/lower lid pairs at about one and two
// thirds of the eye's width, where the lid moves most; the corners do not
// move when the eye closes. Measured in the image plane (x, y), as in the
// paper: a face turned sideways narrows the eye and raises the EAR a little.
//
// EYE OPENNESS in [0, 1] maps the EAR linearly between closed_ear (0) and
// open_ear (1), clamped. An open eye measures about 0.25-0.35, a closed one
// under 0.1 (the paper's blink threshold is 0.2 on the 68-point model), so
// the defaults are 0.10 and 0.30: "at most 20% open" (PERCLOS, attention
// tracker) is then EAR <= 0.14.
//
// MOUTH OPENNESS = |13 - 14| / |61 - 291|: the gap between the inner lips'
// midpoints (13 upper, 14 lower) over the width between the mouth corners
// (61 right, 291 left). About 0 closed, 0.1-0.4 while speaking, above 0.5
// in a yawn. Not clamped (a wide yawn can pass 1).
//
// HEAD POSE from the mesh's own 3-D coordinates (x, y and the relative depth
// z, which the mesh reports on the scale of x): a face frame is built from
// three midpoints, as in the "normalised face" of gaze estimation:
//     u = left eye centre - right eye centre      (across the face)
//     v = mouth centre - midpoint of the eyes     (down the face), made
//         orthogonal to u
//     forward f = -(u x v)                        (out of the face)
// eye centre = midpoint of its corners (33/133, 362/263); mouth centre =
// midpoint of the corners 61/291. With camera axes x right, y down, z away
// from the camera, a frontal face has f = (0, 0, -1). Then, in degrees:
//     yaw   = atan2(f.x, -f.z)   > 0: the face turns towards image right
//                                (the person's left when facing the camera)
//     pitch = asin(f.y)          > 0: chin down (head bowed)
//     roll  = atan2(u.y, v.y)    > 0: clockwise in the image (the person's
//                                left eye, image right, lower)
// which inverts R = Ry(yaw) Rx(pitch) Rz(roll) exactly for an orthographic
// view. No PnP and no 3-D face model (OpenCV's calib3d is available, but a
// PnP needs a canonical 3-D face, which would be third-party data; the mesh
// already carries depth). Pitch is measured from the plane of the eyes and
// mouth; real faces are not flat, so a frontal face may read a few degrees
// off: neutral_pitch_degrees is subtracted to correct it once measured on
// real meshes (default 0: not yet calibrated).
//
// HOSTILE INPUT: any landmark used that is not finite, or a degenerate
// geometry (eye or mouth width under min_span_px, a frame that cannot be
// built), gives nullopt for that measure: never a division by zero.
//
// Pure functions, thread-safe.
#ifndef AFFECT_SERVER_ANALYSIS_FACE_FACE_GEOMETRY_H_
#define AFFECT_SERVER_ANALYSIS_FACE_FACE_GEOMETRY_H_

#include <array>
#include <optional>

#include "absl/status/status.h"
#include "server/analysis/face/face_landmarks.h"

namespace affect::analysis {

// The six EAR landmarks of each eye, p1..p6 (see above).
inline constexpr std::array<int, 6> kRightEyeEarLandmarks = {33, 160, 158, 133, 153, 144};
inline constexpr std::array<int, 6> kLeftEyeEarLandmarks = {362, 385, 387, 263, 373, 380};
// Mouth: inner-lip midpoints and corners.
inline constexpr int kUpperInnerLip = 13;
inline constexpr int kLowerInnerLip = 14;
inline constexpr int kRightMouthCorner = 61;
inline constexpr int kLeftMouthCorner = 291;
// Eye corners for the head pose.
inline constexpr int kRightEyeOuterCorner = 33;
inline constexpr int kRightEyeInnerCorner = 133;
inline constexpr int kLeftEyeInnerCorner = 362;
inline constexpr int kLeftEyeOuterCorner = 263;

struct FaceGeometryOptions {
  // EAR of a closed eye (openness 0) and of an open one (openness 1).
  // 0 <= closed_ear < open_ear.
  float closed_ear = 0.10f;
  float open_ear = 0.30f;
  // Eye and mouth widths (and face-frame spans) below this many pixels are
  // degenerate. > 0.
  float min_span_px = 1.0f;
  // Subtracted from the measured pitch (see above). Finite, |x| <= 45.
  float neutral_pitch_degrees = 0.0f;
};

// INVALID_ARGUMENT naming the option when one is out of range.
absl::Status ValidateFaceGeometryOptions(const FaceGeometryOptions& options);

enum class Eye { kLeft, kRight };  // the person's

// The eye aspect ratio of one eye; nullopt when degenerate.
std::optional<float> EyeAspectRatio(const FaceLandmarks& face, Eye eye,
                                    const FaceGeometryOptions& options);

// EAR mapped onto [0, 1] (see above). NaN gives 0.
float EyeOpennessFromEar(float ear, const FaceGeometryOptions& options);

// Inner-lip gap over mouth width; nullopt when degenerate.
std::optional<float> MouthOpenness(const FaceLandmarks& face, const FaceGeometryOptions& options);

struct HeadPose {
  float yaw_degrees = 0.0f;
  float pitch_degrees = 0.0f;
  float roll_degrees = 0.0f;
};

// Yaw, pitch and roll (see above for signs); nullopt when degenerate.
std::optional<HeadPose> EstimateHeadPose(const FaceLandmarks& face,
                                         const FaceGeometryOptions& options);

// Everything above for one face; a field is unset when it could not be
// measured.
struct FaceGeometry {
  std::optional<float> left_eye_aspect_ratio;
  std::optional<float> right_eye_aspect_ratio;
  std::optional<float> left_eye_openness;
  std::optional<float> right_eye_openness;
  std::optional<float> mouth_openness;
  std::optional<HeadPose> head_pose;
};

FaceGeometry MeasureFaceGeometry(const FaceLandmarks& face, const FaceGeometryOptions& options);

}  // namespace affect::analysis

#endif  // AFFECT_SERVER_ANALYSIS_FACE_FACE_GEOMETRY_H_
