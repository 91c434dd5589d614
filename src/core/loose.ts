// Lenient readers for the server's JSON (notification tips, REST entities): a missing or
// mistyped field reads as its zero value, as Go's encoding/json leaves it, never as an error.

export type JsonObject = Record<string, unknown>;

export const asObject = (v: unknown): JsonObject => (v && typeof v === 'object' ? (v as JsonObject) : {});
export const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
/** Numbers sent as strings (int64 in protojson) are read too. */
export const asNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);
