// `./run demo --janus`: the Debian Janus with the Alliance adapter (started by
// tests/janus/janus_server.mjs, with a configuration folder generated under --work),
// then the demo backend (server.mjs) for the first session of --session-file.
//
//   node sdk-stubs/janus-host/demo/run_demo.mjs --work DIR --adapter libjanus_alliance.so
//       --events libjanus_alliance_events.so --alliance liballiance.so
//       --alliance-config alliance.json --token-secret-file FILE --session-file FILE
//
// Prints "janus <url>", "room <id>", "page <participant> <role> <url>", "start <url>",
// then "ready <url>", and from then on the adapter's lines from Janus's log. SIGINT or
// SIGTERM: the backend destroys the room (the adapter ends the session), Janus is
// stopped with SIGTERM (the adapter shuts Alliance down: what is saved stays in its
// store), and the process exits 0.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, readSession } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { startJanus } = await import(path.resolve(here, '../../../tests/janus/janus_server.mjs'));

function parseArguments(argv) {
  const names = {
    '--work': 'work', '--adapter': 'adapter', '--events': 'events', '--alliance': 'alliance',
    '--alliance-config': 'allianceConfig', '--token-secret-file': 'tokenSecretFile', '--session-file': 'sessionFile',
  };
  const options = {};
  for (let index = 0; index < argv.length; index += 2) {
    const name = names[argv[index]];
    if (!name || index + 1 >= argv.length) throw new Error(`unknown option or missing value: ${argv[index]}`);
    options[name] = argv[index + 1];
  }
  for (const name of Object.values(names)) {
    if (!options[name]) throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is required`);
  }
  return options;
}

// The adapter's lines from Janus's log as they are written ("alliance" in them).
function followLog(file) {
  let offset = 0;
  let pending = '';
  const timer = setInterval(() => {
    let size;
    try { size = fs.statSync(file).size; } catch { return; }
    if (size < offset) offset = 0;
    if (size === offset) return;
    const descriptor = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(size - offset);
    fs.readSync(descriptor, buffer, 0, buffer.length, offset);
    fs.closeSync(descriptor);
    offset = size;
    pending += buffer.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) if (/alliance/i.test(line)) console.log(`janus: ${line}`);
  }, 500);
  return () => clearInterval(timer);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const say = (line) => console.error(line);
  const janus = await startJanus({
    work: options.work, adapter: options.adapter, events: options.events, alliance: options.alliance,
    allianceConfig: options.allianceConfig, tokenSecretFile: options.tokenSecretFile, log: say,
  });
  let demo;
  try {
    demo = await startDemo({
      janusUrl: janus.httpUrl, tokenSecretFile: options.tokenSecretFile,
      session: readSession(options.sessionFile), log: say,
    });
  } catch (error) {
    await janus.stop();
    throw error;
  }
  console.log(`janus ${janus.httpUrl} log ${janus.logFile}`);
  console.log(`room ${demo.room}`);
  for (const page of demo.pages) console.log(`page ${page.participant} ${page.role} ${page.url}`);
  console.log(`start ${demo.startUrl}`);
  console.log(`ready ${demo.url}`);
  const stopFollowing = followLog(janus.logFile);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: destroying the room, then stopping Janus`);
    await demo.close();
    // Janus gets the SIGINT of a Ctrl-C from the terminal too, and may be gone already.
    const exit = await janus.stop();
    stopFollowing();
    console.log(`janus exited (${exit?.code ?? exit?.signal ?? 'already'})`);
    process.exit(0);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`run_demo.mjs: ${error.message}`);
  process.exit(1);
});
