import { AirServerProcess, churn, garbage, nonReader } from './airAbuse.ts';
const srv = await AirServerProcess.start();
for (const f of [() => garbage(srv), () => nonReader(srv), () => churn(srv, 200)]) console.log(JSON.stringify(await f()));
await srv.stop();
