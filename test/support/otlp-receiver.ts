import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A local OTLP/HTTP receiver (JSON encoding, what @opentelemetry/exporter-*-otlp-http send by
 * default): it accepts /v1/traces and /v1/metrics and keeps what arrived, decoded.
 */

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
interface KeyValue { key: string; value: AnyValue }

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  events: { name: string; attributes: Record<string, string | number | boolean> }[];
  scope: string;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  points: { attributes: Record<string, string | number | boolean>; value: number | undefined; count: number | undefined; sum: number | undefined }[];
}

function value(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return Boolean(v.boolValue);
}

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly metrics: ReceivedMetric[] = [];
  /** Every request body as JSON text, without its resource (what the SDK says of the process): all that loopguard sent. */
  readonly bodies: string[] = [];
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          for (const list of [body['resourceSpans'], body['resourceMetrics']]) {
            for (const r of (list ?? []) as Record<string, unknown>[]) delete r['resource'];
          }
          receiver?.bodies.push(JSON.stringify(body));
          if (req.url === '/v1/traces') receiver?.takeSpans(body);
          else if (req.url === '/v1/metrics') receiver?.takeMetrics(body);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  /** Resolves once `ready()` holds for what arrived (exporters batch: poll). */
  async waitFor(ready: (r: OtlpReceiver) => boolean, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!ready(this)) {
      if (Date.now() > until) {
        const names = (list: { name: string }[]) => [...new Set(list.map((x) => x.name))].join(', ');
        throw new Error(`OTLP receiver: timed out; span names: ${names(this.spans)}; metric names: ${names(this.metrics)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeSpans(body: Record<string, unknown>): void {
    for (const rs of (body['resourceSpans'] ?? []) as { scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[]) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            traceId: String(s['traceId']),
            spanId: String(s['spanId']),
            parentSpanId: s['parentSpanId'] ? String(s['parentSpanId']) : undefined,
            name: String(s['name']),
            kind: Number(s['kind']),
            startNs: BigInt(s['startTimeUnixNano'] as string),
            endNs: BigInt(s['endTimeUnixNano'] as string),
            attributes: attributes(s['attributes'] as KeyValue[]),
            status: (s['status'] ?? {}) as ReceivedSpan['status'],
            events: ((s['events'] ?? []) as { name: string; attributes?: KeyValue[] }[]).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
            scope: ss.scope?.name ?? '',
          });
        }
      }
    }
  }

  private takeMetrics(body: Record<string, unknown>): void {
    type Point = { attributes?: KeyValue[]; asInt?: string | number; asDouble?: number; count?: string | number; sum?: number };
    type Metric = { name: string; unit?: string; sum?: { dataPoints?: Point[] }; histogram?: { dataPoints?: Point[] } };
    for (const rm of (body['resourceMetrics'] ?? []) as { scopeMetrics?: { metrics?: Metric[] }[] }[]) {
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          const points = [...(m.sum?.dataPoints ?? []), ...(m.histogram?.dataPoints ?? [])].map((p) => ({
            attributes: attributes(p.attributes),
            value: p.asInt !== undefined ? Number(p.asInt) : p.asDouble,
            count: p.count === undefined ? undefined : Number(p.count),
            sum: p.sum,
          }));
          this.metrics.push({ name: m.name, unit: m.unit ?? '', points });
        }
      }
    }
  }
}
