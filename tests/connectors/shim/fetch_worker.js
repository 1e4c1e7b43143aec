'use strict';
// The network side of the shim's UrlFetchApp: runs in a worker thread so the main thread can
// block on it (Atomics.wait) and give the .gs files Apps Script's synchronous fetch. Answers
// {status, headers, body} or {error} for a failed or broken-off transfer.
const { workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');

const { shared, port } = workerData;

function request({ url, method, headers, body, timeoutMs }) {
  return new Promise((resolve) => {
    let target;
    try {
      target = new URL(url);
    } catch (e) {
      resolve({ error: 'Invalid argument: ' + url });
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('close', () => {
        if (!res.complete) {
          resolve({ error: 'The transfer from ' + url + ' broke off before its end.' });
          return;
        }
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', () => {});
    });
    req.on('timeout', () => req.destroy(new Error('Timeout: ' + url)));
    req.on('error', (e) => resolve({ error: 'Address unavailable: ' + url + ' (' + e.message + ')' }));
    if (body !== undefined && body !== null) {
      req.write(body);
    }
    req.end();
  });
}

port.on('message', async (message) => {
  const answer = await request(message);
  port.postMessage(answer);
  Atomics.store(shared, 0, 1);
  Atomics.notify(shared, 0);
});
