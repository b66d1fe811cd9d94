#!/usr/bin/env node
// node_echo: the echo server a Node.js user would write, as bench/run's peer.
//
//   node node_echo.js PORT    listens on 127.0.0.1:PORT (0 picks one) and prints
//                             "listening on 127.0.0.1:PORT" on stderr once it accepts
//
// The `net` module and socket.pipe(socket): pipe() stops reading while the socket's write buffer
// is full, so a client that does not read pushes back. TCP_NODELAY on each connection, as the
// other servers do. SIGTERM and SIGINT close everything and exit 0.
'use strict';
const net = require('net');

const port = Number(process.argv[2]);
if (process.argv.length !== 3 || !Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('usage: node_echo.js PORT\n');
  process.exit(2);
}

const sockets = new Set();
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy()); // a reset is a normal ending for an echo server
  socket.pipe(socket);
});

server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => {
  process.stderr.write(`listening on 127.0.0.1:${server.address().port}\n`);
});

function stop() {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
