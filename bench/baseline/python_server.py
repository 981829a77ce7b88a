#!/usr/bin/python3
"""The server a team would write instead of AffectServe: plain Python grpcio + torch.

It serves affect.v1.AffectService/Analyze for ANALYSIS_EMOTION with the project's own
TorchScript files and the same models the project's EMOTION path runs (blazeface, then the
`emotion` and `face_expression` members of the expression ensemble on every face), one request
at a time (a one-thread gRPC executor), with torch's default threads. No batching, no
admission control, no streams. bench/perf_report.py drives it and affect-server with the same
client (affect-bench) and photos, in one run, so their figures compare.

Pre- and post-processing follow the model configs closely enough for equal compute (the same
tensor shapes per face); the answers are not meant to match the server's to the last digit.

Usage: bench/baseline/python_server.py --port=50061 [--model_repository=models/repository]
Needs Debian's python3-grpcio, python3-protobuf, python3-torch, python3-opencv, numpy.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent import futures

import cv2
import grpc
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "verify"))
from decoding import decode_blazeface  # noqa: E402  (the project's numpy reference decoder)


def load_messages():
    """Generates the affect.v1 Python message classes with Debian's protoc (messages only)."""
    out = tempfile.mkdtemp(prefix="affect-baseline-")
    protos = [os.path.join("affect", "v1", name)
              for name in ("media.proto", "results.proto", "model_config.proto",
                           "affect_service.proto")]
    subprocess.run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out", out] + protos,
                   check=True)
    sys.path.insert(0, out)
    from affect.v1 import affect_service_pb2, results_pb2  # noqa: E402
    return affect_service_pb2, results_pb2


def first(output):
    """The modules return a tuple of outputs (or one tensor): the first, as numpy."""
    return (output[0] if isinstance(output, (tuple, list)) else output).numpy()


def nms(boxes, scores, threshold=0.3):
    order, keep = np.argsort(-scores), []
    while order.size:
        i = order[0]
        keep.append(i)
        x1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        y1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        x2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        y2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
        iou = inter / (area(boxes[i]) + area(boxes[order[1:]]) - inter + 1e-9)
        order = order[1:][iou < threshold]
    return keep


class Baseline:
    EMOTION = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    FACE_API = ["neutral", "happy", "sad", "angry", "fear", "disgust", "surprise"]

    def __init__(self, repository, messages):
        self.service_pb2, self.results_pb2 = messages
        load = lambda name: torch.jit.load(os.path.join(repository, name, "1", "model.pt")).eval()  # noqa: E731
        self.detector, self.emotion, self.face_api = load("blazeface"), load("emotion"), load("face_expression")

    def analyze(self, request, context):
        rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(request.image.encoded, np.uint8),
                                        cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        x = cv2.resize(rgb, (256, 256)).astype(np.float32) / 127.5 - 1
        with torch.inference_mode():
            outputs = [o[0].numpy() for o in self.detector(torch.from_numpy(x)[None])]
        scores, boxes, _ = decode_blazeface(*outputs)
        boxes = boxes * np.array([width / 256, height / 256] * 2, np.float32)
        response = self.service_pb2.AnalyzeResponse(request_id=request.request_id)
        response.image.size.width, response.image.size.height = width, height
        candidates = np.flatnonzero(scores > 0.5)
        for i in [candidates[k] for k in nms(boxes[candidates], scores[candidates])][:10]:
            x1, y1, x2, y2 = np.clip(boxes[i], 0, [width, height, width, height]).astype(int)
            if x2 - x1 < 8 or y2 - y1 < 8:
                continue
            crop = rgb[y1:y2, x1:x2]
            gray = cv2.cvtColor(cv2.resize(crop, (64, 64)), cv2.COLOR_RGB2GRAY).astype(np.float32)
            face = cv2.resize(crop, (112, 112)).astype(np.float32)
            face = (face - np.array([122.782, 117.001, 104.298], np.float32)) / 255
            with torch.inference_mode():
                a = first(self.emotion(torch.from_numpy(gray / 127.5 - 1)[None, :, :, None]))[0]
                b = first(self.face_api(torch.from_numpy(face)[None]))[0]
            mean = {label: a[k] / 2 for k, label in enumerate(self.EMOTION)}
            for k, label in enumerate(self.FACE_API):
                mean[label] += b[k] / 2
            result = response.image.faces.add()
            result.box.x, result.box.y = float(x1), float(y1)
            result.box.width, result.box.height = float(x2 - x1), float(y2 - y1)
            result.detection_score = float(scores[i])
            for label in self.EMOTION:
                result.expression.scores.add(
                    expression=self.results_pb2.Expression.Value("EXPRESSION_" + label.upper()),
                    score=float(mean[label]))
            best = max(mean, key=mean.get)
            result.expression.dominant = self.results_pb2.Expression.Value(
                "EXPRESSION_" + best.upper())
            result.expression.dominant_score = float(mean[best])
        return response


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=50061)
    parser.add_argument("--model_repository", default=os.path.join(ROOT, "models", "repository"))
    args = parser.parse_args()
    # As a team would: every core for torch (Debian's torch starts with one thread here).
    torch.set_num_threads(os.cpu_count() or 1)
    messages = load_messages()
    baseline = Baseline(args.model_repository, messages)
    server_pb2 = messages[0]
    handler = grpc.method_handlers_generic_handler("affect.v1.AffectService", {
        "Analyze": grpc.unary_unary_rpc_method_handler(
            baseline.analyze, request_deserializer=server_pb2.AnalyzeRequest.FromString,
            response_serializer=server_pb2.AnalyzeResponse.SerializeToString)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1),
                         options=[("grpc.max_receive_message_length", 16 << 20)])
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    print(f"baseline listening on 127.0.0.1:{args.port} (torch threads {torch.get_num_threads()})",
          flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
