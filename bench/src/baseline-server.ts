// The baseline every scenario is measured against: bare Fastify, logger off, GET / → a tiny
// JSON body. Listens on PORT (default 0: any free port) and prints {"listening":PORT}.
import Fastify from 'fastify';
import { listenAndAnnounce } from './announce.ts';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

await listenAndAnnounce(app);
