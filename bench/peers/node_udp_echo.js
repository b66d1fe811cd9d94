#!/usr/bin/env node
// node_udp_echo: the UDP echo server a Node.js user would write, as bench/run's peer.
//
//   node node_udp_echo.js PORT    binds 127.0.0.1:PORT over UDP (0 picks one) and prints
//                                 "listening on 127.0.0.1:PORT (udp)" on stderr once it receives
//
// The `dgram` module: each 'message' is sent back to its source as it is, empty ones too. A send
// that fails is dropped, as UDP may. SIGTERM and SIGINT close the socket and exit 0.
'use strict';
const dgram = require('dgram');

const port = Number(process.argv[2]);
if (process.argv.length !== 3 || !Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('usage: node_udp_echo.js PORT\n');
  process.exit(2);
}

const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  socket.send(msg, rinfo.port, rinfo.address, () => {}); // a failed send is a dropped reply
});
socket.on('error', (err) => {
  process.stderr.write(`node_udp_echo: ${err.message}\n`);
  process.exit(1);
});

socket.bind({ address: '127.0.0.1', port }, () => {
  process.stderr.write(`listening on 127.0.0.1:${socket.address().port} (udp)\n`);
});

function stop() {
  socket.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
