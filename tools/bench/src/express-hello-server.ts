import express from 'express';

// The HTTP reference: an Express 5 hello-world POST with the same JSON body parsing as the
// services, in its own process on the same Node, so the generator measures both alike.
const app = express();
app.use(express.json({ limit: '64kb' }));
app.post('/hello', (req, res) => {
  res.status(202).json({ hello: 'world', received: Object.keys((req.body as object | undefined) ?? {}).length });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
