// Reference runtime: runs the ORIGINAL models on @tensorflow/tfjs 4.22.0 (cpu backend) and
// writes their outputs for compare.py.
//
//   node reference.js <manifest.json>      (manifest written by make_cases.py)
//
// Graph models load with tf.loadGraphModel(tf.io.fromMemory(...)) from models/.cache/tfjs.
// face_expression runs face-api's own FaceExpressionNet code (dist/face-api.node-wasm.js,
// which only needs @tensorflow/tfjs and the wasm backend package; we select 'cpu'), so the
// torch architecture is checked against face-api's implementation, not a re-reading of it.
//
// Inputs are 8-bit RGB pixels (as float32); each model's pre-processing below is copied
// from the original project (human 3.3.6 src/, face-api 1.7.15 src/).
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function readF32(file, shape) {
  const buf = fs.readFileSync(file);
  const values = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  return tf.tensor(Float32Array.from(values), shape, 'float32');
}

function writeF32(file, tensor) {
  fs.writeFileSync(file, Buffer.from(tensor.dataSync().buffer));
}

function concatBuffers(buffers) {
  const all = Buffer.concat(buffers);
  return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
}

// All shards of a weights manifest, concatenated in manifest order (as tfjs expects).
function readShards(manifest, dir) {
  return concatBuffers(manifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
}

async function loadGraphModel(jsonPath) {
  const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const dir = path.dirname(jsonPath);
  const groups = json.weightsManifest;
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: readShards(groups, dir),
  }));
}

// Pre-processing of the original code, applied to [N, H, W, 3] pixels in 0..255.
const PREPROCESSING = {
  // human src/face/blazeface.ts getBoxes: div(resized, 127.5), sub(1)
  human_blazeface: (x) => tf.sub(tf.div(x, 127.5), 1),
  // human src/face/facemeshutil.ts cutAndResize divides the face crop by 255, then
  // src/gear/emotion.ts: mul(rgb weights), sum(axis 3, keepDims), sub(0.5), mul(2)
  human_emotion: (x) => {
    const face = tf.div(x, 255);
    const gray = tf.sum(tf.mul(face, tf.tensor1d([0.2989, 0.5870, 0.1140])), 3, true);
    return tf.mul(tf.sub(gray, 0.5), 2);
  },
  // human src/object/centernet.ts feeds the resized image as it is (0..255)
  human_centernet: (x) => x,
  // human src/segmentation/selfie.ts: div(resized, 255)
  human_selfie: (x) => tf.div(x, 255),
  // human src/body/movenetfix.ts padInput: the padded, resized frame cast to int32 (the
  // graph normalises it itself)
  human_movenet: (x) => tf.cast(x, 'int32'),
  // human src/face/facemesh.ts: div(cut, 255) of the 192x192 face crop
  human_facemesh: (x) => tf.div(x, 255),
};

async function runGraphModel(entry, log) {
  const model = await loadGraphModel(entry.source);
  const bakedBatch = model.inputs[0].shape && model.inputs[0].shape[0] === 1;
  for (const c of entry.cases) {
    const pixels = readF32(c.pixels, c.shape);
    const input = PREPROCESSING[entry.preprocessing](pixels);
    // Graphs that bake batch 1 (e.g. into Reshape) run item by item; outputs are stacked.
    const items = bakedBatch ? tf.split(input, input.shape[0], 0) : [input];
    // Requesting outputs by name returns them in that order (execute()'s default order is
    // not the JSON order); shapes are checked again in compare.py.
    const perItem = items.map((item) => {
      const out = model.execute(item, entry.outputs);
      return Array.isArray(out) ? out : [out];
    });
    const outputs = entry.outputs.map((_, k) => tf.concat(perItem.map((o) => o[k]), 0));
    writeCase(entry, c, outputs);
    log(c.name, outputs);
  }
}

async function runFaceExpression(entry, log) {
  // face-api's bundle requires '@tensorflow/tfjs' itself: the same module instance as `tf`.
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await tf.setBackend('cpu');
  if (faceapi.tf.engine() !== tf.engine() || faceapi.tf.getBackend() !== 'cpu') {
    throw new Error('face-api does not run on our @tensorflow/tfjs cpu backend');
  }
  const manifest = JSON.parse(fs.readFileSync(entry.source, 'utf8'));
  const dir = path.dirname(entry.source);
  const specs = manifest.flatMap((g) => g.weights);
  const data = readShards(manifest, dir);
  const net = new faceapi.FaceExpressionNet();
  net.loadFromWeightMap(tf.io.decodeWeights(data, specs));
  for (const c of entry.cases) {
    const pixels = readF32(c.pixels, c.shape);
    // A list of [112, 112, 3] tensors is face-api's batch input; it normalises itself:
    // normalize(x, [122.782, 117.001, 104.298]).div(255) in FaceFeatureExtractor.
    const faces = tf.unstack(pixels);
    const probabilities = await net.forward(faces.length === 1 ? faces[0] : faces);
    writeCase(entry, c, [probabilities]);
    log(c.name, [probabilities]);
  }
}

function writeCase(entry, c, outputs) {
  const meta = outputs.map((t, k) => {
    const file = path.join(entry.dir, `${c.name}.ref.${k}.f32`);
    writeF32(file, t);
    return { name: entry.outputs[k], shape: t.shape, file };
  });
  fs.writeFileSync(path.join(entry.dir, `${c.name}.ref.json`), JSON.stringify(meta, null, 2));
}

async function main() {
  const manifest = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  await tf.setBackend('cpu');
  await tf.ready();
  for (const entry of manifest.models) {
    const start = Date.now();
    const log = (caseName, outputs) => console.log(
      `  tfjs ${entry.name} ${caseName}: ${outputs.map((t) => `[${t.shape}]`).join(' ')}`);
    if (entry.kind === 'tfjs_graph') await runGraphModel(entry, log);
    else if (entry.kind === 'face_expression') await runFaceExpression(entry, log);
    else throw new Error(`unknown model kind ${entry.kind}`);
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    console.log(`  tfjs ${entry.name}: ${seconds}s (backend ${tf.getBackend()})`);
  }
}

main().catch((e) => {
  console.error(`reference.js: ${e.stack || e}`);
  process.exit(1);
});
