/** A /v1 call for the benches: JSON in and out, a non-2xx reply thrown with its body. */
export async function v1(origin: string, token: string, method: string, url: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${origin}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
