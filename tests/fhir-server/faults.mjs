// Fault injection for tests: a plan of faults that the next matching FHIR requests
// meet instead of (or on top of) a normal answer, and the control endpoint that sets it.
//
//   POST   /_test/faults  {"faults": [FAULT, ...]}  replaces the plan, zeroes the counters
//   GET    /_test/faults                           the plan with its counters
//   DELETE /_test/faults                           empties the plan, zeroes the counters
//
//   FAULT = {"kind": KIND, "count": N (default 1), "match": {"method": "POST",
//            "path_prefix": "/fhir/R4"} (optional; both parts optional), ...}
//   KIND  "status"                 answer {"status": 503, "retry_after": "1" or an HTTP
//                                  date (optional), "body": an OperationOutcome (optional)}
//                                  without processing the request: nothing is stored
//         "hang"                   never answer; the connection stays open until the
//                                  client gives up or the server stops
//         "reset_mid_response"     process the request (it IS stored), send the status
//                                  line, the headers and part of the body, then reset
//                                  the connection (TCP RST)
//         "trickle"                process the request, then send the whole response at
//                                  {"bytes_per_second": 20} (the default), then close
//         "close_before_response"  process the request, then close the connection
//                                  without a byte of answer (a lost confirmation)
//         "status_after_processing" process the request (it IS stored), then answer
//                                  {"status": 500} (5xx only) with an OperationOutcome in
//                                  place of the real answer: a write applied whose
//                                  confirmation is lost
//         "malformed"              process the request (it IS stored), then answer its
//                                  status with {"text": '{"resourceType":1}'} (the
//                                  default) as the whole body and no Location or ETag:
//                                  an answer no FHIR reader can use, e.g. a 201 to a
//                                  create that names no resource
//
// Faults apply to FHIR requests (under /fhir/R4) in plan order: a request meets the
// first fault that matches it and is not used up; a fault is used up after `count`
// requests. /_test, /healthz and /auth never meet a fault. Counters: `hits` per fault
// and `fhir_requests`, every FHIR request since the plan was last set or deleted.
import { STATUS_CODES } from 'node:http';

const controlPath = '/_test/faults';
const loopback = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const kinds = ['status', 'hang', 'reset_mid_response', 'trickle', 'close_before_response', 'malformed',
  'status_after_processing'];
const fieldsOf = {
  status: ['status', 'retry_after', 'body'],
  hang: [],
  reset_mid_response: [],
  trickle: ['bytes_per_second'],
  close_before_response: [],
  malformed: ['text'],
  status_after_processing: ['status'],
};
const commonFields = ['kind', 'count', 'match'];
const maximumCount = 1_000_000;

class PlanError extends Error {}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkInteger(value, name, minimum, maximum, where) {
  if (!Number.isInteger(value) || value < minimum || value > maximum) {
    throw new PlanError(`${where}.${name} must be an integer from ${minimum} to ${maximum}`);
  }
  return value;
}

// One fault as posted -> its normalized form, or a PlanError saying what is wrong.
function normalize(fault, index) {
  const where = `faults[${index}]`;
  if (!isObject(fault)) {
    throw new PlanError(`${where} must be an object`);
  }
  if (!kinds.includes(fault.kind)) {
    throw new PlanError(`${where}.kind must be one of ${kinds.join(', ')}`);
  }
  const allowed = [...commonFields, ...fieldsOf[fault.kind]];
  const unknown = Object.keys(fault).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new PlanError(`${where} (${fault.kind}) has unknown fields: ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`);
  }
  const normalized = { kind: fault.kind, count: checkInteger(fault.count ?? 1, 'count', 1, maximumCount, where) };
  if (fault.match !== undefined) {
    if (!isObject(fault.match) || Object.keys(fault.match).some((name) => !['method', 'path_prefix'].includes(name))) {
      throw new PlanError(`${where}.match must be an object with "method" and/or "path_prefix"`);
    }
    const { method, path_prefix: pathPrefix } = fault.match;
    if (method !== undefined && (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method))) {
      throw new PlanError(`${where}.match.method must be an HTTP method such as "POST"`);
    }
    if (pathPrefix !== undefined && (typeof pathPrefix !== 'string' || !pathPrefix.startsWith('/'))) {
      throw new PlanError(`${where}.match.path_prefix must be a path starting with "/", such as "/fhir/R4"`);
    }
    normalized.match = {};
    if (method !== undefined) {
      normalized.match.method = method.toUpperCase();
    }
    if (pathPrefix !== undefined) {
      normalized.match.path_prefix = pathPrefix;
    }
  }
  switch (fault.kind) {
    case 'status':
      normalized.status = checkInteger(fault.status, 'status', 200, 599, where);
      if (fault.retry_after !== undefined) {
        const value = typeof fault.retry_after === 'number' ? String(fault.retry_after) : fault.retry_after;
        if (typeof value !== 'string' || value === '' || /[\r\n]/.test(value)) {
          throw new PlanError(`${where}.retry_after must be seconds ("1") or an HTTP date`);
        }
        normalized.retry_after = value;
      }
      if (fault.body !== undefined) {
        if (!isObject(fault.body)) {
          throw new PlanError(`${where}.body must be a JSON object (an OperationOutcome)`);
        }
        normalized.body = fault.body;
      }
      break;
    case 'status_after_processing':
      normalized.status = checkInteger(fault.status ?? 500, 'status', 500, 599, where);
      break;
    case 'malformed':
      if (fault.text !== undefined && (typeof fault.text !== 'string' || fault.text.length > 65536)) {
        throw new PlanError(`${where}.text must be a string of at most 65536 characters`);
      }
      normalized.text = fault.text ?? '{"resourceType":1}';
      break;
    case 'trickle':
      normalized.bytes_per_second = checkInteger(fault.bytes_per_second ?? 20, 'bytes_per_second', 1, 10_000_000, where);
      break;
    default:
      break;
  }
  return normalized;
}

function matches(fault, method, pathname) {
  const match = fault.match;
  if (!match) {
    return true;
  }
  return (match.method === undefined || match.method === method) &&
    (match.path_prefix === undefined || pathname.startsWith(match.path_prefix));
}

function defaultOutcome(status) {
  const code = status === 429 || status >= 500 ? 'transient' : 'processing';
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics: `Injected fault: HTTP ${status}` }],
  };
}

// The response as bytes on the wire, for the faults that send it themselves.
function rawResponse(status, text, headers, contentType, closing) {
  const body = Buffer.from(text, 'utf8');
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Status'}`];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Type: ${contentType}`, `Content-Length: ${body.length}`, `Date: ${new Date().toUTCString()}`);
  if (closing) {
    lines.push('Connection: close');
  }
  return { head: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body };
}

function bodyText(body) {
  return body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
}

// A TCP reset where Node allows one: resetAndDestroy() (Node 18.17+) on the TCP socket
// under the TLS one; destroy() (a FIN) otherwise.
function resetConnection(socket) {
  const tcp = socket._parent ?? socket;
  if (typeof tcp.resetAndDestroy === 'function') {
    try {
      tcp.resetAndDestroy();
    } catch {
      // Not a TCP handle after all: destroy() below still closes it.
    }
  }
  socket.destroy();
}

export class FaultPlan {
  #faults = [];
  #fhirRequests = 0;
  #log;

  /** `log(line)` receives one line per fault applied. */
  constructor(log = () => {}) {
    this.#log = log;
  }

  /** True when `pathname` is the control endpoint's (or another /_test path). */
  static isControlPath(pathname) {
    return pathname === '/_test' || pathname.startsWith('/_test/');
  }

  /**
   * Answers a request to /_test/...; resolves to the status sent. `send` is the
   * server's send(response, status, body, headers, contentType).
   */
  async control(target, request, response, send) {
    const json = 'application/json; charset=utf-8';
    if (!loopback.test(request.socket.remoteAddress ?? '')) {
      send(response, 403, { error: 'the test control endpoints answer loopback clients only' }, {}, json);
      return 403;
    }
    if (target.pathname !== controlPath) {
      send(response, 404, { error: `unknown test endpoint ${target.pathname}; see ${controlPath}` }, {}, json);
      return 404;
    }
    const text = await readText(request);
    switch (request.method) {
      case 'GET':
        send(response, 200, this.state(), {}, json);
        return 200;
      case 'DELETE':
        this.replace([]);
        send(response, 200, this.state(), {}, json);
        return 200;
      case 'POST': {
        let faults;
        try {
          let posted;
          try {
            posted = JSON.parse(text);
          } catch (error) {
            throw new PlanError(`the body is not JSON: ${error.message}`);
          }
          if (!isObject(posted) || !Array.isArray(posted.faults)) {
            throw new PlanError('the body must be {"faults": [...]}');
          }
          faults = posted.faults.map(normalize);
        } catch (error) {
          if (!(error instanceof PlanError)) {
            throw error;
          }
          send(response, 400, { error: error.message }, {}, json);
          return 400;
        }
        this.replace(faults);
        send(response, 200, this.state(), {}, json);
        return 200;
      }
      default:
        send(response, 405, { error: `${request.method} is not supported on ${controlPath}: GET, POST or DELETE` },
          { Allow: 'GET, POST, DELETE' }, json);
        return 405;
    }
  }

  /** Replaces the plan with normalized faults and zeroes the counters. */
  replace(faults) {
    this.#faults = faults.map((fault) => ({ ...fault, hits: 0 }));
    this.#fhirRequests = 0;
  }

  /** The plan and its counters, as GET /_test/faults answers them. */
  state() {
    return {
      faults: this.#faults.map((fault) => ({ ...fault, remaining: fault.count - fault.hits })),
      fhir_requests: this.#fhirRequests,
    };
  }

  /**
   * Called once for every FHIR request, before it is processed. Returns undefined (no
   * fault: answer as usual) or a Fault whose `instead` (when set) answers the request
   * without processing it, and whose `reply` replaces send() for the processed answer.
   */
  take(request, pathname) {
    this.#fhirRequests += 1;
    const fault = this.#faults.find((candidate) => candidate.hits < candidate.count &&
      matches(candidate, request.method, pathname));
    if (!fault) {
      return undefined;
    }
    fault.hits += 1;
    const index = this.#faults.indexOf(fault);
    this.#log(`${new Date().toISOString()} fault ${fault.kind} (faults[${index}], hit ${fault.hits} of ${fault.count}) ` +
      `on ${request.method} ${pathname}`);
    return new Fault(fault);
  }
}

// Reads and returns the body (the control endpoint's bodies are small).
function readText(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= 1024 * 1024) {
        chunks.push(chunk);
      }
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

class Fault {
  constructor(fault) {
    this.fault = fault;
    if (fault.kind === 'status' || fault.kind === 'hang') {
      this.instead = (request, response, send) => this.#answerInstead(request, response, send);
    }
    this.reply = (response, status, body, headers = {}, contentType = 'application/fhir+json; charset=utf-8') =>
      this.#misbehave(response, status, body, headers, contentType);
  }

  // "status" and "hang": the request is read, never processed. Resolves to what the
  // request log shows.
  async #answerInstead(request, response, send) {
    await drain(request);
    const fault = this.fault;
    if (fault.kind === 'hang') {
      return 'fault:hang';
    }
    const headers = fault.retry_after === undefined ? {} : { 'Retry-After': fault.retry_after };
    const body = fault.body ?? (fault.status >= 400 ? defaultOutcome(fault.status) : undefined);
    send(response, fault.status, body, headers);
    return fault.status;
  }

  // The processed answer, delivered badly.
  #misbehave(response, status, body, headers, contentType) {
    const socket = response.socket;
    if (!socket || socket.destroyed) {
      return;
    }
    const kind = this.fault.kind;
    if (kind === 'close_before_response') {
      socket.destroy();
      return;
    }
    if (kind === 'status_after_processing') {
      const { head, body: bytes } = rawResponse(this.fault.status, bodyText(defaultOutcome(this.fault.status)), {},
        'application/fhir+json; charset=utf-8', true);
      socket.end(Buffer.concat([head, bytes]));
      return;
    }
    if (kind === 'malformed') {
      // The status the request earned, with a body in place of the real one.
      const { head, body: bytes } = rawResponse(status, this.fault.text, {}, contentType, true);
      socket.end(Buffer.concat([head, bytes]));
      return;
    }
    const { head, body: bytes } = rawResponse(status, bodyText(body), headers, contentType, true);
    if (kind === 'reset_mid_response') {
      // The status line, the headers and half the body; with no body, part of the headers.
      const part = bytes.length > 0 ? Buffer.concat([head, bytes.subarray(0, Math.ceil(bytes.length / 2))])
        : head.subarray(0, Math.max(1, head.indexOf('\r\n') + 2));
      socket.write(part, () => {
        // A moment for the bytes to leave before the reset, which would discard them.
        setTimeout(() => resetConnection(socket), 50);
      });
      return;
    }
    // trickle: the whole response, a few bytes per tick, then the connection closes.
    const wire = Buffer.concat([head, bytes]);
    const perSecond = this.fault.bytes_per_second;
    const interval = Math.max(10, Math.floor(1000 / perSecond));
    const chunk = Math.max(1, Math.round((perSecond * interval) / 1000));
    let offset = 0;
    const timer = setInterval(() => {
      if (socket.destroyed) {
        clearInterval(timer);
        return;
      }
      socket.write(wire.subarray(offset, offset + chunk));
      offset += chunk;
      if (offset >= wire.length) {
        clearInterval(timer);
        socket.end();
      }
    }, interval);
    socket.once('close', () => clearInterval(timer));
  }
}

function drain(request) {
  return new Promise((resolve) => {
    if (request.complete) {
      resolve();
      return;
    }
    request.on('end', resolve);
    request.on('error', resolve);
    request.on('close', resolve);
    request.resume();
  });
}
