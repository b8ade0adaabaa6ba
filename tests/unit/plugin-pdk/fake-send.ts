/** A scripted `send` for the PDK helpers: answers in order, records every request. */
import type { HttpRequest, HttpResponse } from '../../../plugin-pdk/ts/src/host.js';

export interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export function response(s: Scripted): HttpResponse {
  const text = s.body === undefined ? '' : typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
  const body = new TextEncoder().encode(text);
  return {
    status: s.status ?? 200,
    headers: s.headers ?? {},
    body,
    text: () => text,
    json: <T>() => JSON.parse(text) as T,
  };
}

export function scriptedSend(answers: (Scripted | ((req: HttpRequest) => Scripted))[]) {
  const requests: HttpRequest[] = [];
  const send = (req: HttpRequest): HttpResponse => {
    requests.push(req);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${req.method ?? 'GET'} ${req.url}`);
    return response(typeof next === 'function' ? next(req) : next);
  };
  return { send, requests };
}
