/*
 * A REST request's body: JSON, or multipart/form-data when files are attached (message creation,
 * interaction responses, webhook messages). Multipart is parsed by undici's own parser through
 * Response#formData(), not by hand.
 */

/** A file a request uploaded (a multipart part with a filename, e.g. `files[0]`). */
export interface RestFile {
  /** The form field, e.g. `files[0]`. */
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface RequestBody {
  /** The JSON body, or for multipart the `payload_json` part merged with the other text fields. */
  body: unknown;
  files: RestFile[];
}

export async function parseRequestBody(contentType: string | undefined, raw: Buffer): Promise<RequestBody> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType?.toLowerCase().startsWith('multipart/form-data')) return parseMultipart(contentType, raw);
  return { body: parseJson(raw.toString('utf8')), files: [] };
}

async function parseMultipart(contentType: string, raw: Buffer): Promise<RequestBody> {
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return { body: raw.toString('utf8'), files: [] }; // not valid multipart: kept as text, as bad JSON is
  }
  const fields: Record<string, unknown> = {};
  let payload: unknown;
  const files: RestFile[] = [];
  for (const [field, value] of form) {
    if (typeof value !== 'string') {
      files.push({ field, filename: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
    } else if (field === 'payload_json') {
      payload = parseJson(value);
    } else {
      fields[field] = value;
    }
  }
  // Discord takes the body either as payload_json or as plain form fields; payload_json wins.
  const body = isObject(payload) ? { ...fields, ...payload } : payload ?? (Object.keys(fields).length > 0 ? fields : undefined);
  return { body, files };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
