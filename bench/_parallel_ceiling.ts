/**
 * Worker for the bench's parallel ceiling: a fixed, communication-free
 * histogram loop (the shape of tree growth's inner loop), so two of them show
 * how much a second thread can give on this machine at that moment.
 *
 * @module
 */
const n = 1 << 20;
const codes = new Uint8Array(n);
const hist = new Float64Array(256 * 8);
let s = 1;
for (let i = 0; i < n; i++) {
  s = (s * 1103515245 + 12345) >>> 0;
  codes[i] = s >>> 24;
}

self.onmessage = (e: MessageEvent<number>) => {
  for (let rep = 0; rep < e.data; rep++) {
    for (let i = 0; i < n; i++) hist[(codes[i] << 3) | (i & 7)] += 1;
  }
  self.postMessage(hist[0]);
};
