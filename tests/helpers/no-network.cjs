'use strict';
// Preloaded (node --require) into a child process that must not use the network: every connection to a host other
// than loopback, and every DNS lookup of a name other than localhost, fails at once and is reported on stderr as
// `NETWORK-ATTEMPT <where>`, so the test that started the child sees it even when the child swallows the error.
// Worker threads (tesseract's) inherit the preload.
const net = require('node:net');
const dns = require('node:dns');

const LOOPBACK = /^(127\.|::1$|::ffff:127\.|localhost$)/;
function report(where) {
  process.stderr.write(`NETWORK-ATTEMPT ${where}\n`);
}
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function patchedConnect(...args) {
  const options =
    typeof args[0] === 'object' && args[0] !== null ? args[0] : { port: args[0], host: args[1] };
  const host = options.path ? 'localhost' : String(options.host ?? 'localhost');
  if (!LOOPBACK.test(host)) {
    report(`${host}:${options.port}`);
    const error = Object.assign(new Error(`network blocked: ${host}`), { code: 'ENETUNREACH' });
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function patchedLookup(hostname, ...rest) {
  const callback = rest.at(-1);
  if (!LOOPBACK.test(String(hostname))) {
    report(`dns ${hostname}`);
    const error = Object.assign(new Error(`network blocked: ${hostname}`), { code: 'ENOTFOUND' });
    process.nextTick(() => callback(error));
    return {};
  }
  return lookup.call(this, hostname, ...rest);
};
