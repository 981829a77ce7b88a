"""Reads models/repository/<name>/config.pbtxt (protobuf text format) for the verifier.

Debian's python3 here has no google.protobuf, so schema validation is done by `protoc
--encode` against proto/affect/v1/model_config.proto, and the values are read with this
small parser of the text format subset configs use: fields, nested messages, repeated
fields (repeated lines or [a, b] lists), strings, numbers, enum names, # comments.
"""

import os
import re
import shutil
import subprocess
from typing import Dict, List, Union

Message = Dict[str, List[Union[str, float, "Message"]]]

_TOKEN = re.compile(r"""
    \s+ | \#[^\n]* |                                # whitespace, comments
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
    (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fF]?(?![\w.])) |
    (?P<ident>[A-Za-z_][\w.]*) |
    (?P<punct>[{}\[\]:,;<>])
""", re.VERBOSE)


def _tokens(text: str) -> List[str]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse text format near: {text[pos:pos + 30]!r}")
        pos = m.end()
        if m.lastgroup:
            tokens.append(m.group(m.lastgroup))
    return tokens


def _scalar(token: str) -> Union[str, float]:
    if token[0] in "\"'":
        return bytes(token[1:-1], "utf-8").decode("unicode_escape")
    try:
        return float(token.rstrip("fF"))
    except ValueError:
        return token  # enum value or bool


def _parse(tokens: List[str], pos: int, closing: str) -> (Message, int):
    message: Message = {}
    while pos < len(tokens) and tokens[pos] != closing:
        name = tokens[pos]
        pos += 1
        if tokens[pos] == ":":
            pos += 1
        if tokens[pos] in "{<":
            close = "}" if tokens[pos] == "{" else ">"
            value, pos = _parse(tokens, pos + 1, close)
            message.setdefault(name, []).append(value)
            pos += 1
        elif tokens[pos] == "[":
            pos += 1
            while tokens[pos] != "]":
                if tokens[pos] in "{<":
                    close = "}" if tokens[pos] == "{" else ">"
                    value, pos = _parse(tokens, pos + 1, close)
                    message.setdefault(name, []).append(value)
                else:
                    message.setdefault(name, []).append(_scalar(tokens[pos]))
                pos += 1
                if tokens[pos] == ",":
                    pos += 1
            pos += 1
        else:
            message.setdefault(name, []).append(_scalar(tokens[pos]))
            pos += 1
        if pos < len(tokens) and tokens[pos] in ",;":
            pos += 1
    return message, pos


def parse(text: str) -> Message:
    message, pos = _parse(_tokens(text), 0, "")
    return message


def validate_with_protoc(config_path: str, repo_root: str) -> str:
    """Encodes the config with protoc against the schema; returns a note, raises on error."""
    proto = os.path.join(repo_root, "proto", "affect", "v1", "model_config.proto")
    protoc = shutil.which("protoc")
    if protoc is None or not os.path.isfile(proto):
        return "schema check skipped (protoc or model_config.proto not found)"
    with open(config_path, "rb") as f:
        result = subprocess.run(
            [protoc, f"--proto_path={os.path.join(repo_root, 'proto')}",
             "--encode=affect.v1.ModelConfig", "affect/v1/model_config.proto"],
            stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise ValueError(f"{config_path} does not match affect.v1.ModelConfig: "
                         f"{result.stderr.decode().strip()}")
    return "schema ok"
